"""``dibao params``: dated values with their sources, on a date, and through an Excel workbook."""

from __future__ import annotations

import datetime as dt
import difflib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

ROOT = Path(__file__).resolve().parents[2]
DIBAO = [sys.executable, "-m", "engine.cli"]


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*DIBAO, *args], capture_output=True, text=True, cwd=cwd, check=False)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "policies", tmp_path / "policies")
    return tmp_path


def test_params_lists_each_dated_value_with_its_source() -> None:
    done = run("params", "hebi", "dibao.standard_annual", "--format", "json")
    assert done.returncode == 0, done.stderr
    (history,) = json.loads(done.stdout)
    assert history["label"] == "农村低保标准" and history["layer"] == "hebi"
    values = {v["from"]: v for v in history["values"]}
    assert values["2017-07-01"]["value"] == "3210 yuan/year"
    assert values["2017-07-01"]["source"] == {"doc": "hebi-2017-14", "clause": "三(一)", "rule": "H3",
                                              "confidence": "medium",
                                              "quote": "2017年我市农村低保标准拟由每人每年3000元提高至3210元"}
    assert values["2021-01-01"]["value"] is None and "2021" in values["2021-01-01"]["must_supply"]
    text = run("params", "hebi").stdout
    assert "2017-07-01  2017-12-31  3210 yuan/year" in text and "hebi-2017-14 三(一) (H3)" in text
    assert "income.employment_cost_deduction_cap" in text and "dibao.low_income_ratio" in text


def test_one_parameter_is_shown_with_what_its_values_mean() -> None:
    done = run("params", "dongtai", "monitoring.line_income_as_dibao")
    assert done.returncode == 0, done.stderr
    table, reading = done.stdout.split("\n\n", 1)
    assert "monitoring.line_income_as_dibao" in table and "false" in table
    assert reading.startswith("monitoring.line_income_as_dibao (监测线比较按低保收入口径)")
    assert "By default (false) every recorded income counts" in " ".join(reading.split())
    listing = run("params", "dongtai")
    assert "By default (false)" not in listing.stdout  # the whole list stays a table


def test_params_on_a_date_says_which_must_be_supplied() -> None:
    rows = {r["parameter"]: r for r in json.loads(run("params", "hebi", "--date", "2021-03-01", "--format",
                                                      "json").stdout)}
    assert rows["dibao.standard_annual"]["must_supply"] is True
    assert rows["income.pension_base_excluded"]["value"] == "true"  # the 14th five-year plan's continuation
    assert rows["income.pension_base_excluded"]["must_supply"] is False
    assert rows["income.pension_base_excluded"]["in_force"] == ["2021-01-01", "2025-12-31"]
    rows = {r["parameter"]: r for r in json.loads(run("params", "hebi", "--date", "2020-06-01", "--format",
                                                      "json").stdout)}
    assert rows["dibao.standard_annual"]["value"] == "4500 yuan/year" and not rows["dibao.standard_annual"][
        "must_supply"]
    text = run("params", "hebi", "dibao.standard_annual", "--date", "2021-03-01").stdout
    assert text.splitlines()[0] == "hebi on 2021-03-01"
    assert text.splitlines()[3].endswith("true")


@pytest.mark.parametrize(("args", "message"), [
    (["params", "hebi", "dibao.standard_anual"], "did you mean 'dibao.standard_annual'"),
    (["params", "hebx"], "did you mean 'hebi'"),
    (["params", "hebi", "--date", "1999-01-01"], "outside its span"),
    (["params", "hebi", "--date", "2019-02-30"], "is not a date"),
])
def test_params_refuses_what_it_cannot_show(args: list[str], message: str) -> None:
    done = run(*args)
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr


def test_export_then_import_changes_nothing(tree: Path) -> None:
    done = run("params", "export", "hebi", "--out", "hebi.xlsx", "--policies", "policies", cwd=tree)
    assert done.returncode == 0, done.stderr
    book = load_workbook(tree / "hebi.xlsx")
    assert book.sheetnames[0] == "parameters" and "dibao.standard_annual" in book.sheetnames
    sheet = book["dibao.standard_annual"]
    assert [c.value for c in sheet[1]] == ["from", "to", "value", "must_supply", "doc", "clause", "rule",
                                           "confidence", "quote", "note"]
    assert sheet["A4"].value == dt.datetime(2017, 7, 1) and sheet["C4"].value == "3210 yuan/year"
    assert sheet["I4"].value == "2017年我市农村低保标准拟由每人每年3000元提高至3210元" and "拟" in sheet["J4"].value
    done = run("params", "import", "hebi.xlsx", "--policies", "policies", "--format", "json", cwd=tree)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"region": "hebi", "changes": [], "written": []}
    done = run("params", "import", "hebi.xlsx", "--policies", "policies", cwd=tree)
    assert done.stdout.strip() == "no changes"


