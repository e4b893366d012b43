"""The generators of ``engine.household.strategies``: every household validates, and they cover the record."""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st

from engine.base.diagnostics import DiagnosticError
from engine.household.record import (
    CERTIFICATES,
    DISABILITY_CATEGORIES,
    EVENT_CAUSES,
    EVENT_KINDS,
    EXPENSE_KINDS,
    INCOME_KINDS,
    LABOUR_CAPACITIES,
    validate_household,
)
from engine.household.strategies import households, random_household
from engine.language.builtins import age_on
from engine.language.checker import check_expression
from engine.language.expression_strategies import expression_texts, random_expression_text
from engine.language.parser import parse_expression

AS_OF = date(2021, 7, 1)
FAST = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _amounts(record: dict) -> list[str]:
    found = [f["amount"] for m in record["members"] for f in (*m.get("incomes", ()), *m.get("expenses", ()))]
    return found + [r["amount"] for r in record.get("requests", ())]


@FAST
@given(households())
def test_every_generated_household_validates(record: dict) -> None:
    household = validate_household(record)
    assert len(household.members) == len(record["members"])
    assert json.loads(json.dumps(record, ensure_ascii=False)) == record  # plain JSON values only


@FAST
@given(st.dates(date(2016, 1, 1), date(2026, 12, 31)).flatmap(lambda d: st.tuples(st.just(d), households(as_of=d))))
def test_dates_are_placed_around_the_evaluation_date(case: tuple[date, dict]) -> None:
    as_of, record = case
    for member in record["members"]:
        assert 0 <= age_on(date.fromisoformat(member["birth_date"]), as_of) <= 100
    for event in record.get("events", ()):
        assert as_of - timedelta(days=3 * 365) <= date.fromisoformat(event["date"]) <= as_of
    for key in ("dibao_since", "monitored_since"):
        since = record.get("status", {}).get(key)
        assert since is None or date.fromisoformat(since) <= as_of


@FAST
@given(households())
def test_amounts_are_decimal_strings_from_0_to_20000_with_at_most_two_places(record: dict) -> None:
    for amount in _amounts(record):
        assert isinstance(amount, str)
        assert re.fullmatch(r"[0-9]+(\.[0-9]{1,2})?", amount), amount
        assert 0 <= float(amount) <= 20000


@FAST
@given(households(min_members=2, max_members=3))
def test_member_counts_stay_in_bounds(record: dict) -> None:
    assert 2 <= len(record["members"]) <= 3
    ids = [m["id"] for m in record["members"]]
    assert len(ids) == len(set(ids))
    for request in record.get("requests", ()):
        if request["kind"] == "medical_assistance":
            assert request["member"] in ids


@pytest.mark.parametrize("sizes", [(0, 1), (3, 2), (1, 51)])
def test_impossible_member_counts_are_refused(sizes: tuple[int, int]) -> None:
    with pytest.raises(ValueError):
        households(*sizes)


