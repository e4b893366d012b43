"""Parameter values keyed by start date, a parameter's default source, sets as YAML lists.

The keyed form must mean exactly what the list form with explicit ``from``/``to`` means;
these tests load both forms of the same parameter and compare, and then follow the keyed
form through local parameter files, ``dibao params`` and the workbook import.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from click.testing import CliRunner
from openpyxl import load_workbook

from engine.cli import cli
from engine.language.formatter import format_expression
from engine.policy.policy_files import load_tree
from engine.runtime.library import PolicyLibrary
from tests.policies.demo_tree import DEMO_HEADER, demo_tree

ROOT = Path(__file__).resolve().parents[2]
EMPLOYED = json.loads((ROOT / "examples" / "caseload" / "hebi.jsonl").read_text().splitlines()[65])  # HB-000326

HEADER = DEMO_HEADER + """rules:
  income.countable_monthly:
    type: money/month
    label: 家庭月收入
    expr: sum(sum(i.monthly for i in m.incomes where i.kind not in income.excluded_kinds) for m in members)
    source: {doc: demo-doc, clause: 三(二)}

parameters:
"""

LISTED = """  dibao.standard_annual:
    type: money/year
    label: 农村低保标准
    values:
      - from: 2016-01-01
        to: 2017-06-30
        value: 3000 yuan/year
        source: {doc: demo-doc, clause: 三(一)}
      - from: 2017-07-01
        to: 2018-12-31
        value: 3210 yuan/year
        source: {doc: demo-doc, clause: 三(一), confidence: medium}
        note: July is inferred.
      - from: 2019-01-01
        must_supply: not published
        source: {doc: demo-doc, clause: 三(一)}
  income.excluded_kinds:
    type: set(text)
    label: 不计入家庭收入的项目
    values:
      - from: 2016-01-01
        value: '{"honour_allowance", "dividends"}'
        source: {doc: demo-doc, clause: 三(二)}
"""

KEYED = """  dibao.standard_annual:
    type: money/year
    label: 农村低保标准
    source: {doc: demo-doc, clause: 三(一)}
    values:
      2016-01-01: 3000 yuan/year
      2017-07-01:
        value: 3210 yuan/year
        source: {doc: demo-doc, clause: 三(一), confidence: medium}
        note: July is inferred.
      2019-01-01: {must_supply: not published}
  income.excluded_kinds:
    type: set(text)
    label: 不计入家庭收入的项目
    source: {doc: demo-doc, clause: 三(二)}
    values:
      2016-01-01: [honour_allowance, dividends]
