"""Constants: the exact value of a checked expression that reads no name.

A parameter's value, a ``--set`` value and a value in a ``--params`` file are constants
in the rules language (``3450 yuan/year``, ``{"a", "b"}``, ``date(2017, 10, 1)``,
``12 * 280 yuan/month``). They are evaluated here, once the checker has typed them,
with the same exact arithmetic and built-ins as rules, but without the interpreter: no
household, no date of evaluation, no program. An expression that reads a name (or goes
through a list) is not a constant and is refused with a located message.
"""

from __future__ import annotations

from typing import Any

from engine.base import exact
from engine.base.diagnostics import Diagnostic, DiagnosticError, Span
from engine.language import syntax as s
from engine.language import types as t
from engine.language.builtins import BUILTINS, BuiltinError, Duration, shift
from engine.language.operators import ARITHMETIC, COMPARISONS, MEMBERSHIP, compared


class ConstantError(DiagnosticError):
    """A constant expression that has no value (it reads a name, or a built-in refuses its arguments)."""


def constant_value(node: s.Node) -> Any:
    """The exact value of a checked constant expression (money as ``Decimal``, a set as ``frozenset``)."""
    try:
        return _value(node)
    except exact.TooLarge as error:
        raise _fail(node.span, "E-EVAL", f"this value is too large: {error}") from None


def literal_value(node: s.Literal) -> Any:
    """A literal's exact value (a duration as a ``Duration``)."""
    if node.kind == "duration":
        assert isinstance(node.value, int)
        return Duration(node.value, node.unit)
    return node.value


def _value(node: s.Node) -> Any:
    match node:
        case s.Literal():
            return literal_value(node)
        case s.Unary(op="not", operand=operand):
            return not _value(operand)
        case s.Unary(operand=operand):
            return -_value(operand)
        case s.Binary():
            return _binary(node)
        case s.SetLiteral(items=items):
            return frozenset(_value(item) for item in items)
        case s.Call(function=function, args=args):
            try:
                return BUILTINS[function].impl(*[_value(a) for a in args])
            except BuiltinError as error:
                raise _fail(node.span, "E-EVAL", str(error)) from None
        case s.If(condition=condition, then=then, otherwise=otherwise):
            return _value(then) if _value(condition) else _value(otherwise)
        case s.Cases(rows=rows, otherwise=otherwise):
            for row in rows:
                if _value(row.condition):
                    return _value(row.value)
            if otherwise is not None:
                return _value(otherwise)
            raise _fail(node.span, "E-EVAL", "no row of the decision table matches")
        case s.Name(dotted=dotted):
            raise _fail(node.span, "E-CONSTANT", f"a value must be a constant; {dotted} is a name "
                        "(write a rule for a computed value)")
    raise _fail(node.span, "E-CONSTANT", "a value must be a constant; an aggregation goes through a list")


def _binary(node: s.Binary) -> Any:
    op = node.op
    if op == "and":
        return _value(node.left) and _value(node.right)
    if op == "or":
        return _value(node.left) or _value(node.right)
    left, right = _value(node.left), _value(node.right)
    if op in MEMBERSHIP or op in COMPARISONS:
        return compared(op, left, right)
    if s.type_of(node.left) == t.DATE:
        try:
            return shift(left, right, 1 if op == "+" else -1)
        except BuiltinError as error:
            raise _fail(node.span, "E-EVAL", str(error)) from None
    if isinstance(left, Duration):
        return Duration(left.count + (1 if op == "+" else -1) * right.count, left.unit)
    if op == "/":
        if not right:
            raise _fail(node.span, "E-EVAL", "division by zero")
        return exact.div(left, right)
    return ARITHMETIC[op](left, right)


def _fail(span: Span, code: str, message: str) -> ConstantError:
    return ConstantError([Diagnostic(code, message, span)])
