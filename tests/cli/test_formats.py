"""Tables read anywhere: piped or narrow output is plain aligned text with nothing cut; every
table command takes --format table|json|csv|markdown; booleans print as true/false."""

from __future__ import annotations

import csv
import io
import json
import os
import pty
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from engine.tools.worked_cases import load_cases

ROOT = Path(__file__).resolve().parents[2]
HEBI_CASES = str(sum(len(load_cases("hebi", path)) for path in sorted((ROOT / "policies/hebi/tests").glob("*.yaml"))))
EXAMPLE = ROOT / "examples" / "households" / "contract_example.json"
DIBAO = [sys.executable, "-m", "engine.cli"]


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*DIBAO, *args], capture_output=True, text=True, cwd=cwd, check=False)


def on_terminal(columns: int, *args: str) -> str:
    """What a command prints on a terminal of the given width (a pseudo-terminal)."""
    leader, follower = pty.openpty()
    env = {**os.environ, "COLUMNS": str(columns), "LINES": "50"}
    process = subprocess.Popen([*DIBAO, *args], stdout=follower, stderr=subprocess.DEVNULL, cwd=ROOT, env=env)
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    process.wait()
    os.close(leader)
    return b"".join(chunks).decode("utf-8").replace("\r\n", "\n")


COMMANDS = [
    ("regions",),
    ("compare", "--date", "2017-10-01", str(EXAMPLE)),
    ("diff", "hebi@2017-06-30", "hebi@2021-12-31", "--set", "dibao.standard_annual=4000"),
    ("test", "--region", "hebi"),
]


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: a[0])
def test_piped_tables_are_plain_text_with_nothing_cut(args: tuple[str, ...]) -> None:
    done = run(*args)
    assert done.returncode == 0, done.stderr
    assert "…" not in done.stdout and "┃" not in done.stdout and "│" not in done.stdout
    assert "True" not in done.stdout and "False" not in done.stdout


def test_regions_show_full_digests_and_every_parameter_to_supply() -> None:
    data = {r["region"]: r for r in json.loads(run("regions", "--format", "json").stdout)}
    text = run("regions").stdout
    for region, summary in data.items():
        assert summary["digest"] in text
        for name in summary["must_supply"]:
            assert name in text, f"{region}: {name} is cut"
    header, rule = text.splitlines()[:2]
    assert header.split()[:3] == ["region", "name", "version"] and set(rule.replace(" ", "")) == {"-"}


def test_compare_keeps_full_output_names_and_prints_booleans_as_json_does() -> None:
    text = run("compare", "--date", "2017-10-01", str(EXAMPLE)).stdout
    rows = {line.split()[0]: line.split()[1:] for line in text.splitlines()[3:] if line and line[0] != " "}
    assert rows["income.countable_monthly"][1] == "1200.00"
    assert rows["dibao.eligible"][1] == "false" and rows["dibao.exit"][1] == "true"
    assert "township" in rows["temporary_assistance.approval_level"]


def test_diff_prints_a_changed_rule_expression_whole_on_one_line(tmp_path: Path) -> None:
    copy = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", copy)
    rules = copy / "common" / "policy.yaml"
    text = rules.read_text(encoding="utf-8")
    rules.write_text(text.replace("max(income.counted_monthly - income.rigid_expenditure_deduction",
                                  "max(income.counted_monthly - 0 - income.rigid_expenditure_deduction", 1),
                     encoding="utf-8")
    done = run("diff", str(ROOT / "policies"), str(copy), "--region", "hebi", "--date", "2017-10-01")
    assert done.returncode == 0, done.stderr
    report = json.loads(run("diff", str(ROOT / "policies"), str(copy), "--region", "hebi", "--date", "2017-10-01",
                            "--json").stdout)
    (change,) = report["changes"]
    assert any(change["new"] in line for line in done.stdout.splitlines())
    assert any(change["old"] in line for line in done.stdout.splitlines())


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: a[0])
def test_csv_and_markdown_hold_the_same_rows(args: tuple[str, ...]) -> None:
    rows = list(csv.reader(io.StringIO(run(*args, "--format", "csv").stdout)))
    markdown = run(*args, "--format", "markdown").stdout.strip().splitlines()
    table = [line for line in markdown if line.startswith("|")]
    assert len(rows) >= 2 and len(table) == len(rows) + 1  # the markdown rule line under the header
    assert table[0] == "| " + " | ".join(rows[0]) + " |"
    assert set(table[1].replace("|", "").replace(":", "")) == {"-"}


def test_json_format_is_the_json_flag() -> None:
    assert json.loads(run("regions", "--format", "json").stdout) == json.loads(run("regions", "--json").stdout)


def test_test_command_formats() -> None:
    data = json.loads(run("test", "--region", "hebi", "--format", "json").stdout)
    assert data["passed"] == int(HEBI_CASES) and data["failed"] == 0
    (hebi,) = data["regions"]
    assert hebi["clauses_without_worked_cases"] == [] and "H5" in hebi["clauses_encoded"]
    (header, row) = list(csv.reader(io.StringIO(run("test", "--region", "hebi", "--format", "csv").stdout)))
    assert header[:3] == ["region", "passed", "cases"] and row[:3] == ["hebi", HEBI_CASES, HEBI_CASES]


def test_check_formats_list_each_diagnostic(tmp_path: Path) -> None:
    copy = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", copy)
    policy = copy / "hebi" / "policy.yaml"
    policy.write_text(policy.read_text(encoding="utf-8").replace("value: 3860 yuan/year", "value: 3860 yuan/mnth"),
                      encoding="utf-8")
    done = run("check", str(copy), "--format", "csv")
    assert done.returncode == 2
    (header, *rows) = list(csv.reader(io.StringIO(done.stdout)))
    assert header == ["file", "line", "column", "severity", "code", "message"]
    assert rows and all(r[0].endswith("hebi/policy.yaml") for r in rows)
    markdown = run("check", str(copy), "--format", "markdown").stdout
    assert markdown.startswith("| file | line | column |") and rows[0][5].split(" (")[0] in markdown


def test_check_names_the_policy_tree_it_checked(tmp_path: Path) -> None:
    done = run("check")
    assert done.stderr.splitlines()[-1] == "policy tree policies: 7 layers, 6 regions checked: 0 problems"
    copy = tmp_path / "drafts"
    shutil.copytree(ROOT / "policies", copy)
    done = run("check", "drafts", cwd=tmp_path)
    assert done.stderr.splitlines()[-1] == "policy tree drafts: 7 layers, 6 regions checked: 0 problems"


def test_a_narrow_terminal_gets_plain_text_and_a_wide_one_gets_boxes() -> None:
    narrow = on_terminal(60, "regions")
    assert "┃" not in narrow and "…" not in narrow and "income.employment_cost_deduction_cap" in narrow
    wide = on_terminal(400, "regions")
    assert "┃" in wide and "income.employment_cost_deduction_cap" in wide
    for line in wide.splitlines():
        assert "…" not in line
