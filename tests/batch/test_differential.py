"""One meaning, two executions: the columnar batch and the interpreter agree on every output.

Hypothesis draws households (every kind of member, income, event and status) and a date
in each region's span; both paths evaluate them; every rendered output and every
rejection must be the same.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.batch import RegionEvaluator
from engine.builtins import add_months
from engine.consistency import stand_ins
from engine.diagnostics import DiagnosticError
from engine.household import validate_household
from engine.library import PolicyLibrary
from engine.outputs import render
from engine.strategies import households

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
