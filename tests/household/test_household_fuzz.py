"""Property tests: no input makes validation or reading fail with anything but diagnostics."""

from __future__ import annotations

import copy
import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.base.diagnostics import DiagnosticError
from engine.household.record import (
    EVENT_CAUSES,
    EXPENSE_KINDS,
    INCOME_KINDS,
    Household,
    Unreadable,
    parse_household_text,
    read_household_text,
    validate_household,
)

EXAMPLE = json.loads(
    (Path(__file__).parent / "good" / "contract_example.json").read_text(encoding="utf-8")
)
FIELD_NAMES = sorted(
    {
        "id", "hukou", "members", "status", "events", "requests", "birth_date", "disability",
        "grade", "category", "certificate", "seriously_ill", "labour_capacity", "employed",
        "applies_single_person", "incomes", "expenses", "kind", "amount", "per", "date",
        "cause", "member", "dibao_since", "monitored_since", "tekun", "lifted_out",
    }
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.floats(),
    st.text(max_size=12),
    st.sampled_from(["2021-02-30", "1950-03-01", "-1", "1.005", "month", "p1", "shock", ""]),
    st.dates(),
)
keys = st.one_of(st.sampled_from(FIELD_NAMES), st.text(max_size=8))
json_like = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(keys, inner, max_size=5),
    ),
    max_leaves=25,
)


def assert_only_diagnostics(record: object) -> None:
    try:
        household = validate_household(record)
    except DiagnosticError as error:
        assert error.diagnostics
        for diagnostic in error.diagnostics:
            assert diagnostic.code == "E-HOUSEHOLD"
            assert ": " in diagnostic.message
            diagnostic.one_line()
    else:
        assert isinstance(household, Household)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(json_like)
def test_arbitrary_values_raise_only_diagnostics(record: object) -> None:
    assert_only_diagnostics(record)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found.extend(paths(item, (*prefix, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(paths(item, (*prefix, index)))
    return found


EXAMPLE_PATHS = paths(EXAMPLE)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.sampled_from(EXAMPLE_PATHS), json_like, st.booleans(), keys),
        min_size=1,
        max_size=4,
    )
)
def test_mutated_example_raises_only_diagnostics(mutations: list[Any]) -> None:
    record = copy.deepcopy(EXAMPLE)
    for path, value, add_key, key in mutations:
        parent: Any = record
        try:
            for part in path[:-1]:
                parent = parent[part]
            if add_key and isinstance(parent, dict):
                parent[key] = value
            else:
                parent[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue
    assert_only_diagnostics(record)


def test_a_grade_that_is_not_a_finite_number_is_a_diagnostic() -> None:
    for value in (Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity"), float("nan"), float("inf")):
        record = copy.deepcopy(EXAMPLE)
        record["members"][0]["disability"]["grade"] = value
        assert_only_diagnostics(record)


@settings(max_examples=200)
@given(st.text(max_size=200), st.sampled_from(["json", "jsonl", "yaml"]))
def test_arbitrary_text_never_loses_a_record(text: str, fmt: str) -> None:
    raw = list(read_household_text(text, fmt=fmt, source="fuzz"))
    results = list(parse_household_text(text, fmt=fmt, source="fuzz"))
    assert len(raw) == len(results)
    if fmt == "jsonl":
        assert len(results) == sum(1 for line in text.split("\n") if line.strip())
    else:
        assert len(results) == 1
    for (_, item), result in zip(raw, results, strict=True):
        if isinstance(item, Unreadable):
            assert result == list(item.diagnostics)
        assert isinstance(result, (Household, list))


YAML_TOKENS = [
    "!!bool ", "!!float ", "!!int ", "!!str ", "!!null ", "!!timestamp ", "!!binary ", "!!set ",
    "!!omap ", "!!pairs ", "!!python/name:os.system ", "!foo ", "&a ", "*a ", "<<: ", "? ",
    "[", "]", "{", "}", ", ", ": ", "- ", "\n", "  ", "x", "1", "1.5", ".inf", "2021-02-30",
    "1:30", "0x1F", "~", "'", '"', "#", "---\n", "id", "members",
]


@settings(max_examples=300)
@given(st.lists(st.sampled_from(YAML_TOKENS), max_size=30).map("".join))
def test_yaml_tags_and_oddities_never_escape(text: str) -> None:
    (result,) = parse_household_text(text, fmt="yaml", source="fuzz.yaml")
    if isinstance(result, list):
        assert all(d.code in {"E-YAML", "E-HOUSEHOLD"} for d in result)


# Valid records round trip -----------------------------------------------------------

money = st.decimals(min_value=0, max_value=10**12, places=2, allow_nan=False, allow_infinity=False)
days = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31))


@st.composite
def flows(draw: st.DrawFn, kinds: frozenset[str]) -> dict[str, object]:
    amount = draw(money)
    return {
        "kind": draw(st.sampled_from(sorted(kinds))),
        "amount": draw(st.sampled_from([str(amount), amount])),
        "per": draw(st.sampled_from(["month", "year"])),
    }


@st.composite
def valid_records(draw: st.DrawFn) -> dict[str, object]:
    ids = draw(st.lists(st.text(min_size=1, max_size=6).filter(str.strip), min_size=1, max_size=4, unique=True))
    members = [
        {
            "id": member_id,
            "birth_date": draw(days).isoformat(),
            "labour_capacity": draw(st.sampled_from(["full", "partial", "none"])),
            "incomes": draw(st.lists(flows(INCOME_KINDS), max_size=3)),
            "expenses": draw(st.lists(flows(EXPENSE_KINDS), max_size=2)),
        }
        for member_id in ids
    ]
    events = []
    for kind in draw(st.lists(st.sampled_from(sorted(EVENT_CAUSES)), max_size=4)):
        event: dict[str, object] = {"kind": kind, "date": draw(days).isoformat()}
        if kind == "income_fell":
            before = draw(st.integers(1, 10**8))
            event.update(income_before=str(before), income_after=str(draw(st.integers(0, before - 1))),
                         per=draw(st.sampled_from(["month", "year"])))
        if EVENT_CAUSES[kind]:
            event["cause"] = draw(st.sampled_from(sorted(EVENT_CAUSES[kind])))
        events.append(event)
    return {"id": "G", "hukou": "hebi", "members": members, "events": events}


@settings(max_examples=150)
@given(valid_records())
def test_valid_records_keep_every_amount_and_date(record: dict[str, Any]) -> None:
    household = validate_household(record)
    for member, raw in zip(household.members, record["members"], strict=True):
        assert member.birth_date.isoformat() == raw["birth_date"]
        assert [i.amount for i in member.incomes] == [Decimal(i["amount"]) for i in raw["incomes"]]
        assert [e.per for e in member.expenses] == [e["per"] for e in raw["expenses"]]
    dates = [event.date for event in household.events]
    assert dates == sorted(dates)
    falls = [(e["income_before"], e["income_after"]) for e in record["events"] if e["kind"] == "income_fell"]
    assert sorted((str(e.income_before), str(e.income_after)) for e in household.events
                  if e.kind == "income_fell") == sorted(falls)
    text = json.dumps(record, default=str)
    (again,) = parse_household_text(text, fmt="json", source="again")
    assert again == household
