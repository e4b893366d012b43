"""The state of evaluating one household: memoised rule values, aggregation slots, the budget.

An ``Evaluation`` computes each rule once per household (a member rule once per member)
and keeps the value; the compiled closures read rules, fields and the variables of
aggregations through it. It charges every aggregation's items to the household's budget
(``MAX_AGGREGATE_ITEMS``) and, for a program too deep for lazy evaluation, evaluates the
rules ahead in dependency order, keeping an error for the place the rule is read.
``EvaluationError`` is the located error of a rule that could not be computed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from functools import partial
from typing import TYPE_CHECKING, Any

from engine.base import exact
from engine.base.diagnostics import Diagnostic, DiagnosticError, Span
from engine.household.record import Household
from engine.language.builtins import MAX_AGGREGATE_ITEMS
from engine.language.rule_order import Key
from engine.runtime.tracing import Tracer

if TYPE_CHECKING:
    from engine.runtime.interpreter import Program


class EvaluationError(DiagnosticError):
    """A rule could not be computed for this household (located at the expression)."""



def evaluation_error(span: Span, message: str) -> EvaluationError:
    """The error of a rule that could not be computed, located at ``span``."""
    return EvaluationError([Diagnostic("E-EVAL", message, span)])


class Evaluation:
    """The state of evaluating one household: memo of rule values and aggregation slots."""

    __slots__ = ("as_of", "failures", "household", "items", "member_values", "program", "slots", "tracer",
                 "unread", "values")

    def __init__(self, program: Program, household: Household, as_of: date, tracer: Tracer | None) -> None:
        self.program = program
        self.household = household
        self.as_of = as_of
        self.values: dict[str, Any] = {}
        self.member_values: dict[tuple[str, str], Any] = {}
        self.failures: dict[object, EvaluationError] = {}  # what evaluating ahead met, raised when read
        self.unread: set[object] = set()  # evaluated ahead and not yet read by a rule (for the tracer)
        self.slots: list[Any] = [None] * program.slot_count
        self.tracer = tracer
        self.items = 0

    def rule(self, name: str) -> Any:
        try:
            value = self.values[name]
        except KeyError:
            pass
        else:
            if self.tracer is not None and name in self.unread:
                self.unread.discard(name)
                self.tracer.read("rule", name, value)
            return value
        failure = self.failures.get(name)
        if failure is not None:
            raise failure
        code = self.program.code[name]
        tracer = self.tracer
        if tracer is not None:
            tracer.enter(name, None)
        try:
            value = code(self)
        except exact.TooLarge as error:
            raise self.program.too_large(name, error) from None
        if tracer is not None:
            tracer.leave(value)
        self.values[name] = value
        return value

    def member_rule(self, name: str, member: Any) -> Any:
        key = (name, member.id)
        try:
            value = self.member_values[key]
        except KeyError:
            pass
        else:
            if self.tracer is not None and key in self.unread:
                self.unread.discard(key)
                self.tracer.read("rule", name, value, member.id)
            return value
        failure = self.failures.get(key)
        if failure is not None:
            raise failure
        slot = self.program.member_slot[name]
        saved = self.slots[slot]
        self.slots[slot] = member
        tracer = self.tracer
        if tracer is not None:
            tracer.enter(name, member.id)
        try:
            value = self.program.code[name](self)
        except exact.TooLarge as error:
            raise self.program.too_large(name, error) from None
        finally:
            self.slots[slot] = saved
        if tracer is not None:
            tracer.leave(value)
        self.member_values[key] = value
        return value

    def count_items(self, count: int, rule: str, span: Span) -> None:
        """Charge an aggregation's items to the household's budget."""
        self.items += count
        if self.items > MAX_AGGREGATE_ITEMS:
            raise evaluation_error(span, f"rule {rule} needs more work than one household may take: its "
                                   f"aggregations would visit more than {MAX_AGGREGATE_ITEMS:,} items (nested "
                                   "aggregations over the same list multiply their cost)")

    def ahead(self, order: Iterable[Key]) -> None:
        """Evaluate rules in dependency order, keeping any error for the place the rule is read."""
        for scope, name in order:
            if scope == "household":
                if name not in self.values and name not in self.failures:
                    self._ahead(name, partial(self.rule, name))
                continue
            for member in self.household.members:
                key = (name, member.id)
                if key not in self.member_values and key not in self.failures:
                    self._ahead(key, partial(self.member_rule, name, member))

    def _ahead(self, key: object, compute: Callable[[], Any]) -> None:
        depth = len(self.tracer.stack) if self.tracer is not None else 0
        try:
            compute()
        except EvaluationError as error:
            self.failures[key] = error
            if self.tracer is not None:  # the rules left unfinished by the error
                del self.tracer.stack[depth:]
            return
        self.unread.add(key)


