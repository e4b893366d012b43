"""Interpret: checked rules → Python closures → values for one household.

Each checked expression is compiled once into a tree of closures whose every name the
compiler chose (no ``eval``, no attribute access from policy text). Evaluation is lazy
and memoised per household: an output is computed from what it needs, once. Money is
exact ``Decimal``; nothing is rounded here (outputs round, see ``engine.runtime.outputs``).

Evaluation has a budget, so that no policy can hang or exhaust the machine on one
household: values have at most ``exact.MAX_DIGITS`` digits, and the aggregations of one
household visit at most ``MAX_AGGREGATE_ITEMS`` items; past either, the rule stops with
a located message naming it. Nor does it depend on Python's recursion depth: when rules
read rules so deeply that lazy evaluation would nest too far (``Program.eager``), each
household first evaluates the rules in dependency order, so every rule finds what it
reads already computed (an error met on the way is kept and raised where the rule is
read, as lazy evaluation would).

A ``Tracer`` (``engine.runtime.tracing``) may observe evaluation (which rule read which
values); control flow never depends on it. This module is the ``Program``, a policy's
rules compiled over fixed parameter values; ``engine.runtime.expressions`` compiles each
expression and ``engine.runtime.evaluation`` holds the state of one household's evaluation.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from engine.base import exact
from engine.household.record import Household
from engine.language.fields import MEMBER
from engine.language.rule_order import Key, dependency_order, nesting_depth, rule_reads
from engine.policy.resolve import RuleCode
from engine.runtime.evaluation import Evaluation, EvaluationError, evaluation_error
from engine.runtime.expressions import Code, ExpressionCompiler
from engine.runtime.tracing import Tracer

EAGER_DEPTH = 150  # nesting of rules and expressions beyond which rules are evaluated in dependency order


class Program:
    """A compiled set of rules over fixed parameter values, ready to evaluate households."""

    def __init__(self, rules: Mapping[str, RuleCode], parameters: Mapping[str, object]) -> None:
        self.rules = dict(rules)
        self.parameters = dict(parameters)
        self.slot_count = 0
        self.member_slot: dict[str, int] = {}
        self.code: dict[str, Code] = {}
        for name, rule in self.rules.items():
            if rule.scope == "member":
                self.member_slot[name] = self._new_slot()
        for name, rule in self.rules.items():
            if rule.scope == "member":
                compiler = ExpressionCompiler(self, {"member": self.member_slot[name]}, {"member": MEMBER})
            else:
                compiler = ExpressionCompiler(self, {}, {})
            self.code[name] = compiler.compile(rule.body, name)
        self.reads = {name: rule_reads(rule.body, self.rules) for name, rule in self.rules.items()}
        self.eager = nesting_depth(self.rules, self.reads) > EAGER_DEPTH
        self._orders: dict[tuple[str, ...], list[Key]] = {}

    def too_large(self, name: str, error: exact.TooLarge) -> EvaluationError:
        return evaluation_error(self.rules[name].body.span, f"rule {name}: {error} (the limit is {exact.MAX_DIGITS}); "
                                "a rule that multiplies a value by itself again and again grows it past any amount "
                                "of money")

    def order(self, wanted: Iterable[str]) -> list[Key]:
        """The rules that ``wanted`` reads, directly or not, each after the rules it reads."""
        starts = tuple(wanted)
        found = self._orders.get(starts)
        if found is None:
            found = dependency_order([(self.rules[n].scope, n) for n in starts], self.reads)
            if len(self._orders) > 64:
                self._orders.clear()
            self._orders[starts] = found
        return found

    def _new_slot(self) -> int:
        self.slot_count += 1
        return self.slot_count - 1

    def evaluate(self, household: Household, as_of: date, outputs: Iterable[str] | None = None,
                 tracer: Tracer | None = None) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
        """Values of the household outputs and, per member id, of the member outputs asked for.

        An output whose ``available_when`` is false for the household is ``None`` (not available).
        """
        evaluation = Evaluation(self, household, as_of, tracer)
        wanted = list(outputs) if outputs is not None else list(self.rules)
        if self.eager:
            evaluation.ahead(self.order(wanted))
        values: dict[str, Any] = {}
        members: dict[str, dict[str, Any]] = {m.id: {} for m in household.members}
        for name in wanted:
            rule = self.rules[name]
            if rule.scope == "member":
                for member in household.members:
                    members[member.id][name] = evaluation.member_rule(name, member)
            elif rule.available is not None and not evaluation.rule(rule.available):
                values[name] = None
            else:
                values[name] = evaluation.rule(name)
        return values, members
