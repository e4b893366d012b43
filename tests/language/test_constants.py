"""Constants (parameter values, ``--set`` values) are evaluated without the interpreter."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from engine.language.builtins import Duration
from engine.language.checker import check_expression
from engine.language.constants import ConstantError, constant_value
from engine.language.parser import parse_expression


def value_of(text: str) -> object:
    checked, result = check_expression(parse_expression(text))
    assert not [d for d in result.diagnostics if d.severity == "error"], result.diagnostics
    return constant_value(checked)


@pytest.mark.parametrize(("text", "expected"), [
    ("3450 yuan/year", Decimal(3450)),
    ("12 * 280.5 yuan/month", Decimal("3366.0")),
    ("-5", -5),
    ('{"a", "b"}', frozenset({"a", "b"})),
    ("date(2017, 10, 1) + 3 months", date(2018, 1, 1)),
    ("2 months + 1 months", Duration(3, "months")),
    ("1 / 3 * 3", Decimal(1)),
    ("if 2 > 1 then 10% else 20%", Decimal("0.10")),
    ('"a" in {"a"} and not false', True),
    ("round(2.345)", Decimal("2.35")),
])
def test_a_constant_has_its_exact_value(text: str, expected: object) -> None:
    assert value_of(text) == expected


def test_a_name_is_not_a_constant_and_is_refused_where_it_stands() -> None:
    checked, _ = check_expression(parse_expression("1 + household.size"))
    with pytest.raises(ConstantError) as raised:
        constant_value(checked)
    [problem] = raised.value.diagnostics
    assert problem.code == "E-CONSTANT" and "household.size is a name" in problem.message
    assert problem.span is not None and problem.span.column == 5


def test_a_built_in_that_refuses_its_arguments_is_located() -> None:
    checked, _ = check_expression(parse_expression("date(2017, 2, 30)"))
    with pytest.raises(ConstantError) as raised:
        constant_value(checked)
    assert raised.value.diagnostics[0].code == "E-EVAL"
