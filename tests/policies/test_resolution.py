"""Dated resolution: which value, variant and layer is in force on a date, overrides, digests.

The tree under ``fixtures/layered/policies`` has a common layer, a region ``demo`` and
its county ``demo/lanshan``. In ``demo`` the standard changes on 2017-07-01 and
2019-01-01, the income rule has variants from 2018-01-01 and 2019-01-01, and the
employment-cost deduction must be supplied from 2019-01-01 (the county supplies it).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from engine.base.diagnostics import DiagnosticError
from engine.household.record import Household, validate_household
from engine.policy.policy_files import load_tree
from engine.policy.resolve import Unavailable, resolve, value_in_force, variant_in_force
from engine.policy.schema import schema_json
from engine.runtime.evaluate import evaluate
from engine.runtime.library import PolicyLibrary
from engine.runtime.policy_check import check_tree

HERE = Path(__file__).parent
REPOSITORY = HERE.parent.parent
LAYERED = HERE / "fixtures" / "layered" / "policies"
GAP = HERE / "bad" / "coverage-gap-within-a-month" / "policies"


@pytest.fixture(scope="module")
def library() -> PolicyLibrary:
    return PolicyLibrary.open(LAYERED)


def household(*incomes: tuple[str, str]) -> Household:
    return validate_household({
        "id": "T1", "hukou": "demo",
        "members": [{"id": "p1", "birth_date": "1950-01-01", "labour_capacity": "none",
                     "incomes": [{"kind": kind, "amount": amount, "per": "month"} for kind, amount in incomes]}],
    })


WAGES_AND_PENSION = (("wages", "150"), ("basic_pension_base", "100"))


def outputs(library: PolicyLibrary, region: str, day: str, overrides: dict[str, str] | None = None) -> dict[str, Any]:
    found = evaluate(household(*WAGES_AND_PENSION), region, date.fromisoformat(day), library=library,
                     overrides=overrides)
    return dict(found.to_json()["outputs"])


def dibao(*args: str, cwd: Path = REPOSITORY) -> subprocess.CompletedProcess[str]:
    script = shutil.which("dibao", path=str(Path(sys.executable).parent))
    command = [script] if script else [sys.executable, "-c", "from engine.cli import main; main()"]
    env = {**os.environ, "PYTHONPATH": str(REPOSITORY), "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run([*command, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60,
                          check=False)


def test_the_fixture_tree_is_clean(library: PolicyLibrary) -> None:
    assert library.diagnostics == []
    assert library.regions == ["demo", "demo/lanshan"]


# --- dated parameter values -------------------------------------------------------------------

STANDARD = [
    ("2016-01-01", "3000", "demo-2017 三(一)"),
    ("2017-06-30", "3000", "demo-2017 三(一)"),
    ("2017-07-01", "3210", "demo-2017 三(一)"),
    ("2017-07-02", "3210", "demo-2017 三(一)"),
    ("2018-12-31", "3210", "demo-2017 三(一)"),
    ("2019-01-01", "3600", "demo-2019 一"),
    ("2019-01-02", "3600", "demo-2019 一"),
    ("2020-12-31", "3600", "demo-2019 一"),
]


@pytest.mark.parametrize(("day", "amount", "citation"), STANDARD, ids=[s[0] for s in STANDARD])
def test_the_standard_in_force_on_a_date(library: PolicyLibrary, day: str, amount: str, citation: str) -> None:
    resolved = library.resolve("demo", date.fromisoformat(day))
    assert resolved.values["dibao.standard_annual"] == Decimal(amount)
    chosen = resolved.value_sources["dibao.standard_annual"]
    assert chosen is not None and str(chosen.source) == citation


def test_value_in_force_picks_the_dated_value(library: PolicyLibrary) -> None:
    parameter = library.region("demo").chain.parameters["dibao.standard_annual"]
    starts = {day: value_in_force(parameter, date.fromisoformat(day)) for day in ("2017-06-30", "2017-07-01")}
    assert starts["2017-06-30"] is not None and starts["2017-06-30"].start == date(2016, 1, 1)
    assert starts["2017-07-01"] is not None and starts["2017-07-01"].start == date(2017, 7, 1)
    assert value_in_force(parameter, date(2015, 12, 31)) is None


# --- dated rule variants ----------------------------------------------------------------------

VARIANTS = [
    ("2017-12-31", date(2016, 1, 1), "250.00"),  # every income counts
    ("2018-01-01", date(2018, 1, 1), "50.00"),  # the pension is excluded, 100 a month deducted
    ("2018-01-02", date(2018, 1, 1), "50.00"),
    ("2018-12-31", date(2018, 1, 1), "50.00"),
]


@pytest.mark.parametrize(("day", "start", "countable"), VARIANTS, ids=[v[0] for v in VARIANTS])
def test_the_rule_variant_in_force_on_a_date(library: PolicyLibrary, day: str, start: date, countable: str) -> None:
    resolved = library.resolve("demo", date.fromisoformat(day))
    assert resolved.variants["income.countable_monthly"].start == start
    rule = library.region("demo").chain.rules["income.countable_monthly"]
    found = variant_in_force(rule, date.fromisoformat(day))
    assert found is not None and found.start == start
    assert outputs(library, "demo", day)["income.countable_monthly"] == countable


# --- layers: common → region → sub-jurisdiction -------------------------------------------------


def test_a_subregion_overrides_what_it_defines_and_inherits_the_rest(library: PolicyLibrary) -> None:
    chain = library.region("demo/lanshan").chain
    assert [layer.key for layer in chain.layers] == ["common", "demo", "demo/lanshan"]
    assert chain.version == "r1+s1"
    assert chain.parameters["dibao.standard_annual"].layer == "demo/lanshan"
    assert chain.parameters["income.work_deduction"].layer == "demo"
    assert chain.parameters["dibao.low_income_ratio"].layer == "common"
    assert chain.rules["income.countable_monthly"].layer == "demo"
    assert chain.rules["dibao.benefit_monthly"].layer == "common"

    county = library.resolve("demo/lanshan", date(2019, 1, 1))
    region = library.resolve("demo", date(2019, 1, 1))
    assert county.values["dibao.standard_annual"] == Decimal("3900")
    assert region.values["dibao.standard_annual"] == Decimal("3600")
    assert county.values["income.work_deduction"] == Decimal("100")
    assert county.values["income.employment_cost_deduction"] == Decimal("200")
    assert county.values["dibao.low_income_ratio"] == Decimal("1.5")
    assert isinstance(region.values["income.employment_cost_deduction"], Unavailable)


def test_a_subregion_household_uses_its_own_values(library: PolicyLibrary) -> None:
    found = outputs(library, "demo/lanshan", "2019-03-01")
    assert found["dibao.standard_annual"] == "3900.00"
    assert found["dibao.standard_monthly"] == "325.00"
    # 150 wages − 100 work deduction − 200 county employment-cost deduction: nothing counts
    assert found["income.countable_monthly"] == "0.00"
    assert found["dibao.benefit_monthly"] == "325.00"
    before = outputs(library, "demo/lanshan", "2018-06-01")
    assert before == outputs(library, "demo", "2018-06-01")


# --- --set overrides ----------------------------------------------------------------------------


def test_set_overrides_a_parameter_for_one_run(library: PolicyLibrary) -> None:
    plain = library.resolve("demo", date(2019, 1, 1))
    changed = library.resolve("demo", date(2019, 1, 1), {"dibao.standard_annual": "4000"})
    assert changed.values["dibao.standard_annual"] == Decimal("4000")
    assert changed.overrides == {"dibao.standard_annual": Decimal("4000")}
    assert changed.digest != plain.digest
    assert library.resolve("demo", date(2019, 1, 1)).values["dibao.standard_annual"] == Decimal("3600")
    found = outputs(library, "demo", "2019-03-01", {"dibao.standard_annual": "4000",
                                                    "income.employment_cost_deduction": "0"})
    assert found["dibao.standard_annual"] == "4000.00"
    assert found["dibao.standard_monthly"] == "333.33"


def test_set_accepts_a_value_in_the_rules_language(library: PolicyLibrary) -> None:
    resolved = library.resolve("demo", date(2019, 1, 1), {"dibao.low_income_ratio": "200%",
                                                          "income.work_deduction": "150 yuan/month"})
    assert resolved.values["dibao.low_income_ratio"] == Decimal("2")
    assert resolved.values["income.work_deduction"] == Decimal("150")


BAD_SETS = [
    ("unknown-name", {"dibao.standard_anual": "4000"}, "E-SET",
     "--set dibao.standard_anual: no parameter of that name in demo", "--set dibao.standard_anual", 1),
    ("wrong-period", {"dibao.standard_annual": "4000 yuan/month"}, "E-PERIOD", "money/month",
     "--set dibao.standard_annual", 1),
    ("wrong-type", {"dibao.standard_annual": "true"}, "E-TYPE", "bool", "--set dibao.standard_annual", 1),
    ("unparsable", {"dibao.standard_annual": "4000)"}, "E-SYNTAX", "unexpected ')'", "--set dibao.standard_annual", 5),
    ("not-a-number", {"dibao.standard_annual": "4,000"}, "E-SYNTAX", "unexpected ','", "--set dibao.standard_annual",
     2),
]


@pytest.mark.parametrize(("overrides", "code", "message", "file", "column"), [b[1:] for b in BAD_SETS],
                         ids=[b[0] for b in BAD_SETS])
def test_a_bad_set_is_a_located_diagnostic(library: PolicyLibrary, overrides: dict[str, str], code: str,
                                           message: str, file: str, column: int) -> None:
    with pytest.raises(DiagnosticError) as raised:
        library.resolve("demo", date(2019, 1, 1), overrides)
    (problem,) = raised.value.diagnostics
    assert problem.code == code
    assert message in problem.message
    assert problem.span is not None and (problem.span.file, problem.span.line, problem.span.column) == (file, 1, column)


def test_an_unknown_set_name_gets_a_did_you_mean(library: PolicyLibrary) -> None:
    with pytest.raises(DiagnosticError) as raised:
        library.resolve("demo", date(2019, 1, 1), {"dibao.standard_anual": "4000"})
    assert raised.value.diagnostics[0].suggestion == "dibao.standard_annual"


def test_a_wrong_type_set_message_names_the_parameter(library: PolicyLibrary) -> None:
    with pytest.raises(DiagnosticError) as raised:
        library.resolve("demo", date(2019, 1, 1), {"dibao.standard_annual": "4000 yuan/month"})
    message = raised.value.diagnostics[0].message
    assert "<expression>" not in message
    assert "dibao.standard_annual" in message


def test_dibao_evaluate_reports_a_bad_set_on_one_line(tmp_path: Path) -> None:
    record = tmp_path / "household.json"
    record.write_text(json.dumps({"id": "T1", "hukou": "demo", "members": [
        {"id": "p1", "birth_date": "1950-01-01", "labour_capacity": "none", "incomes": []}]}), encoding="utf-8")
    good = dibao("evaluate", "--policies", str(LAYERED), "--region", "demo", "--date", "2019-03-01",
                 "--set", "income.employment_cost_deduction=50", "--set", "dibao.standard_annual=4000", str(record))
    assert good.returncode == 0, good.stderr
    assert json.loads(good.stdout)["outputs"]["dibao.benefit_monthly"] == "333.33"
    bad = dibao("evaluate", "--policies", str(LAYERED), "--region", "demo", "--date", "2019-03-01",
                "--set", "dibao.standard_annual=4000)", str(record))
    assert bad.returncode == 2
    assert bad.stderr.splitlines() == [
        "--set dibao.standard_annual:1:5: error[E-SYNTAX]: unexpected ')'; expected the end of the expression"]


# --- digests ------------------------------------------------------------------------------------


def _copy(tmp_path: Path, name: str) -> Path:
    root = tmp_path / name / "policies"
    shutil.copytree(LAYERED, root)
    return root


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_the_digest_is_a_sha256(library: PolicyLibrary) -> None:
    digest = library.resolve("demo", date(2018, 1, 1)).digest
    assert digest.startswith("sha256:") and len(digest) == len("sha256:") + 64
    int(digest.removeprefix("sha256:"), 16)


def test_the_same_content_has_the_same_digest_wherever_it_is_and_however_it_is_written(tmp_path: Path) -> None:
    first = _copy(tmp_path, "first")
    second = _copy(tmp_path, "second")
    region = second / "demo" / "policy.yaml"
    _edit(region, "# A region", "# Reformatted, with comments moved and added: a region")
    _edit(region, "        value: 3210 yuan/year\n", "        value: 3_210 元/年   # from 鹤政办〔2017〕14号\n")
    _edit(region, "        source: {doc: demo-2019, clause: 一}\n",
          "        source:\n          clause: 一\n          doc: demo-2019\n")
    _edit(region, "expr: heating.allowance_monthly * household.size",
          'expr: "(heating.allowance_monthly)*household.size"')
    _edit(region, "          if income.earned_monthly > income.work_deduction\n",
          "          if   income.earned_monthly   >   income.work_deduction   # deducted first\n")
    a, b = PolicyLibrary.open(first), PolicyLibrary.open(second)
    assert b.diagnostics == []
    for region_name in ("demo", "demo/lanshan"):
        for day in (date(2016, 6, 1), date(2017, 7, 1), date(2018, 1, 1), date(2019, 6, 1)):
            assert a.resolve(region_name, day).digest == b.resolve(region_name, day).digest, (region_name, day)


def test_a_changed_value_changes_the_digest_where_it_is_in_force(tmp_path: Path) -> None:
    first = _copy(tmp_path, "first")
    second = _copy(tmp_path, "second")
    _edit(second / "demo" / "policy.yaml", "        value: 3600 yuan/year\n", "        value: 3660 yuan/year\n")
    a, b = PolicyLibrary.open(first), PolicyLibrary.open(second)
    assert a.resolve("demo", date(2019, 6, 1)).digest != b.resolve("demo", date(2019, 6, 1)).digest
    assert a.resolve("demo", date(2018, 6, 1)).digest == b.resolve("demo", date(2018, 6, 1)).digest
    # the county sets its own standard from 2019, so its policy is unchanged
    assert a.resolve("demo/lanshan", date(2019, 6, 1)).digest == b.resolve("demo/lanshan", date(2019, 6, 1)).digest


def test_a_changed_rule_changes_the_digest(tmp_path: Path) -> None:
    first = _copy(tmp_path, "first")
    second = _copy(tmp_path, "second")
    _edit(second / "demo" / "policy.yaml", "heating.allowance_monthly * household.size",
          "heating.allowance_monthly * (household.size + 1)")
    a, b = PolicyLibrary.open(first), PolicyLibrary.open(second)
    assert a.resolve("demo", date(2019, 6, 1)).digest != b.resolve("demo", date(2019, 6, 1)).digest


def test_trailing_zeros_do_not_change_the_digest(tmp_path: Path) -> None:
    first = _copy(tmp_path, "first")
    second = _copy(tmp_path, "second")
    _edit(second / "demo" / "policy.yaml", "        value: 3210 yuan/year\n", "        value: 3210.00 yuan/year\n")
    a, b = PolicyLibrary.open(first), PolicyLibrary.open(second)
    assert a.resolve("demo", date(2018, 1, 1)).digest == b.resolve("demo", date(2018, 1, 1)).digest


# --- dates the policy does not answer for ----------------------------------------------------------


@pytest.mark.parametrize(("day", "message"), [
    ("2015-12-31", "demo answers from 2016-01-01, the first date its own rules cover (their date of effect); "
                   "2015-12-31 is before it"),
    ("2021-01-01", "demo answers for 2016-01-01 – 2020-12-31; 2021-01-01 is outside its span"),
])
def test_a_date_outside_the_span_names_the_span(library: PolicyLibrary, day: str, message: str) -> None:
    with pytest.raises(DiagnosticError) as raised:
        library.resolve("demo", date.fromisoformat(day))
    (problem,) = raised.value.diagnostics
    assert problem.code == "E-SPAN"
    assert problem.message == message
    assert problem.span is not None and problem.span.file.endswith("policies/demo/policy.yaml")
    with pytest.raises(DiagnosticError, match="answers"):
        outputs(library, "demo", day)


def test_a_must_supply_value_read_by_evaluation_names_the_parameter_and_set(library: PolicyLibrary) -> None:
    assert outputs(library, "demo", "2018-12-31")["income.countable_monthly"] == "50.00"
    with pytest.raises(DiagnosticError) as raised:
        outputs(library, "demo", "2019-03-01")
    (problem,) = raised.value.diagnostics
    assert problem.code == "E-EVAL"
    assert "income.employment_cost_deduction (就业成本扣除) must be supplied for demo on 2019-03-01" in problem.message
    assert "the document leaves the employment-cost deduction to the counties" in problem.message
    assert "--set income.employment_cost_deduction=VALUE" in problem.message
    # located where the rule in force reads it
    assert problem.span is not None
    assert problem.span.file.endswith("policies/demo/policy.yaml")
    assert (problem.span.line, problem.span.column) == (89, 62)
    supplied = outputs(library, "demo", "2019-03-01", {"income.employment_cost_deduction": "20"})
    assert supplied["income.countable_monthly"] == "30.00"


def test_a_must_supply_message_names_the_dates_its_values_cover(library: PolicyLibrary) -> None:
    with pytest.raises(DiagnosticError) as raised:
        outputs(library, "demo", "2019-03-01")
    message = raised.value.diagnostics[0].message
    assert "2016-01-01 – 2018-12-31" in message
    assert "2019-01-01 – open" in message


def test_a_must_supply_message_names_the_date_asked_for(tmp_path: Path) -> None:
    library = PolicyLibrary.open(_copy(tmp_path, "fresh"))
    messages = {}
    for day in ("2019-03-01", "2019-06-30"):
        with pytest.raises(DiagnosticError) as raised:
            outputs(library, "demo", day)
        messages[day] = raised.value.diagnostics[0].message
    assert "must be supplied for demo on 2019-03-01" in messages["2019-03-01"]
    assert "must be supplied for demo on 2019-06-30" in messages["2019-06-30"]


def test_a_date_a_parameter_does_not_cover_names_the_covered_dates() -> None:
    """The standard in ``coverage-gap-within-a-month`` has no value for 15–30 June 2017."""
    checked = check_tree(load_tree(GAP)).regions["demo"]
    on_the_last_day = resolve(checked.chain, date(2017, 6, 14))
    assert on_the_last_day.values["dibao.standard_annual"] == Decimal("3000")
    in_the_gap = resolve(checked.chain, date(2017, 6, 20)).values["dibao.standard_annual"]
    assert isinstance(in_the_gap, Unavailable)
    assert in_the_gap.message == (
        "dibao.standard_annual (农村低保标准) has no value on 2017-06-20 in demo; its values cover "
        "2016-01-01 – 2017-06-14, 2017-07-01 – open; supply one with --set dibao.standard_annual=VALUE or in a "
        "--params file")


# --- the JSON Schema ------------------------------------------------------------------------------


def test_the_exported_schema_is_the_engine_schema() -> None:
    exported = (REPOSITORY / "schema" / "policy.schema.json").read_text(encoding="utf-8")
    assert exported == schema_json()
    assert json.loads(exported)["$id"].endswith("/policy.schema.json")


def test_dibao_schema_prints_the_schema() -> None:
    done = dibao("schema")
    assert done.returncode == 0, done.stderr
    assert done.stdout == schema_json()
