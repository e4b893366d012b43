"""Valid households: the contract example, defaults, exact money and dates, sorting."""

from __future__ import annotations

import datetime as dt
import json
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from engine.base.diagnostics import DiagnosticError
from engine.household.record import (
    EVENT_CAUSES,
    EVENT_KINDS,
    INCOME_KINDS,
    Disability,
    Event,
    Expense,
    Household,
    Income,
    Request,
    Status,
    household_errors,
    load_household,
    validate_household,
)

EXAMPLE = Path(__file__).parent / "good" / "contract_example.json"
BUNDLED = Path(__file__).resolve().parents[2] / "examples" / "households" / "contract_example.json"


def example() -> dict[str, object]:
    record = json.loads(EXAMPLE.read_text(encoding="utf-8"), parse_float=Decimal)
    assert isinstance(record, dict)
    return record


def minimal() -> dict[str, object]:
    return {
        "id": "X-1",
        "hukou": "suining",
        "members": [{"id": "a", "birth_date": "1980-05-06", "labour_capacity": "full"}],
    }


def test_contract_example_validates() -> None:
    household = load_household(EXAMPLE)
    assert household.id == "HB-0001"
    assert household.hukou == "hebi"
    (member,) = household.members
    assert member.birth_date == dt.date(1950, 3, 1)
    assert member.disability == Disability(1, "physical", "second_generation")
    assert member.labour_capacity == "none"
    assert member.incomes == (
        Income("wages", Decimal("1200"), "month"),
        Income("basic_pension_base", Decimal("103"), "month"),
    )
    assert member.expenses == (Expense("medical", Decimal("5000"), "year"),)
    assert household.status == Status(
        registered_poor=True,
        lifted_out=False,
        dibao_since=dt.date(2016, 1, 1),
        tekun=False,
        monitored_since=None,
        children_support_sufficient=False,
    )
    assert household.requests == (
        Request("temporary_assistance", Decimal("800"), None),
        Request("medical_assistance", Decimal("10000"), "p1"),
    )


def test_contract_example_types_are_exact() -> None:
    household = validate_household(example())
    for member in household.members:
        assert isinstance(member.birth_date, dt.date)
        amounts = [i.amount for i in member.incomes] + [e.amount for e in member.expenses]
        assert all(type(amount) is Decimal for amount in amounts)
    for request in household.requests:
        assert type(request.amount) is Decimal
    for event in household.events:
        assert type(event.date) is dt.date


def test_events_are_sorted_by_date() -> None:
    household = validate_household(example())
    assert household.events == (
        Event("shock", dt.date(2021, 2, 10), "illness"),
        Event("monitoring_application", dt.date(2021, 3, 1), None),
        Event("income_exceeded", dt.date(2021, 8, 15), "migrant_work"),
    )


def test_event_sort_is_stable() -> None:
    record = minimal()
    record["events"] = [
        {"kind": "shock", "date": "2021-05-01", "cause": "illness"},
        {"kind": "monitoring_application", "date": "2021-01-01"},
        {"kind": "shock", "date": "2021-05-01", "cause": "disaster"},
    ]
    causes = [e.cause for e in validate_household(record).events]
    assert causes == [None, "illness", "disaster"]


def test_bundled_example_is_the_contract_example() -> None:
    assert BUNDLED.read_text(encoding="utf-8") == EXAMPLE.read_text(encoding="utf-8")


def test_defaults() -> None:
    household = validate_household(minimal())
    (member,) = household.members
    assert member.disability is None
    assert member.seriously_ill is False
    assert member.employed is False
    assert member.applies_single_person is False
    assert member.incomes == ()
    assert member.expenses == ()
    assert household.status == Status(False, False, None, False, None, False)
    assert household.events == ()
    assert household.requests == ()


def test_null_where_the_default_is_null() -> None:
    record = minimal()
    record["members"][0]["disability"] = None  # type: ignore[index]
    record["status"] = {"dibao_since": None, "monitored_since": None}
    record["events"] = [{"kind": "expenditure_resolved", "date": "2022-01-01", "cause": None}]
    record["requests"] = [{"kind": "medical_assistance", "amount": "0", "member": None}]
    household = validate_household(record)
    assert household.members[0].disability is None
    assert household.events[0].cause is None
    assert household.requests[0] == Request("medical_assistance", Decimal(0), None)


def test_monthly_and_annual_are_exact() -> None:
    monthly = Income("wages", Decimal("1200"), "month")
    yearly = Expense("medical", Decimal("5000"), "year")
    assert monthly.monthly == Decimal("1200")
    assert monthly.annual == Decimal("14400")
    assert yearly.annual == Decimal("5000")
    assert yearly.monthly == Fraction(1250, 3)  # exact: a yearly 5000 is 416.66… a month, not cut short
    assert yearly.monthly * 12 == Decimal("5000")
    assert Income("other", Decimal("3210"), "year").monthly == Decimal("267.5")