"""


def tree(tmp_path: Path, parameters: str) -> Path:
    return demo_tree(tmp_path, HEADER + parameters)


def described(root: Path) -> dict[str, list[tuple[object, ...]]]:
    loaded = load_tree(root)
    assert loaded.diagnostics == []
    return {name: [(v.start, v.end, v.expr and format_expression(v.expr), v.must_supply, v.source.doc,
                    v.source.clause, v.source.confidence, v.note) for v in parameter.values]
            for name, parameter in loaded.layers["demo"].parameters.items()}


def test_the_keyed_form_means_what_the_list_form_says(tmp_path: Path) -> None:
    listed = described(tree(tmp_path / "listed", LISTED))
    keyed = described(tree(tmp_path / "keyed", KEYED))
    assert keyed == listed
    assert keyed["dibao.standard_annual"][0][:2] == (date(2016, 1, 1), date(2017, 6, 30))  # ended by the next key
    assert keyed["income.excluded_kinds"][0][2] == '{"honour_allowance", "dividends"}'


def test_the_keyed_form_checks_clean_and_positions_point_at_the_dates(tmp_path: Path) -> None:
    root = tree(tmp_path, KEYED)
    library = PolicyLibrary.open(root)
    assert library.diagnostics == []
    values = library.region("demo").chain.parameters["dibao.standard_annual"].values
    assert [(v.span.line, v.span.column) for v in values] == [(26, 7), (27, 7), (31, 7)]


def test_a_to_on_the_last_keyed_value_ends_it(tmp_path: Path) -> None:
    text = KEYED.replace("      2019-01-01: {must_supply: not published}\n",
                         "      2019-01-01: {must_supply: not published, to: 2020-12-31}\n")
    (*_, last) = described(tree(tmp_path, text))["dibao.standard_annual"]
    assert last[:2] == (date(2019, 1, 1), date(2020, 12, 31))


def test_the_default_source_cites_list_values_that_give_none(tmp_path: Path) -> None:
    text = LISTED.replace("    values:\n      - from: 2016-01-01\n        value: '{",
                          "    source: {doc: demo-doc, clause: 三(二)}\n    values:\n      - from: 2016-01-01\n"
                          "        value: '{")
    text = text.replace("        value: '{\"honour_allowance\", \"dividends\"}'\n        source: {doc: demo-doc, "
                        "clause: 三(二)}\n", "        value: [honour_allowance, dividends]\n")
    assert described(tree(tmp_path, text))["income.excluded_kinds"] == \
        described(tree(tmp_path / "other", LISTED))["income.excluded_kinds"]


def test_an_empty_list_is_the_empty_set(tmp_path: Path) -> None:
    text = KEYED.replace("[honour_allowance, dividends]", "[]")
    assert described(tree(tmp_path, text))["income.excluded_kinds"][0][2] == "{}"


def test_a_local_params_file_in_the_keyed_form(tmp_path: Path) -> None:
    household = tmp_path / "employed.json"
    household.write_text(json.dumps(EMPLOYED))
    local = tmp_path / "local.yaml"
    local.write_text("local:\n  region: hebi\nsources:\n  county-2017:\n    title: 县民政局通知\nparameters:\n"
                     "  income.employment_cost_deduction_cap:\n    source: {doc: county-2017, clause: 二}\n"
                     "    values:\n      2016-01-01: 70 yuan/month\n      2017-09-01: 90 yuan/month\n",
                     encoding="utf-8")
    for day, expected in (("2017-08-31", "70.00"), ("2017-09-01", "90.00")):  # the second key ends the first
        done = CliRunner().invoke(cli, ["evaluate", "--region", "hebi", "--date", day, "--policies",
                                        str(ROOT / "policies"), "--output", "income.employment_cost_deduction",
                                        "--params", str(local), str(household)])
        assert done.exit_code == 0, done.stderr
        assert json.loads(done.stdout)["outputs"] == {"income.employment_cost_deduction": expected}


def test_a_local_params_file_without_a_source_is_refused_at_the_value(tmp_path: Path) -> None:
    local = tmp_path / "local.yaml"
    local.write_text("local:\n  region: hebi\nparameters:\n  income.employment_cost_deduction_cap:\n"
                     "    values:\n      2016-01-01: 70 yuan/month\n", encoding="utf-8")
    done = CliRunner().invoke(cli, ["check", str(ROOT / "policies"), "--params", str(local)])
    assert done.exit_code == 2
    assert "local.yaml:6:7: error[E-SCHEMA]: parameters.income.employment_cost_deduction_cap.values.2016-01-01: " \
           "missing key 'source'" in done.stderr


def test_a_workbook_import_writes_back_in_the_keyed_form(tmp_path: Path) -> None:
    root = tree(tmp_path, KEYED)
    runner = CliRunner()
    book_path = tmp_path / "demo.xlsx"
    done = runner.invoke(cli, ["params", "export", "demo", "--out", str(book_path), "--policies", str(root)])
    assert done.exit_code == 0, done.stderr
    book = load_workbook(book_path)
    sheet = book["dibao.standard_annual"]
    assert sheet["C2"].value == "3000 yuan/year" and sheet["B2"].value.date() == date(2017, 6, 30)
    sheet["C2"] = "3100 yuan/year"
    sheet.append([date(2020, 1, 1), None, "4000 yuan/year", None, "demo-doc", "三(一)"])
    sheet["B4"] = date(2019, 12, 31)
    book.save(book_path)
    done = runner.invoke(cli, ["params", "import", str(book_path), "--policies", str(root), "--write"])
    assert done.exit_code == 0, done.stderr
    text = (root / "demo" / "policy.yaml").read_text(encoding="utf-8")
    assert "      2016-01-01: 3100 yuan/year\n" in text  # the short form: the parameter's source cites it
    assert "      2019-01-01: {must_supply: not published}\n      2020-01-01: 4000 yuan/year\n" in text
    assert "note: July is inferred." in text and "- from:" not in text
    assert PolicyLibrary.open(root).diagnostics == []


def test_diff_sees_no_change_between_the_two_forms_and_sees_a_changed_value(tmp_path: Path) -> None:
    listed, keyed = tree(tmp_path / "listed", LISTED), tree(tmp_path / "keyed", KEYED)
    runner = CliRunner()
    for day in ("2016-06-01", "2017-08-01", "2019-02-01"):
        done = runner.invoke(cli, ["diff", str(listed), str(keyed), "--region", "demo", "--date", day])
        assert done.exit_code == 0, done.stderr
        assert "no changes in parameters or rules" in done.stdout
    changed = tree(tmp_path / "changed", KEYED.replace("2017-07-01:\n", "2017-08-01:\n"))
    done = runner.invoke(cli, ["diff", str(listed), str(changed), "--region", "demo", "--date", "2017-07-15",
                               "--format", "json"])
    assert done.exit_code == 0, done.stderr
    (change,) = json.loads(done.stdout)["changes"]
    assert (change["name"], change["old"], change["new"]) == ("dibao.standard_annual", "3210.00", "3000.00")
    assert change["new_source"].endswith("in force 2016-01-01 – 2017-07-31")  # the moved key ends the one before


def test_an_import_into_values_written_on_one_line_is_refused(tmp_path: Path) -> None:
    root = tree(tmp_path, KEYED.replace("    values:\n      2016-01-01: [honour_allowance, dividends]\n",
                                        "    values: {2016-01-01: [honour_allowance, dividends]}\n"))
    assert PolicyLibrary.open(root).diagnostics == []
    runner = CliRunner()
    book_path = tmp_path / "demo.xlsx"
    assert runner.invoke(cli, ["params", "export", "demo", "--out", str(book_path), "--policies",
                               str(root)]).exit_code == 0
    book = load_workbook(book_path)
    book["income.excluded_kinds"]["C2"] = '{"dividends"}'
    book.save(book_path)
    before = (root / "demo" / "policy.yaml").read_text(encoding="utf-8")
    done = runner.invoke(cli, ["params", "import", str(book_path), "--policies", str(root), "--write"])
    assert done.exit_code == 2
    assert "error[E-PARAMS]: income.excluded_kinds: its values are written on the line of `values:`" in done.stderr
    assert (root / "demo" / "policy.yaml").read_text(encoding="utf-8") == before
