"""One meaning, two executions: the columnar batch and the interpreter agree on every output.

Hypothesis draws households (every kind of member, income, event and status) and a date
in each region's span; both paths evaluate them; every rendered output and every
rejection must be the same.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.base.diagnostics import DiagnosticError
from engine.batch.run import RegionEvaluator
from engine.household.record import validate_household
from engine.household.strategies import households
from engine.language.builtins import add_months
from engine.runtime.library import PolicyLibrary
from engine.runtime.outputs import render
from engine.tools.consistency import stand_ins

LIBRARY = PolicyLibrary.open()
REGIONS = LIBRARY.regions




def supplied(region: str, fill: bool) -> dict[str, str]:
    """Values for what a region leaves to be supplied (or none, to exercise rejections)."""
    chain = LIBRARY.region(region).chain
    if not fill:
        return {}
    return stand_ins(chain)


def interpreter_answers(evaluator: RegionEvaluator, record: Any) -> dict[str, Any] | None:
    household = validate_household(record)
    wanted = [n for n in evaluator.outputs if n in evaluator.program.rules]
    try:
        values, members = evaluator.program.evaluate(household, evaluator.as_of, wanted)
    except DiagnosticError:
        return None
    answer: dict[str, Any] = {}
    for name in evaluator.household_outputs:
        value = values[name] if name in values else evaluator.resolved.values[name]
        if hasattr(value, "message"):
            return None
        answer[name] = render(value, evaluator.types[name])
    for member in household.members:
        for name in evaluator.member_outputs:
            answer[f"{name}[{member.id}]"] = render(members[member.id][name], evaluator.types[name])
    return answer


def as_contract(value: Any) -> Any:
    """A value read back from the answer's Arrow tables, as contract JSON writes it."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def columnar_answers(evaluator: RegionEvaluator, records: list[Any]) -> list[dict[str, Any] | None]:
    valid = [validate_household(r) for r in records]
    answer = evaluator.evaluate(valid)
    rows = {row["id"]: row for row in answer.household.to_pylist()}
    members = {(m["household_id"], m["member_id"]): m for m in answer.member.to_pylist()} if answer.member else {}
    answers: list[dict[str, Any] | None] = []
    for household in valid:
        if household.id not in rows:
            answers.append(None)
            continue
        found = {n: as_contract(rows[household.id][n]) for n in evaluator.household_outputs}
        for member in household.members:
            for name in evaluator.member_outputs:
                found[f"{name}[{member.id}]"] = as_contract(members[(household.id, member.id)][name])
        answers.append(found)
    return answers


@pytest.mark.parametrize("region", REGIONS)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_columnar_and_interpreter_agree(region: str, data: st.DataObject) -> None:
    chain = LIBRARY.region(region).chain
    months = (chain.span_to.year - chain.span_from.year) * 12 + chain.span_to.month - chain.span_from.month
    offset = data.draw(st.integers(0, months), label="month")
    day = data.draw(st.sampled_from([1, 15, 28]), label="day")
    as_of = min(max(add_months(chain.span_from.replace(day=day), offset), chain.span_from), chain.span_to)
    fill = data.draw(st.booleans(), label="supply parameters")
    records = data.draw(st.lists(households(as_of=as_of), min_size=1, max_size=12), label="households")
    for number, record in enumerate(records):
        record["id"] = f"H{number}"
    evaluator = RegionEvaluator(LIBRARY, region, as_of, supplied(region, fill))
    expected = [interpreter_answers(evaluator, r) for r in records]
    assert columnar_answers(evaluator, records) == expected


def test_the_bundled_caseload_agrees_for_every_region() -> None:
    import json
    from pathlib import Path

    folder = Path(__file__).resolve().parents[2] / "examples" / "caseload"
    records = [json.loads(line) for path in sorted(folder.glob("*.jsonl"))
               for line in path.read_text().splitlines()[:300]]
    for region in REGIONS:
        chain = LIBRARY.region(region).chain
        as_of = min(max(date(2021, 9, 30), chain.span_from), chain.span_to)
        evaluator = RegionEvaluator(LIBRARY, region, as_of, supplied(region, True))
        assert columnar_answers(evaluator, records) == [interpreter_answers(evaluator, r) for r in records], region


def _person(**extra: Any) -> dict[str, Any]:
    return {"id": "p1", "birth_date": "1970-01-01", "labour_capacity": "full", **extra}