def test_random_households_cover_every_kind_of_the_record() -> None:
    rng = random.Random(11)
    seen: Counter[str] = Counter()
    for _ in range(800):
        record = random_household(rng, 1, 6, AS_OF)
        validate_household(record)
        for member in record["members"]:
            born = date.fromisoformat(member["birth_date"])
            age = age_on(born, AS_OF)
            seen["minor" if age < 18 else "elderly" if age >= 60 else "adult"] += 1
            if born == AS_OF.replace(year=AS_OF.year - 18):
                seen["18 today"] += 1
            if born == AS_OF.replace(year=AS_OF.year - 60):
                seen["60 today"] += 1
            disability = member.get("disability")
            if disability:
                seen[f"grade {disability['grade']}"] += 1
                seen[f"category {disability['category']}"] += 1
                seen[f"certificate {disability['certificate']}"] += 1
            seen[f"capacity {member['labour_capacity']}"] += 1
            for flag in ("seriously_ill", "employed", "applies_single_person"):
                if flag in member:
                    seen[f"{flag} {member[flag]}"] += 1
            for income in member.get("incomes", ()):
                seen[f"income {income['kind']}"] += 1
                seen[f"per {income['per']}"] += 1
            for expense in member.get("expenses", ()):
                seen[f"expense {expense['kind']}"] += 1
        for key, value in record.get("status", {}).items():
            seen[f"status {key} {'set' if isinstance(value, str) else value}"] += 1
        for event in record.get("events", ()):
            seen[f"event {event['kind']} {event.get('cause')}"] += 1
        for request in record.get("requests", ()):
            seen[f"request {request['kind']}"] += 1
            if request["kind"] == "temporary_assistance":
                seen[f"temporary {request['amount']}"] += 1
    wanted = {"minor", "adult", "elderly", "18 today", "60 today"}
    wanted |= {f"grade {g}" for g in range(1, 5)}
    wanted |= {f"category {c}" for c in DISABILITY_CATEGORIES} | {f"certificate {c}" for c in CERTIFICATES}
    wanted |= {f"capacity {c}" for c in LABOUR_CAPACITIES}
    wanted |= {f"{flag} {value}" for flag in ("seriously_ill", "employed", "applies_single_person")
               for value in (True, False)}
    wanted |= {f"income {k}" for k in INCOME_KINDS} | {f"expense {k}" for k in EXPENSE_KINDS}
    wanted |= {"per month", "per year"}
    wanted |= {f"event {kind} {cause}" for kind in EVENT_KINDS for cause in EVENT_CAUSES[kind]}
    wanted |= {f"event {kind} None" for kind in EVENT_KINDS if not EVENT_CAUSES[kind]}
    wanted |= {f"status {k} {v}" for k in ("registered_poor", "lifted_out", "tekun", "children_support_sufficient")
               for v in (True, False)}
    wanted |= {f"status {k} {v}" for k in ("dibao_since", "monitored_since") for v in ("set", None)}
    wanted |= {"request temporary_assistance", "request medical_assistance"}
    wanted |= {"temporary 999.99", "temporary 1000", "temporary 1000.01"}
    assert wanted - set(seen) == set()


def test_hypothesis_finds_the_edges_too() -> None:
    """The strategy (not only the seeded front end) reaches the birthday and amount edges."""
    quick = settings(max_examples=2000, deadline=None, database=None, phases=[Phase.generate],
                     suppress_health_check=list(HealthCheck))
    sixty = find(households(as_of=AS_OF), lambda r: any(m["birth_date"] == "1961-07-01" for m in r["members"]),
                 settings=quick)
    assert validate_household(sixty)
    edge = find(households(as_of=AS_OF), lambda r: any(q["amount"] == "1000.01" for q in r.get("requests", ())),
                settings=quick)
    assert validate_household(edge)


def test_the_same_seed_gives_the_same_records_and_texts() -> None:
    first = [random_household(random.Random(5)) for _ in range(3)]
    again = [random_household(random.Random(5)) for _ in range(3)]
    assert first == again
    assert random_expression_text(random.Random(9)) == random_expression_text(random.Random(9))


def _outcome(text: str) -> str:
    try:
        node = parse_expression(text)
    except DiagnosticError:
        return "syntax"
    _found, result = check_expression(node)
    return "checks" if result.ok else "check error"


@FAST
@given(expression_texts())
def test_expression_texts_parse_and_check_without_crashing(text: str) -> None:
    assert _outcome(text) in ("syntax", "checks", "check error")


def test_expression_texts_are_mostly_well_formed_and_cover_the_language() -> None:
    rng = random.Random(3)
    texts = [random_expression_text(rng) for _ in range(1500)]
    outcomes = Counter(_outcome(text) for text in texts)
    assert outcomes["checks"] > 0.5 * len(texts)
    assert outcomes["check error"] > 0.1 * len(texts)
    assert outcomes["syntax"] > 0
    joined = "\n".join(texts)
    for construct in ("if ", " then ", "cases ", "when ", "sum(", "count(", "any(", "all(", "min(", "max(",
                      "first(", "last(", " where ", " else ", "yuan/month", "yuan/year", "元", "%", "months",
                      "working days", "个月", "per_month(", "per_year(", "round(", "add_months(",
                      "add_working_days(", "months_between(", "date(", " in {", " not in ", "not ", " and ",
                      " or ", "==", "<=", "household.size", "as_of", "status.on_dibao", '"', "m.age", "i.monthly",
                      "e.date"):
        assert construct in joined, construct
    assert re.search(r"\b20\d\d-\d\d-\d\d\b", joined)
