"""Syntax: the frozen dataclass nodes an expression is parsed into.

Every node carries the ``Span`` of its first character in the file it came from (for
an expression inside YAML, the position in the YAML file). Nodes are plain data: the
checker returns a checked copy of each tree whose every node carries its ``type`` (read
with ``type_of``), which the interpreter and the column compiler use to pick exact
operations; the formatter prints them back in a canonical form that ``diff`` compares.
"""

from __future__ import annotations

import typing
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from engine.base.diagnostics import Span
from engine.language.types import ANY, Type

LiteralKind = typing.Literal["number", "money", "percent", "duration", "date", "text", "bool"]
UnaryOp = typing.Literal["-", "not"]
ArithmeticOp = typing.Literal["+", "-", "*", "/"]
ComparisonOp = typing.Literal["==", "!=", "<", "<=", ">", ">="]
LogicalOp = typing.Literal["and", "or"]
MembershipOp = typing.Literal["in", "not in"]
BinaryOp = ArithmeticOp | ComparisonOp | LogicalOp | MembershipOp

ARITHMETIC_OPS: tuple[ArithmeticOp, ...] = typing.get_args(ArithmeticOp)
COMPARISON_OPS: tuple[ComparisonOp, ...] = typing.get_args(ComparisonOp)
BINARY_OPS: tuple[str, ...] = (*ARITHMETIC_OPS, *COMPARISON_OPS, *typing.get_args(LogicalOp),
                               *typing.get_args(MembershipOp))


def binary_op(text: str) -> BinaryOp:
    """The operator a parsed token spells (the grammar lets through only these)."""
    if text not in BINARY_OPS:
        raise ValueError(f"not an operator: {text!r}")
    return typing.cast(BinaryOp, text)


@dataclass(frozen=True, slots=True)
class Node:
    """Base of every expression node; ``type`` is set on the checked copy the checker returns."""

    span: Span
    type: Type | None = field(default=None, kw_only=True, compare=False, repr=False)


def type_of(node: Node) -> Type:
    """A checked node's type (``any`` for a node the checker has not seen)."""
    return node.type if node.type is not None else ANY


@dataclass(frozen=True, slots=True)
class Literal(Node):
    """A constant: ``kind`` is number, money, percent, duration, date, text or bool.

    ``value`` holds the exact value (Decimal, int, date, str, bool); ``unit`` is the money
    period (``month``/``year``/``""`` for a lump sum) or the duration unit.
    """

    kind: LiteralKind
    value: Decimal | int | date | str | bool
    unit: str = ""


@dataclass(frozen=True, slots=True)
class Name(Node):
    """A dotted name: a parameter, a rule, a household field or a bound variable's field."""

    parts: tuple[str, ...]

    @property
    def dotted(self) -> str:
        return ".".join(self.parts)


@dataclass(frozen=True, slots=True)
class Unary(Node):
    """``-x`` or ``not x``."""

    op: UnaryOp
    operand: Node


@dataclass(frozen=True, slots=True)
class Binary(Node):
    """Arithmetic (+ - * /), comparison (== != < <= > >=), ``and``, ``or``, ``in``, ``not in``."""

    op: BinaryOp
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class SetLiteral(Node):
    """``{"a", "b"}``: the right-hand side of ``in``."""

    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Call(Node):
    """A built-in function call."""

    function: str
    args: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Aggregate(Node):
    """``sum(body for var in source where condition else default)`` and the like."""

    function: str
    body: Node
    var: str
    source: Node
    condition: Node | None
    default: Node | None


@dataclass(frozen=True, slots=True)
class If(Node):
    """``if condition then a else b``."""

    condition: Node
    then: Node
    otherwise: Node


@dataclass(frozen=True, slots=True)
class CaseRow:
    """One row of a decision table: ``when condition then value``."""

    span: Span
    condition: Node
    value: Node


@dataclass(frozen=True, slots=True)
class Cases(Node):
    """A first-match decision table; ``otherwise`` is the fallback row's value."""

    rows: tuple[CaseRow, ...]
    otherwise: Node | None


def children(node: Node) -> tuple[Node, ...]:
    """The direct sub-expressions of a node, in source order."""
    match node:
        case Unary(operand=operand):
            return (operand,)
        case Binary(left=left, right=right):
            return (left, right)
        case SetLiteral(items=items) | Call(args=items):
            return items
        case Aggregate(source=source, body=body, condition=condition, default=default):
            return (source, body, *(n for n in (condition, default) if n is not None))
        case If(condition=condition, then=then, otherwise=otherwise):
            return (condition, then, otherwise)
        case Cases(rows=rows, otherwise=otherwise):
            cells = tuple(n for row in rows for n in (row.condition, row.value))
            return cells + ((otherwise,) if otherwise is not None else ())
    return ()


def walk(node: Node) -> Iterator[Node]:
    """Every node of a tree, parents before children."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(children(current)))
