"""Regression tests for what the fuzzing run (``bench/robustness.py``) found in the engine.

Each test holds the smallest input found and says what must happen instead: a located
diagnostic or the right value, never another exception. A test of a problem not fixed
yet is marked ``xfail(strict=True)``: once the engine is fixed the test passes, the
strict marker turns that into a failure, and the marker is removed.
"""

from __future__ import annotations

import json
import time
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from engine.base.diagnostics import DiagnosticError
from engine.household.record import validate_household
from engine.language import syntax as s
from engine.language import types as t
from engine.language.checker import check_expression
from engine.language.parser import parse_expression
from engine.policy.resolve import RuleCode
from engine.runtime.interpreter import Program
from engine.runtime.outputs import render

EXAMPLE = Path(__file__).resolve().parents[1] / "household" / "good" / "contract_example.json"
AS_OF = date(2021, 8, 1)


def outcome(text: str) -> tuple[str, Any]:
    """("value", v) for an expression that checks and evaluates on a two-member household,
    ("diagnostics", [...]) when the engine refuses it with diagnostics. Any other
    exception propagates: that is the bug."""
    try:
        node = parse_expression(text)
    except DiagnosticError as error:
        return "diagnostics", error.diagnostics
    checked, result = check_expression(node)
    if not result.ok:
        return "diagnostics", result.diagnostics
    record = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    record["members"].append({**record["members"][0], "id": "p2"})
    program = Program({"value": RuleCode("value", s.type_of(checked), checked)}, {})
    try:
        values, _members = program.evaluate(validate_household(record), AS_OF, ["value"])
    except DiagnosticError as error:
        return "diagnostics", error.diagnostics
    return "value", values["value"]


def refused_with_a_place(text: str) -> None:
    kind, found = outcome(text)
    assert kind == "diagnostics", found
    assert all(d.code and d.message and d.span is not None for d in found)


# --- crashes (fixed) ------------------------------------------------------------------------


def test_integer_literal_of_4301_digits_is_refused_with_a_diagnostic() -> None:
    """Was: ValueError (Python's int() digit limit) in the parser's number literal."""
    refused_with_a_place("9" * 4301)


def test_duration_of_4301_digits_is_refused_with_a_diagnostic() -> None:
    """Was: ValueError (int digit limit) in the parser's duration literal."""
    refused_with_a_place("as_of + " + "9" * 4301 + " days")


def test_a_date_in_a_year_of_4400_digits_is_refused_with_a_diagnostic() -> None:
    """Was: date() of a 4400-digit product formatted the year in its message: ValueError."""
    nines = "9" * 2200
    refused_with_a_place(f"date({nines} * {nines}, 1, 1)")


def test_durations_compare() -> None:
    """Was: the checker accepted ordering durations, the interpreter compared two Duration
    objects: TypeError '<' not supported."""
    kind, value = outcome("3 months < 4 months")
    assert kind == "diagnostics" or value is True


def test_the_largest_of_several_durations() -> None:
    """Was: max(…) over durations compared Duration objects: TypeError '>' not supported."""
    kind, value = outcome("as_of + max(3 months for m in members)")
    assert kind == "diagnostics" or value == date(2021, 11, 1)


def test_durations_add() -> None:
    """Was: duration + duration handed two Duration objects to exact.add: TypeError."""
    kind, value = outcome("as_of + (3 months + 4 months)")
    assert kind == "diagnostics" or value == date(2022, 3, 1)


def test_durations_subtract() -> None:
    """Was: duration - duration: TypeError in exact.sub."""
    kind, value = outcome("as_of + (22 working days - 12 working days)")
    assert kind == "diagnostics" or isinstance(value, date)


# --- crashes (fixed) -----------------------------------------------------------------------------


def test_an_aggregate_default_of_another_type() -> None:
    kind, value = outcome("add_months(as_of, first(0 for e in events where false else 150%))")
    assert kind == "diagnostics" or value == date(2022, 9, 1), value


def test_an_aggregate_default_of_another_enumeration() -> None:
    text = 'last(first(e.kind for e in events where false else ev.cause) for ev in events) == "migrant_work"'
    assert outcome(text) == ("value", True)


def test_a_huge_rate_renders() -> None:
    assert render(Decimal(10**29), t.RATE) == str(10**29) + ".00"


def test_money_of_30_digits_renders_with_its_digits() -> None:
    assert render(Decimal("9" * 30), t.MONEY_YEAR) == "9" * 30 + ".00"


def test_a_record_full_of_errors_is_validated_within_a_second() -> None:
    income = {"kind": "wages", "amount": "1,000", "per": "month"}
    record = {"id": "X", "hukou": "hebi", "members": [
        {"id": f"p{i}", "birth_date": "1980-01-01", "labour_capacity": "full", "incomes": [income] * 24}
        for i in range(50)]}
    start = time.perf_counter()
    with pytest.raises(DiagnosticError) as caught:
        validate_household(record)
    assert len(caught.value.diagnostics) == 1200
    assert time.perf_counter() - start < 1.0


# --- values of the wrong type (fixed) -------------------------------------------------------------


def test_text_and_a_literal_join_as_text() -> None:
    """Was: text joined with a text literal was typed as an enumeration of that literal, so
    comparing it with another text was refused (E-ENUM "'hebi' is not a ; the values are: p1")."""
    kind, value = outcome('(if true then household.hukou else "p1") == "HB"')
    assert (kind, value) == ("value", False)


def test_round_of_an_int_is_what_its_type_says() -> None:
    """Was: round(int) was checked as int but evaluated to Decimal('1.00')."""
    node = parse_expression("round(1)")
    checked, _result = check_expression(node)
    found = s.type_of(checked)
    kind, value = outcome("round(1)")
    assert kind == "value"
    assert (found, type(value)) in ((t.INT, int), (t.NUMBER, Decimal))


def test_a_duration_is_in_a_set_of_durations() -> None:
    """Was: membership in a constant set of durations compared the Duration value with the
    literals' bare counts, so `3 months in {3 months}` was false."""
    kind, value = outcome("3 months in {3 months}")
    assert kind == "diagnostics" or value is True
