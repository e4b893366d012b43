"""Inputs mean what they say, and what the engine prints is text, bounded.

Household YAML is read by the strict policy loader (``amount: 0750`` used to be octal
488); ``--date`` is only YYYY-MM-DD; household problems carry the line and column of
the value; ids and labels holding rich markup print as written; error output quotes a
window of a long line and stops after the first problems with a count.
"""

from __future__ import annotations

import json
import shutil
import time
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from policy_trees import AS_OF, BASE, EXAMPLE, REGION_FILE, household, rule, tree_with, write_household
from test_evaluation_budget import cli
from test_files_and_paths import run

from engine.base.diagnostics import MAX_SHOWN, QUOTE_WIDTH
from engine.household.record import Household, load_households

# --- household YAML: the policy loader's numbers --------------------------------------------

YAML_RECORD = """\
id: HB-YAML
hukou: hebi
members:
  - id: p1
    birth_date: 1950-03-01
    labour_capacity: none
    incomes:
      - kind: wages
        amount: {amount}
        per: month
"""


def one_yaml(tmp_path: Path, amount: str) -> Household | list[object]:
    path = tmp_path / "household.yaml"
    path.write_text(YAML_RECORD.format(amount=amount), encoding="utf-8")
    (result,) = load_households(path)
    return result  # type: ignore[return-value]


def test_a_leading_zero_is_the_decimal_amount_it_shows(tmp_path: Path) -> None:
    found = one_yaml(tmp_path, "0750")
    assert isinstance(found, Household)
    assert found.members[0].incomes[0].amount == Decimal(750)  # never octal 488


@pytest.mark.parametrize("amount", ["0x2EE", "1_000", "0o1356", "7.5e2x", "1:30"])
def test_a_number_in_another_notation_is_refused_where_it_is(tmp_path: Path, amount: str) -> None:
    found = one_yaml(tmp_path, amount)
    assert isinstance(found, list)
    (problem,) = found
    assert problem.code == "E-HOUSEHOLD" and "members[0].incomes[0].amount" in problem.message  # type: ignore[attr-defined]
    assert (problem.span.line, problem.span.column) == (9, 17)  # type: ignore[attr-defined]


def test_yaml_tags_and_merge_keys_are_refused_in_a_household(tmp_path: Path) -> None:
    for text in ("id: !!python/object:os.system x\n", "base: &b {id: x}\n<<: *b\n"):
        path = tmp_path / "household.yaml"
        path.write_text(text, encoding="utf-8")
        (found,) = load_households(path)
        assert isinstance(found, list) and found[0].code == "E-YAML" and found[0].span is not None


# --- household problems are placed where they are written ----------------------------------


def test_a_json_household_problem_has_its_line_and_column(tmp_path: Path) -> None:
    record = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    record["members"][0]["incomes"][1]["amount"] = "-103"
    path = tmp_path / "household.json"
    path.write_text(json.dumps(record, ensure_ascii=False, indent=2), encoding="utf-8")
    (found,) = load_households(path)
    assert isinstance(found, list)
    (problem,) = found
    lines = path.read_text(encoding="utf-8").splitlines()
    assert problem.span is not None
    assert lines[problem.span.line - 1][problem.span.column - 1:].startswith('"amount": "-103"')
    code, _out, err = cli("evaluate", "--policies", str(BASE), "--region", "demo", "--date", AS_OF, str(path))
    assert code == 2 and f"household.json:{problem.span.line}:{problem.span.column}: error[E-HOUSEHOLD]" in err


def test_a_json_lines_problem_has_its_column_on_its_line(tmp_path: Path) -> None:
    good = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    bad = {**good, "id": "HB-2", "hukou": "Not A Region"}
    path = tmp_path / "households.jsonl"
    path.write_text(json.dumps(good) + "\n" + json.dumps(bad) + "\n", encoding="utf-8")
    results = list(load_households(path))
    assert isinstance(results[0], Household)
    (problem,) = results[1]  # type: ignore[misc]
    line = path.read_text(encoding="utf-8").splitlines()[1]
    assert problem.span.line == 2 and line[problem.span.column - 1:].startswith('"hukou"')


def test_a_yaml_household_problem_has_its_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "household.yaml"
    path.write_text(YAML_RECORD.format(amount="12").replace("per: month", "per: fortnight"), encoding="utf-8")
    (found,) = load_households(path)
    assert isinstance(found, list)
    (problem,) = found
    assert "per" in problem.message and (problem.span.line, problem.span.column) == (10, 14)


# --- dates -------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["20171001", "2017-W40-1", "2017-10-1", "2017-274", " 2017-10-01"])
def test_a_date_is_only_yyyy_mm_dd(tmp_path: Path, text: str) -> None:
    path = write_household(tmp_path / "h.json", household())
    code, out, err = cli("evaluate", "--region", "hebi", "--date", text, str(path))
    assert code == 2 and not out and "is not a date written YYYY-MM-DD" in err
    code, _out, err = cli("diff", f"hebi@{text}", "hebi@2018-01-01")
    assert code == 2 and "write REGION@YYYY-MM-DD" in err


