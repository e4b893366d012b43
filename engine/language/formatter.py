"""Format: syntax nodes → canonical expression text.

The canonical form is what ``diff`` compares (formatting and comments are not changes)
and what the checker uses to recognise the same expression written twice. Parentheses
appear only where precedence needs them; literals print in one spelling.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from engine.language import syntax as s

_PRECEDENCE = {
    "or": 1, "and": 2, "not": 3,
    "==": 4, "!=": 4, "<": 4, "<=": 4, ">": 4, ">=": 4, "in": 4, "not in": 4,
    "+": 5, "-": 5, "*": 6, "/": 6, "neg": 7,
}
_ATOM = 9
_UNITS = {"months": "months", "days": "days", "working_days": "working days"}


def format_expression(node: s.Node) -> str:
    """The canonical one-line text of an expression."""
    return _format(node)


def _format(node: s.Node) -> str:
    match node:
        case s.Literal():
            return _literal(node)
        case s.Name():
            return node.dotted
        case s.Unary(op="not", operand=operand):
            return f"not {_wrap(operand, _PRECEDENCE['not'])}"
        case s.Unary(operand=operand):
            return f"-{_wrap(operand, _PRECEDENCE['neg'])}"
        case s.Binary(op=op, left=left, right=right):
            level = _PRECEDENCE[op]
            right_level = level + 1 if op in s.ARITHMETIC_OPS else level
            if level == 4:
                return f"{_wrap(left, level + 1)} {op} {_wrap(right, level + 1)}"
            return f"{_wrap(left, level)} {op} {_wrap(right, right_level)}"
        case s.SetLiteral(items=items):
            return "{" + ", ".join(_format(i) for i in items) + "}"
        case s.Call(function=function, args=args):
            return f"{function}({', '.join(_format(a) for a in args)})"
        case s.Aggregate():
            return _aggregate(node)
        case s.If(condition=condition, then=then, otherwise=otherwise):
            return f"if {_inner(condition)} then {_inner(then)} else {_format(otherwise)}"
        case s.Cases(rows=rows, otherwise=otherwise):
            last = len(rows) - 1 if otherwise is None else len(rows)
            cells = " ".join(f"when {_inner(r.condition)} then {_format(r.value) if i == last else _inner(r.value)}"
                             for i, r in enumerate(rows))
            fallback = f" else {_format(otherwise)}" if otherwise is not None else ""
            return f"cases {cells}{fallback}"
    raise TypeError(f"cannot format {type(node).__name__}")  # pragma: no cover


def _aggregate(node: s.Aggregate) -> str:
    text = f"{node.function}({_format(node.body)} for {node.var} in {_format(node.source)}"
    if node.condition is not None:
        text += f" where {_format(node.condition)}"
    if node.default is not None:
        text += f" else {_format(node.default)}"
    return text + ")"


def _inner(node: s.Node) -> str:
    """A part followed by more of its parent: an ``if`` or a table there needs brackets."""
    text = _format(node)
    return f"({text})" if isinstance(node, (s.If, s.Cases)) else text


def _precedence(node: s.Node) -> int:
    match node:
        case s.Binary(op=op):
            return _PRECEDENCE[op]
        case s.Unary(op="not"):
            return _PRECEDENCE["not"]
        case s.Unary():
            return _PRECEDENCE["neg"]
        case s.If() | s.Cases():
            return 0
    return _ATOM


def _wrap(node: s.Node, level: int) -> str:
    text = _format(node)
    return f"({text})" if _precedence(node) < level else text


def _number(value: Decimal | int) -> str:
    if isinstance(value, int):
        return str(value)
    text = format(value, "f")  # every digit, in plain notation
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _literal(node: s.Literal) -> str:
    value = node.value
    if node.kind == "money":
        assert isinstance(value, (Decimal, int))
        return f"{_number(value)} yuan" + (f"/{node.unit}" if node.unit else "")
    if node.kind == "percent":
        assert isinstance(value, (Decimal, int))
        sign, digits, exponent = Decimal(value).as_tuple()
        assert isinstance(exponent, int)
        return f"{_number(Decimal((sign, digits, exponent + 2)))}%"  # times 100, exactly
    if node.kind == "duration":
        return f"{value} {_UNITS[node.unit]}"
    if node.kind == "date":
        assert isinstance(value, date)
        return value.isoformat()
    if node.kind == "text":
        assert isinstance(value, str)
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if node.kind == "bool":
        return "true" if value else "false"
    assert isinstance(value, (Decimal, int))
    text = _number(value)
    if isinstance(value, Decimal) and "." not in text:
        text += ".0"  # 1.0 is a decimal number, 1 an integer: keep the type
    return text
