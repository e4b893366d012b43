"""Literals as the checker reads them: a literal's type, the literal 0 standing for money of any
period, the text literals an expression can give as its value, a numeric literal's value."""

from __future__ import annotations

from decimal import Decimal

from engine.language import syntax as s
from engine.language import types as t


def literal_type(node: s.Literal) -> t.Type:
    match node.kind:
        case "money":
            return t.Money(node.unit)
        case "percent":
            return t.RATE
        case "duration":
            return t.Duration(node.unit)
        case "date":
            return t.DATE
        case "text":
            return t.Enum("", frozenset({str(node.value)}))
        case "bool":
            return t.BOOL
    return t.INT if isinstance(node.value, int) else t.NUMBER


def value_literals(node: s.Node) -> list[s.Literal]:
    """The text literals an expression can give as its value (not those in its conditions)."""
    match node:
        case s.Literal(kind="text"):
            return [node]
        case s.If(then=then, otherwise=otherwise):
            return value_literals(then) + value_literals(otherwise)
        case s.Cases(rows=rows, otherwise=otherwise):
            found = [literal for row in rows for literal in value_literals(row.value)]
            return found + (value_literals(otherwise) if otherwise is not None else [])
    return []


def money_zero(node: s.Node, found: t.Type, other: t.Type) -> t.Type:
    """A literal 0 where the other branch is money takes that money's type."""
    return other if isinstance(other, t.Money) and zero_money(node, other) else found


def zero_pair(node: s.Binary, left: t.Type, right: t.Type) -> bool:
    """Money against the literal 0 (``x > 0``, ``x + 0``) is allowed whatever the period."""
    return (isinstance(left, t.Money) and zero_money(node.right, left)) or (
        isinstance(right, t.Money) and zero_money(node.left, right))




def zero_money(node: s.Node, target: t.Type) -> bool:
    """The literal 0 stands for zero money of any period."""
    return isinstance(target, t.Money) and isinstance(node, s.Literal) and node.kind == "number" and node.value == 0




def literal_number(node: s.Node) -> Decimal | int | None:
    """The value of a numeric literal (a minus sign included), or None."""
    match node:
        case s.Unary(op="-", operand=operand):
            inner = literal_number(operand)
            return -inner if inner is not None else None
        case s.Literal(kind="number" | "money" | "percent", value=Decimal() | int() as value) \
                if not isinstance(value, bool):
            return value
    return None
