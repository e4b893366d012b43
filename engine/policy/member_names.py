"""Member-relative names: inside a member rule, another member rule is read for the same member.

A rule with ``scope: member`` is answered once per member. Another member rule is read
for a member through the member's variable (``m.income.own_monthly`` in an aggregation,
``member.income.own_monthly`` in a member rule); inside a member rule the bare name
(``income.own_monthly``) means the same member's value too. ``relative_to_member``
rewrites such a bare name to ``member.<name>`` once the chain of layers is known (a
member rule may read one its parent layer defines), so the checker and every evaluator
see only the explicit form. A name bound by an aggregation (``for x in …``) is never
rewritten, and outside member rules a bare member rule stays an error (``E-SCOPE``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from engine.language import syntax as s
from engine.policy.policy_model import Rule

MEMBER = "member"


def relative_to_member(rules: Mapping[str, Rule]) -> dict[str, Rule]:
    """The member rules whose expressions name another member rule bare, with those names made explicit."""
    member_rules = frozenset(name for name, rule in rules.items() if rule.scope == "member")
    changed: dict[str, Rule] = {}
    for name in member_rules:
        rule = rules[name]
        variants = tuple(replace(v, body=explicit(v.body, member_rules)) for v in rule.variants)
        if any(new.body is not old.body for new, old in zip(variants, rule.variants, strict=True)):
            changed[name] = replace(rule, variants=variants)
    return changed


def explicit(node: s.Node, member_rules: frozenset[str], bound: frozenset[str] = frozenset()) -> s.Node:
    """``node`` with every bare member rule name read as ``member.<name>``; the same object when none is."""
    match node:
        case s.Name(parts=parts) if parts[0] not in bound and parts[0] != MEMBER and node.dotted in member_rules:
            return s.Name(node.span, (MEMBER, *parts))
        case s.Unary():
            return _rebuilt(node, operand=explicit(node.operand, member_rules, bound))
        case s.Binary():
            return _rebuilt(node, left=explicit(node.left, member_rules, bound),
                            right=explicit(node.right, member_rules, bound))
        case s.SetLiteral():
            return _rebuilt(node, items=tuple(explicit(i, member_rules, bound) for i in node.items))
        case s.Call():
            return _rebuilt(node, args=tuple(explicit(a, member_rules, bound) for a in node.args))
        case s.Aggregate():
            inner = bound | {node.var}
            return _rebuilt(node, source=explicit(node.source, member_rules, bound),
                            body=explicit(node.body, member_rules, inner),
                            condition=_optional(node.condition, member_rules, inner),
                            default=_optional(node.default, member_rules, bound))
        case s.If():
            return _rebuilt(node, condition=explicit(node.condition, member_rules, bound),
                            then=explicit(node.then, member_rules, bound),
                            otherwise=explicit(node.otherwise, member_rules, bound))
        case s.Cases():
            rows = tuple(s.CaseRow(r.span, explicit(r.condition, member_rules, bound),
                                   explicit(r.value, member_rules, bound)) for r in node.rows)
            if all(new.condition is old.condition and new.value is old.value
                   for new, old in zip(rows, node.rows, strict=True)):
                rows = node.rows
            return _rebuilt(node, rows=rows, otherwise=_optional(node.otherwise, member_rules, bound))
    return node


def _optional(node: s.Node | None, member_rules: frozenset[str], bound: frozenset[str]) -> s.Node | None:
    return None if node is None else explicit(node, member_rules, bound)


def _rebuilt(node: s.Node, **parts: Any) -> s.Node:
    """The node with new parts, or the node itself when every part is the one it had."""
    if all(getattr(node, key) is value for key, value in parts.items()):
        return node
    return replace(node, **parts)