@pytest.mark.parametrize(("region", "as_of", "records"), [
    ("hebi", date(2017, 6, 1), [  # the review window: the current payment; levels of schooling
        {"id": "A", "hukou": "hebi", "status": {"dibao_since": "2015-01-01", "current_benefit_monthly": "80"},
         "members": [_person(incomes=[{"kind": "wages", "amount": "900", "per": "month"}])]},
        {"id": "B", "hukou": "hebi", "status": {"dibao_since": "2015-01-01"},
         "members": [_person(incomes=[{"kind": "wages", "amount": "900", "per": "month"}])]},
        {"id": "C", "hukou": "hebi", "members": [_person(expenses=[
            {"kind": "education", "amount": "3000", "per": "year", "level": "college"},
            {"kind": "education", "amount": "600", "per": "year", "level": "compulsory"}])]},
        {"id": "D", "hukou": "hebi", "members": [_person(expenses=[{"kind": "education", "amount": "3000",
                                                                     "per": "year"}])]},
        {"id": "E", "hukou": "hebi", "members": [_person(seriously_ill=True, incomes=[
            {"kind": "wages", "amount": "500", "per": "month"}, {"kind": "honour_allowance", "amount": "90",
                                                                 "per": "month"}],
            expenses=[{"kind": "medical", "amount": "900", "per": "month"}])]},
    ]),
    ("yangjiang", date(2022, 6, 1), [  # dispersed and centralised tekun, and one not recorded
        {"id": "F", "hukou": "yangjiang", "status": {"tekun": True, "tekun_support": "dispersed"},
         "members": [_person()]},
        {"id": "G", "hukou": "yangjiang", "status": {"tekun": True, "tekun_support": "centralised"},
         "members": [_person()]},
        {"id": "H", "hukou": "yangjiang", "status": {"tekun": True}, "members": [_person()]},
    ]),
])
@pytest.mark.parametrize("share", ["50%", None])
def test_new_record_fields_agree(region: str, as_of: date, records: list[dict[str, Any]], share: str | None) -> None:
    values = {"income.rigid_expenditure_share": share} if share else {}
    evaluator = RegionEvaluator(LIBRARY, region, as_of, values)
    expected = [interpreter_answers(evaluator, r) for r in records]
    assert columnar_answers(evaluator, records) == expected
    assert any(answer is None for answer in expected) and any(answer is not None for answer in expected)
def batch_from_households(households: list[Any]) -> Any:
    """The columnar batch of validated households, as the batch lays it out."""
    from engine.batch.caseload import batch_of, caseload_from_households
    from engine.batch.column_checks import check

    checked = check(caseload_from_households(households, list(range(1, len(households) + 1))))
    assert not checked.bad.any()
    return batch_of(checked.converted, ~checked.bad)


def test_income_fell_events_are_read_by_the_columnar_path() -> None:
    """Dongtai's sharp-fall limb reads an income_fell event's incomes in both paths, without a fallback."""
    def record(number: int, before: str, after: str, per: str, resolved: bool) -> dict[str, Any]:
        events: list[dict[str, Any]] = [
            {"kind": "shock", "date": "2021-03-10", "cause": "illness"},
            {"kind": "income_fell", "date": "2021-04-01", "income_before": before, "income_after": after, "per": per}]
        if resolved:
            events.append({"kind": "expenditure_resolved", "date": "2022-09-01"})
        return {"id": f"F{number}", "hukou": "dongtai", "events": events, "members": [
            {"id": "p1", "birth_date": "1975-01-01", "labour_capacity": "full",
             "incomes": [{"kind": "wages", "amount": "2500", "per": "month"}]},
            {"id": "p2", "birth_date": "1976-01-01", "labour_capacity": "none"},
            {"id": "p3", "birth_date": "2010-01-01", "labour_capacity": "none"}]}

    records = [record(0, "40000", "18000", "year", False), record(1, "3500", "2500", "month", False),
               record(2, "40000", "18000", "year", True), record(3, "40000", "20000", "year", False),
               record(4, "40000", "20000.01", "year", False)]
    overrides = {"dibao.standard_annual": "9720", "monitoring.sharp_fall_share": "50%"}
    evaluator = RegionEvaluator(LIBRARY, "dongtai", date(2023, 6, 1), overrides)
    computed = evaluator.columnar.run(batch_from_households([validate_household(r) for r in records]),
                                      evaluator.as_of, ["monitoring.include"])["monitoring.include"]
    assert not np.any(computed.bad)
    assert [bool(v) for v in np.broadcast_to(computed.data, (5,))] == [True, False, False, True, False]
    assert columnar_answers(evaluator, records) == [interpreter_answers(evaluator, r) for r in records]


def test_outputs_not_available_are_null_in_both_paths() -> None:
    """Dongtai's measures date is available only for a monitored household: null otherwise, never invented."""
    def record(number: int, monitored_since: str | None) -> dict[str, Any]:
        return {"id": f"N{number}", "hukou": "dongtai", "status": {"monitored_since": monitored_since},
                "members": [{"id": "p1", "birth_date": "1966-06-06", "labour_capacity": "full"}],
                "events": [{"kind": "monitoring_application", "date": "2021-09-28"}] if number % 2 else []}

    records = [record(0, None), record(1, None), record(2, "2021-12-31"), record(3, "2021-08-31")]
    evaluator = RegionEvaluator(LIBRARY, "dongtai", date(2022, 3, 1), {"dibao.standard_annual": "9720"})
    assert "monitoring.measures_from" not in evaluator.interpreted_outputs
    answers = columnar_answers(evaluator, records)
    assert answers == [interpreter_answers(evaluator, r) for r in records]
    assert [a["monitoring.measures_from"] for a in answers if a] == [None, None, "2022-01-01", "2021-09-01"]
    assert [a["monitoring.verification_due_on"] for a in answers if a] == [None, "2021-11-01", None, "2021-11-01"]


@pytest.mark.parametrize("region", LIBRARY.regions)
def test_every_rule_of_every_region_compiles_to_columns(region: str) -> None:
    """No region leaves a rule to the interpreter in a batch (on the first and last day it answers for)."""
    chain = LIBRARY.region(region).chain
    last = chain.span_to if chain.span_to is not None and chain.span_to < date(2100, 1, 1) else date(2025, 12, 31)
    for day in (chain.span_from, last):
        evaluator = RegionEvaluator(LIBRARY, region, day)
        assert evaluator.interpreted_outputs == [], (day, evaluator.columnar.unsupported)
        assert evaluator.columnar.unsupported == {}, day
