"""The rules language's comparison, membership and arithmetic operators on exact values, defined once.

The constant evaluator (``engine.language.constants``), the interpreter's expression compiler
(``engine.runtime.expressions``) and the explanation of income decisions
(``engine.runtime.income_decisions``) all read these tables; the column compiler applies the same
operators to whole columns with NumPy (``engine.batch.compiler``). Arithmetic is exact
(``engine.base.exact``): money and rates never pass through binary floating point. Division, date
shifts and durations need the operands' types and their own errors, so each evaluator handles them
where it knows the types.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from engine.base import exact

#: The comparison operators.
COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}
#: Addition, subtraction and multiplication of exact numbers (division is the evaluator's: it checks for zero).
ARITHMETIC: dict[str, Callable[[Any, Any], Any]] = {"+": exact.add, "-": exact.sub, "*": exact.mul}
#: The membership operators.
MEMBERSHIP = ("in", "not in")


def is_member(op: str, left: Any, right: Any) -> bool:
    """``left in right`` for ``in``, its negation for ``not in``."""
    return (left in right) == (op == "in")


def compared(op: str, left: Any, right: Any) -> bool:
    """A comparison or a membership test of two values (``KeyError`` for any other operator)."""
    return is_member(op, left, right) if op in MEMBERSHIP else COMPARISONS[op](left, right)