def test_import_shows_the_diff_and_writes_only_when_asked(tree: Path) -> None:
    run("params", "export", "hebi", "--out", "hebi.xlsx", "--policies", "policies", cwd=tree)
    book = load_workbook(tree / "hebi.xlsx")
    sheet = book["dibao.standard_annual"]
    sheet["C6"] = "3900 yuan/year"  # 2019
    sheet["C8"], sheet["D8"], sheet["H8"] = 4800, None, "low"  # 2021: a value instead of must_supply
    book.save(tree / "edited.xlsx")
    policy = tree / "policies" / "hebi" / "policy.yaml"
    before = policy.read_text(encoding="utf-8")
    done = run("params", "import", "edited.xlsx", "--policies", "policies", "--format", "json", cwd=tree)
    changes = {(c["from"], c["field"]): (c["old"], c["new"]) for c in json.loads(done.stdout)["changes"]}
    assert changes[("2019-01-01", "value")] == ("3860 yuan/year", "3900 yuan/year")
    assert changes[("2021-01-01", "value")] == ("", "4800 yuan/year")
    assert changes[("2021-01-01", "confidence")] == ("", "low")
    assert changes[("2021-01-01", "must_supply")][1] == ""
    assert policy.read_text(encoding="utf-8") == before
    done = run("params", "import", "edited.xlsx", "--policies", "policies", "--write", cwd=tree)
    assert done.returncode == 0, done.stderr
    assert "written: " in done.stderr
    after = policy.read_text(encoding="utf-8")
    changed = [line for line in difflib.unified_diff(before.splitlines(), after.splitlines(), n=0, lineterm="")
               if line[:1] in "+-" and line[:3] not in ("+++", "---")]
    assert "-        value: 3860 yuan/year" in changed and "+        value: 3900 yuan/year" in changed
    assert "+        value: 4800 yuan/year" in changed
    assert all("dibao.standard_annual" not in line and "note:" not in line for line in changed)
    cut = before.splitlines().index("        value: 3860 yuan/year")  # the first line the edit changes
    assert before.splitlines()[:cut] == after.splitlines()[:cut]  # header, sources and the earlier values untouched
    assert run("check", "policies", cwd=tree).returncode == 0
    answer = run("evaluate", "--policies", "policies", "--region", "hebi", "--date", "2021-06-30", "--output",
                 "dibao.standard_annual", str(ROOT / "examples/households/contract_example.json"), cwd=tree)
    assert json.loads(answer.stdout)["outputs"] == {"dibao.standard_annual": "4800.00"}
    again = run("params", "import", "edited.xlsx", "--policies", "policies", cwd=tree)
    assert again.stdout.strip() == "no changes"


def test_an_import_that_would_break_the_policy_writes_nothing(tree: Path) -> None:
    run("params", "export", "hebi", "--out", "hebi.xlsx", "--policies", "policies", cwd=tree)
    book = load_workbook(tree / "hebi.xlsx")
    book["dibao.standard_annual"]["B6"] = dt.datetime(2020, 6, 30)  # 2019's value now overlaps 2020's
    book.save(tree / "edited.xlsx")
    before = (tree / "policies" / "hebi" / "policy.yaml").read_text(encoding="utf-8")
    done = run("params", "import", "edited.xlsx", "--policies", "policies", "--write", cwd=tree)
    assert done.returncode == 2
    assert "policies/hebi/policy.yaml:" in done.stderr and "E-OVERLAP" in done.stderr
    assert "the import would give" in done.stderr
    assert (tree / "policies" / "hebi" / "policy.yaml").read_text(encoding="utf-8") == before


def test_a_bad_cell_is_named_with_its_sheet_row_column_and_value(tree: Path) -> None:
    run("params", "export", "hebi", "--out", "hebi.xlsx", "--policies", "policies", cwd=tree)
    book = load_workbook(tree / "hebi.xlsx")
    book["dibao.standard_annual"]["A3"] = "2017-13-01"
    book["dibao.standard_annual"]["E4"] = None
    book.save(tree / "edited.xlsx")
    done = run("params", "import", "edited.xlsx", "--policies", "policies", cwd=tree)
    assert done.returncode == 2
    assert "sheet 'dibao.standard_annual', row 3, column from: '2017-13-01' is not a date written YYYY-MM-DD" \
        in done.stderr
    assert "sheet 'dibao.standard_annual', row 4, column doc: is empty" in done.stderr
    done = run("params", "import", "no-such.xlsx", cwd=tree)
    assert done.returncode == 2 and "no-such.xlsx" in done.stderr
    (tree / "text.xlsx").write_text("not a workbook")
    done = run("params", "import", "text.xlsx", cwd=tree)
    assert done.returncode == 2 and "not an Excel workbook" in done.stderr and "Traceback" not in done.stderr