@pytest.mark.parametrize(
    ("given", "amount"),
    [
        ("267.50", Decimal("267.50")),
        ("0", Decimal("0")),
        ("-0", Decimal("0")),
        (Decimal("1E+3"), Decimal("1000")),
        (1200, Decimal("1200")),
        (Decimal("0.10"), Decimal("0.10")),
        (0.1, Decimal("0.1")),  # a Python float is read from its shortest repr
        ("1000000000000", Decimal("1000000000000")),
    ],
)
def test_amounts(given: object, amount: Decimal) -> None:
    record = minimal()
    record["members"][0]["incomes"] = [{"kind": "wages", "amount": given, "per": "month"}]  # type: ignore[index]
    parsed = validate_household(record).members[0].incomes[0].amount
    assert parsed == amount
    assert str(parsed) == str(amount)


def test_binary_float_noise_is_rejected() -> None:
    record = minimal()
    record["members"][0]["incomes"] = [{"kind": "wages", "amount": 0.1 + 0.2, "per": "month"}]  # type: ignore[index]
    (diagnostic,) = household_errors(record)
    assert "at most 2 decimal places" in diagnostic.message


def test_date_objects_are_accepted_but_not_datetimes() -> None:
    record = minimal()
    record["members"][0]["birth_date"] = dt.date(1980, 5, 6)  # type: ignore[index]
    assert validate_household(record).members[0].birth_date == dt.date(1980, 5, 6)
    record["members"][0]["birth_date"] = dt.datetime(1980, 5, 6, 12, 0)  # type: ignore[index]
    (diagnostic,) = household_errors(record)
    assert diagnostic.message.startswith("members[0].birth_date: must be a date written YYYY-MM-DD")


def test_tuples_and_other_mappings_are_accepted() -> None:
    from types import MappingProxyType

    record = minimal()
    record["members"] = (MappingProxyType(record["members"][0]),)  # type: ignore[index]
    assert isinstance(validate_household(MappingProxyType(record)), Household)


def test_errors_are_sorted_by_path_with_numeric_indices() -> None:
    record = minimal()
    member = record["members"][0]  # type: ignore[index]
    record["members"] = [dict(member, id=f"m{i}") for i in range(12)]
    record["members"][10]["labour_capacity"] = "lots"  # type: ignore[index]
    record["members"][2]["birth_date"] = "1980-02-30"  # type: ignore[index]
    record["members"][2]["employed"] = "no"  # type: ignore[index]
    record["zzz"] = 1
    record["hukou"] = "X"
    paths = [d.message.split(": ", 1)[0] for d in household_errors(record)]
    assert paths == [
        "hukou",
        "members[2].birth_date",
        "members[2].employed",
        "members[10].labour_capacity",
        "zzz",
    ]


def test_validate_raises_with_all_problems() -> None:
    record = minimal()
    record["members"][0]["salary"] = 1  # type: ignore[index]
    record["hukou"] = 7
    with pytest.raises(DiagnosticError) as raised:
        validate_household(record, source="cases.jsonl", line=12)
    lines = str(raised.value).splitlines()
    assert lines == [
        "cases.jsonl:12:1: error[E-HOUSEHOLD]: hukou: must be a string, not an integer (7) (record X-1)",
        "cases.jsonl:12:1: error[E-HOUSEHOLD]: members[0].salary: unknown field (record X-1)",
    ]


def test_suggestions_for_misspelt_names() -> None:
    record = minimal()
    member = record["members"][0]  # type: ignore[index]
    member["birthdate"] = member.pop("birth_date")
    member["incomes"] = [{"kind": "wage", "amount": "1", "per": "month"}]
    suggestions = {d.message.split(": ", 1)[0]: d.suggestion for d in household_errors(record)}
    assert suggestions == {
        "members[0].birth_date": None,
        "members[0].birthdate": "birth_date",
        "members[0].incomes[0].kind": "wages",
    }


def test_vocabulary_matches_the_contract() -> None:
    assert len(INCOME_KINDS) == 18  # the contract's 16, and the national list's reward_subsidy, social_assistance
    assert {"reward_subsidy", "social_assistance"} <= INCOME_KINDS
    assert sorted(EVENT_KINDS) == ["expenditure_resolved", "income_exceeded", "income_fell", "monitoring_application",
                                   "shock"]
    assert sorted(EVENT_CAUSES["shock"]) == ["accident", "disaster", "epidemic", "illness", "schooling"]
    assert len(EVENT_CAUSES["income_exceeded"]) == 10
    assert EVENT_CAUSES["monitoring_application"] == frozenset()


def test_households_are_frozen() -> None:
    household = validate_household(example())
    with pytest.raises(AttributeError):
        household.id = "other"  # type: ignore[misc]


def test_validation_from_many_threads() -> None:
    good = example()
    bad = example()
    bad["hukou"] = "Hebi"

    def run(i: int) -> int:
        return len(household_errors(good if i % 2 else bad))

    with ThreadPoolExecutor(max_workers=8) as pool:
        counts = list(pool.map(run, range(400)))
    assert counts == [0 if i % 2 else 1 for i in range(400)]


def test_income_fell_records_the_income_before_and_after() -> None:
    record = minimal()
    record["events"] = [{"kind": "income_fell", "date": "2022-03-01", "income_before": "3000",
                         "income_after": "1200.50", "per": "month"}]
    event = validate_household(record).events[0]
    assert (event.kind, event.cause, event.per) == ("income_fell", None, "month")
    assert (event.income_before, event.income_after) == (Decimal("3000"), Decimal("1200.50"))
