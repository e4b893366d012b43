"""The checker returns a checked copy of each expression whose every node carries its type."""

from __future__ import annotations

import pytest

from engine.language import syntax as s
from engine.language import types as t
from engine.language.checker import check_expression, check_program
from engine.language.definitions import Definition
from engine.language.parser import parse_expression

TEXT = ('max(m.age for m in members where m.age >= 18 else 0) * 10 yuan/month'
        ' + (if household.size > 2 then 10 yuan/month else 0)')


def test_every_node_of_a_checked_expression_carries_its_type() -> None:
    node = parse_expression(TEXT)
    checked, result = check_expression(node)
    assert not result.diagnostics
    assert all(n.type is not None for n in s.walk(checked))
    assert s.type_of(checked) == t.MONEY_MONTH
    condition = next(n for n in s.walk(checked) if isinstance(n, s.Binary) and n.op == ">=")
    assert (s.type_of(condition), s.type_of(condition.left)) == (t.BOOL, t.INT)


def test_the_parsed_tree_is_left_untyped_and_equal_to_its_checked_copy() -> None:
    node = parse_expression(TEXT)
    checked, _ = check_expression(node)
    assert all(n.type is None for n in s.walk(node))
    assert checked == node  # the type is not part of a node's identity as syntax


def test_check_program_keeps_each_definitions_checked_bodies_in_order() -> None:
    bodies = (parse_expression("1 + 2"), parse_expression("3"))
    definition = Definition("n", "rule", t.INT, bodies[0].span, bodies)
    result = check_program({"n": definition})
    assert [s.type_of(b) for b in result.bodies["n"]] == [t.INT, t.INT]
    assert result.bodies["n"] == bodies


def test_a_binary_node_takes_only_the_languages_operators() -> None:
    assert s.binary_op("not in") == "not in"
    with pytest.raises(ValueError, match="not an operator"):
        s.binary_op("**")