# --- rich output: user text is text ----------------------------------------------------------

MARKUP = "[/]x[link=https://example.org]y[/link][bold"


@pytest.fixture(scope="module")
def marked(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("markup")
    root = tree_with(folder / "policies", rule("label.test", "int", "household.size", output=True))
    region = root / REGION_FILE
    text = region.read_text(encoding="utf-8")
    text = text.replace("name: 示例市", f"name: {json.dumps('示例市' + MARKUP)}")
    text = text.replace("label: label.test", f"label: {json.dumps('标签' + MARKUP)}")
    region.write_text(text, encoding="utf-8")
    return root, write_household(folder / "h.json", household(id="HB" + MARKUP + "\\"))


def test_explain_prints_ids_and_labels_as_written(marked: tuple[Path, Path]) -> None:
    root, path = marked
    code, out, err = cli("explain", "--policies", str(root), "--region", "demo", "--date", AS_OF, str(path))
    assert code == 0, err
    assert "HB" + MARKUP + "\\" in out and "标签" + MARKUP in out and "\x1b]8;" not in out


def test_compare_prints_ids_as_written(marked: tuple[Path, Path]) -> None:
    root, path = marked
    code, out, err = cli("compare", "--policies", str(root), "--date", AS_OF, str(path))
    assert code == 0, err
    assert "HB" + MARKUP[:20] in out.replace("\n", "")


def test_regions_prints_names_as_written(marked: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    root, _path = marked
    monkeypatch.setenv("COLUMNS", "400")  # one line per region
    code, out, err = cli("regions", "--policies", str(root))
    assert code == 0, err
    assert "示例市" + MARKUP in out


# --- bounded error output -------------------------------------------------------------------------


def one_line_policy(root: Path, errors: int, note_characters: int = 0) -> Path:
    """The demo region written on one line (flow YAML) with ``errors`` rules naming unknown names."""
    data = json.loads(json.dumps(yaml.safe_load((BASE / REGION_FILE).read_text(encoding="utf-8")), default=str))
    for index in range(errors):
        data["rules"][f"bad.r{index}"] = {"type": "int", "label": "x", "expr": f"nope{index} + 1",
                                          "source": {"doc": "demo-doc", "clause": "四"}}
    if note_characters:
        data["sources"]["demo-doc"]["note"] = "长" * note_characters
    shutil.copytree(BASE, root)
    (root / REGION_FILE).write_text(json.dumps(data, ensure_ascii=False) + "\n", encoding="utf-8")
    return root


def test_five_hundred_problems_on_one_line_print_a_bounded_report(tmp_path: Path) -> None:
    root = one_line_policy(tmp_path / "policies", 500)
    code, _out, err = cli("check", str(root))
    assert code == 2
    assert len(err) < 60_000  # was 29 MB: every problem quoted the whole 58 kB line
    assert f"… and {500 - MAX_SHOWN} more problems (--json lists them all)" in err
    assert max(len(line) for line in err.splitlines()) < QUOTE_WIDTH + 400
    assert "500 problems" in err.splitlines()[-1]


def test_a_three_megabyte_line_with_problems_is_reported_quickly(tmp_path: Path) -> None:
    root = one_line_policy(tmp_path / "policies", MAX_SHOWN + 20, note_characters=1_000_000)
    assert (root / REGION_FILE).stat().st_size > 3_000_000
    start = time.monotonic()
    done = run("check", str(root), timeout=300)
    assert done.returncode == 2 and time.monotonic() - start < 120  # did not finish in 10 minutes
    assert len(done.stderr) < 60_000 and "… and 20 more problems" in done.stderr


def test_a_long_message_is_cut_on_a_terminal(tmp_path: Path) -> None:
    path = write_household(tmp_path / "h.json", household())
    code, _out, err = cli("evaluate", "--region", "hebi", "--date", "2020-01-01", "--set", "x" * 20_000 + "=1",
                          str(path))
    assert code == 2 and len(err) < 3000 and "more characters)" in err



def test_a_character_escaped_as_a_utf16_pair_is_joined_and_half_a_pair_refused(tmp_path: Path) -> None:
    """Found by the markup family: a label written "\\ud83d\\ude00" became two unprintable halves."""
    root = tree_with(tmp_path / "policies", rule("label.test", "int", "household.size", output=True))
    region = root / REGION_FILE
    text = region.read_text(encoding="utf-8")
    region.write_text(text.replace("label: label.test", 'label: "X\\ud83d\\ude00"'), encoding="utf-8")
    code, out, err = cli("explain", "--policies", str(root), "--region", "demo", "--date", AS_OF,
                         "--output", "label.test", str(write_household(tmp_path / "h.json", household())))
    assert code == 0 and "X😀" in out, err
    region.write_text(text.replace("label: label.test", 'label: "X\\ud83d"'), encoding="utf-8")
    code, _out, err = cli("check", str(root))
    assert code == 2 and "error[E-YAML]: an escape is half of a UTF-16 pair" in err
