"""Which incomes a region counts, and what decided it: one line per income for an explanation.

A region counts income in a rule that sums over a member's incomes, ``sum(i.monthly for
i in m.incomes where CONDITION)``. For each income of the household this module reads
that rule's condition on the income, with the parameter values in force, and says
counted or excluded; an exclusion names the part of the condition that excluded it
(``i.kind not in income.excluded_kinds``) and the parameters it read, each with its
clause. A rule without a condition counts every income. Conditions are read with a
small evaluator of the forms such conditions take (comparisons, ``in``, ``and``/``or``/
``not``, literals, parameters and the income's and member's own fields); a condition
it cannot read is reported as decided by the rule, with the condition shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from engine.household.record import Household
from engine.language import syntax as s
from engine.language import types as t
from engine.language.fields import INCOME_FIELDS, MEMBER_FIELDS
from engine.language.formatter import format_expression
from engine.language.operators import COMPARISONS, MEMBERSHIP, compared
from engine.policy.resolve import ResolvedPolicy, Unavailable
from engine.runtime.outputs import render


@dataclass
class IncomeDecision:
    member: str
    kind: str
    amount: str
    per: str
    monthly: str
    counted: bool | None  # None: the condition could not be read here
    rule: str
    rule_source: str
    decided_by: str = ""  # the part of the condition that decided, as written
    parameters: list[dict[str, str]] = field(default_factory=list)  # name, value, source of each parameter read

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class _Unreadable(Exception):
    """The condition uses something this evaluator does not read."""


def income_decisions(resolved: ResolvedPolicy, household: Household, dependencies: dict[str, set[str]]
                     ) -> list[IncomeDecision]:
    """One decision per income of every member, by the rule that counts incomes for the region's countable income."""
    counting = _counting_rules(resolved, dependencies)
    if not counting:
        return []
    name, aggregate = counting[0]
    variant = resolved.variants[name]
    decisions = []
    for member in household.members:
        for income in member.incomes:
            decisions.append(_decide(resolved, name, str(variant.source), aggregate, member, income))
    return decisions


def _counting_rules(resolved: ResolvedPolicy, dependencies: dict[str, set[str]]) -> list[tuple[str, s.Aggregate]]:
    """Rules whose expression sums over a member's incomes, those countable income depends on first."""
    reached = _closure(dependencies, "income.countable_monthly")
    found = []
    for name, variant in resolved.variants.items():
        for node in s.walk(variant.body):
            if isinstance(node, s.Aggregate) and isinstance(node.source, s.Name) and node.source.parts[-1:] == (
                    "incomes",):
                found.append((name not in reached, name, node))
                break
    return [(name, node) for _, name, node in sorted(found, key=lambda item: (item[0], item[1]))]


def _closure(dependencies: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    pending = [start]
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        pending.extend(dependencies.get(name, ()))
    return seen


def _decide(resolved: ResolvedPolicy, rule: str, rule_source: str, aggregate: s.Aggregate, member: Any,
            income: Any) -> IncomeDecision:
    money = t.MONEY_MONTH
    decision = IncomeDecision(member.id, income.kind, str(income.amount), income.per,
                              str(render(income.monthly, money)), True, rule, rule_source)
    if aggregate.condition is None:
        return decision
    reader = _Reader(resolved, aggregate.var, income, member)
    try:
        counted, decisive = reader.value(aggregate.condition)
    except _Unreadable:
        decision.counted = None
        decision.decided_by = format_expression(aggregate.condition)
        return decision
    decision.counted = bool(counted)
    decision.decided_by = format_expression(decisive)
    decision.parameters = [reader.parameter(n) for n in _parameters_in(decisive, resolved)]
    return decision


def _parameters_in(node: s.Node, resolved: ResolvedPolicy) -> list[str]:
    names = [n.dotted for n in s.walk(node) if isinstance(n, s.Name) and n.dotted in resolved.values]
    return list(dict.fromkeys(names))


class _Reader:
    """Evaluates a condition on one income; ``value`` gives (value, the sub-expression that decided it)."""

    def __init__(self, resolved: ResolvedPolicy, var: str, income: Any, member: Any) -> None:
        self.resolved = resolved
        self.var = var
        self.income = income
        self.member = member

    def value(self, node: s.Node) -> tuple[Any, s.Node]:
        if isinstance(node, s.Binary) and node.op in ("and", "or"):
            left, left_node = self.value(node.left)
            if bool(left) == (node.op == "or"):
                return left, left_node
            right, right_node = self.value(node.right)
            if bool(right) == (node.op == "or"):
                return right, right_node
            return right, node
        if isinstance(node, s.Unary) and node.op == "not":
            inner, _ = self.value(node.operand)
            return not inner, node
        return self.plain(node), node

    def plain(self, node: s.Node) -> Any:
        if isinstance(node, s.Literal):
            return node.value
        if isinstance(node, s.SetLiteral):
            return frozenset(self.plain(item) for item in node.items)
        if isinstance(node, s.Name):
            return self.name(node)
        if isinstance(node, s.Unary) and node.op == "not":
            return not self.plain(node.operand)
        if isinstance(node, s.Binary):
            return self.binary(node)
        raise _Unreadable(type(node).__name__)

    def binary(self, node: s.Binary) -> Any:
        if node.op in ("and", "or"):
            return self.value(node)[0]
        left, right = self.plain(node.left), self.plain(node.right)
        if node.op not in COMPARISONS and node.op not in MEMBERSHIP:
            raise _Unreadable(node.op)
        return compared(node.op, left, right)

    def name(self, node: s.Name) -> Any:
        parts = node.parts
        as_of: date = self.resolved.as_of
        if parts[0] == self.var and len(parts) == 2 and parts[1] in INCOME_FIELDS:
            return INCOME_FIELDS[parts[1]].get(self.income, as_of)
        if parts[0] in ("m", "member") and len(parts) == 2 and parts[1] in MEMBER_FIELDS:
            return MEMBER_FIELDS[parts[1]].get(self.member, as_of)
        if node.dotted == "as_of":
            return as_of
        value = self.resolved.values.get(node.dotted)
        if node.dotted not in self.resolved.values or isinstance(value, Unavailable):
            raise _Unreadable(node.dotted)
        return value

    def parameter(self, name: str) -> dict[str, str]:
        parameter = self.resolved.chain.parameters[name]
        chosen = self.resolved.value_sources.get(name)
        value = render(self.resolved.values[name], parameter.type)
        shown = ", ".join(value) if isinstance(value, list) else ("true" if value is True else "false"
                                                                   if value is False else str(value))
        found = {"name": name, "label": parameter.label, "value": shown}
        if name in self.resolved.overrides:
            found["source"] = "--set"
        elif chosen is not None:
            found["source"] = str(chosen.source)
            found["in_force"] = f"{chosen.start} – {chosen.end or 'open'}"
        return found
