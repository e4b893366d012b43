"""Guards: what makes a divisor safe. A divisor is safe when it can never be zero (a non-zero
literal, a positive household name, a parameter whose every value is non-zero) or when an
enclosing condition proves it non-zero (``if x > 0 then … / x``); ``nonzero_facts`` finds
what a condition proves."""

from __future__ import annotations

from collections.abc import Mapping

from engine.language import syntax as s
from engine.language.definitions import Definition
from engine.language.fields import POSITIVE_NAMES
from engine.language.formatter import format_expression
from engine.language.literals import literal_number


def never_zero(node: s.Node, definitions: Mapping[str, Definition]) -> bool:
    number = literal_number(node)
    if number is not None:
        return number != 0
    match node:
        case s.Name(dotted=dotted) if dotted in POSITIVE_NAMES:
            return True
        case s.Name(dotted=dotted):
            definition = definitions.get(dotted)
            return definition is not None and definition.nonzero
        case s.Call(function="max", args=args):
            return any(never_zero(a, definitions) and positive_literal(a) for a in args)
    return False


def positive_literal(node: s.Node) -> bool:
    number = literal_number(node)
    return (number is not None and number > 0) or (isinstance(node, s.Name) and node.dotted in POSITIVE_NAMES)


def nonzero_facts(condition: s.Node, negated: bool = False, names: dict[str, set[str]] | None = None) -> list[str]:
    """Expressions a condition proves non-zero (``x > 0``, ``x != 0``; in its negation ``x == 0``).

    ``names`` records, for each, the names it reads freely (an aggregation that rebinds one of
    them ends the guard)."""
    match condition:
        case s.Binary(op="and", left=left, right=right) if not negated:
            return nonzero_facts(left, False, names) + nonzero_facts(right, False, names)
        case s.Binary(op="or", left=left, right=right) if negated:
            return nonzero_facts(left, True, names) + nonzero_facts(right, True, names)
        case s.Unary(op="not", operand=operand):
            return nonzero_facts(operand, not negated, names)
        case s.Binary(op="==" | "!=" | "<" | "<=" | ">" | ">=" as compared, left=left, right=right):
            return proved_nonzero(compared, left, right, negated, names)
    return []


def proved_nonzero(op: str, left: s.Node, right: s.Node, negated: bool,
                    names: dict[str, set[str]] | None) -> list[str]:
    """What ``left op right`` (or its negation) proves non-zero: a comparison with a literal number."""
    subject, bound = left, literal_number(right)
    if bound is None:  # the literal on the left: 0 < x is x > 0
        op, subject, bound = MIRRORED[op], right, literal_number(left)
    if bound is None:
        return []
    if negated:
        op = NEGATED[op]
    proves = (op == "!=" and bound == 0) or (op == "==" and bound != 0) or (op == ">" and bound >= 0) or (
        op == ">=" and bound > 0) or (op == "<" and bound <= 0) or (op == "<=" and bound < 0)
    if not proves:
        return []
    text = format_expression(subject)
    if names is not None:
        names[text] = free_heads(subject)
    return [text]


def free_heads(node: s.Node, bound: frozenset[str] = frozenset()) -> set[str]:
    """The first parts of the names an expression reads that no aggregation inside it binds."""
    match node:
        case s.Name(parts=parts):
            return {parts[0]} - bound
        case s.Aggregate(var=var, source=source, body=body, condition=condition, default=default):
            inner = bound | {var}
            found = free_heads(source, bound) | free_heads(body, inner)
            if condition is not None:
                found |= free_heads(condition, inner)
            if default is not None:
                found |= free_heads(default, bound)
            return found
    return set().union(*(free_heads(child, bound) for child in s.children(node)))


NEGATED = {"==": "!=", "!=": "==", "<": ">=", "<=": ">", ">": "<=", ">=": "<"}
MIRRORED = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
