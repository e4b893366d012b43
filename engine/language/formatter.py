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
    if isinstance(node, s.Literal):
        return _literal(node)
    if isinstance(node, s.Name):
        return node.dotted
    if isinstance(node, s.Unary):
        if node.op == "not":
            return f"not {_wrap(node.operand, _PRECEDENCE['not'])}"
        return f"-{_wrap(node.operand, _PRECEDENCE['neg'])}"
    if isinstance(node, s.Binary):
        level = _PRECEDENCE[node.op]
        right_level = level + 1 if node.op in ("+", "-", "*", "/") else level
        if level == 4:
            return f"{_wrap(node.left, level + 1)} {node.op} {_wrap(node.right, level + 1)}"
        return f"{_wrap(node.left, level)} {node.op} {_wrap(node.right, right_level)}"
    if isinstance(node, s.SetLiteral):
        return "{" + ", ".join(_format(i) for i in node.items) + "}"
    if isinstance(node, s.Call):
        return f"{node.function}({', '.join(_format(a) for a in node.args)})"
    if isinstance(node, s.Aggregate):
        text = f"{node.function}({_format(node.body)} for {node.var} in {_format(node.source)}"
        if node.condition is not None:
            text += f" where {_format(node.condition)}"
        if node.default is not None:
            text += f" else {_format(node.default)}"
        return text + ")"
    if isinstance(node, s.If):
        return f"if {_inner(node.condition)} then {_inner(node.then)} else {_format(node.otherwise)}"
    if isinstance(node, s.Cases):
        last = len(node.rows) - 1 if node.otherwise is None else len(node.rows)
        rows = " ".join(f"when {_inner(r.condition)} then {_format(r.value) if i == last else _inner(r.value)}"
                        for i, r in enumerate(node.rows))
        fallback = f" else {_format(node.otherwise)}" if node.otherwise is not None else ""
        return f"cases {rows}{fallback}"
    raise TypeError(f"cannot format {type(node).__name__}")  # pragma: no cover


def _inner(node: s.Node) -> str:
    """A part followed by more of its parent: an ``if`` or a table there needs brackets."""
    text = _format(node)
    return f"({text})" if isinstance(node, (s.If, s.Cases)) else text


def _precedence(node: s.Node) -> int:
    if isinstance(node, s.Binary):
        return _PRECEDENCE[node.op]
    if isinstance(node, s.Unary):
        return _PRECEDENCE["not"] if node.op == "not" else _PRECEDENCE["neg"]
    if isinstance(node, (s.If, s.Cases)):
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
