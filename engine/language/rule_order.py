"""Rule order: which rules an expression reads, and an order in which each comes after them.

The interpreter evaluates rules lazily, each reading the rules it needs when it needs
them; a chain of rules hundreds deep would then nest Python calls hundreds deep. These
functions let it (and the columnar evaluator) evaluate in dependency order instead:
``rule_reads`` finds the rules a body reads, ``nesting_depth`` how deeply lazy evaluation
would nest, and ``dependency_order`` an order with every rule after those it reads. None
of them recurses, whatever the depth.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Protocol

from engine.language import syntax as s

Key = tuple[str, str]  # ("household", rule) or ("member", rule): a rule as evaluation reaches it


class _Rule(Protocol):
    @property
    def body(self) -> s.Node: ...

    @property
    def scope(self) -> str: ...


def rule_reads(body: s.Node, rules: Mapping[str, _Rule]) -> list[tuple[Key, int]]:
    """The rules an expression reads, each with how deeply it is nested in the expression."""
    found: list[tuple[Key, int]] = []
    for node, depth in _levels(body):
        if isinstance(node, s.Name):
            dotted = node.dotted
            if dotted in rules and rules[dotted].scope != "member":
                found.append((("household", dotted), depth))
            for cut in range(1, len(node.parts)):  # member.x, m.x: a member rule
                tail = ".".join(node.parts[cut:])
                if tail in rules and rules[tail].scope == "member":
                    found.append((("member", tail), depth))
    return found


def nesting_depth(rules: Mapping[str, _Rule], reads: Mapping[str, list[tuple[Key, int]]]) -> int:
    """How deeply lazy evaluation would nest: rules reading rules, each within its expression."""
    depth: dict[str, int] = {}
    for _scope, name in dependency_order([(r.scope, n) for n, r in rules.items()], reads):
        own = max(level for _node, level in _levels(rules[name].body))
        depth[name] = max((nested + 2 + depth.get(key[1], 0) for key, nested in reads.get(name, ())), default=own)
    return max(depth.values(), default=0)


def _levels(body: s.Node) -> Iterator[tuple[s.Node, int]]:
    """Every node of an expression with its depth in it (1 for the whole expression)."""
    stack: list[tuple[s.Node, int]] = [(body, 1)]
    while stack:
        node, depth = stack.pop()
        yield node, depth
        stack.extend((child, depth + 1) for child in s.children(node))


def dependency_order(starts: Iterable[Key], reads: Mapping[str, list[tuple[Key, int]]]) -> list[Key]:
    """Every rule reachable from ``starts``, each after those it reads (no recursion; a cycle is cut)."""
    order: list[Key] = []
    state: dict[Key, int] = {}  # 1 on the path, 2 placed
    for start in starts:
        if start in state:
            continue
        state[start] = 1
        stack: list[tuple[Key, Iterator[Key]]] = [(start, iter([k for k, _ in reads.get(start[1], ())]))]
        while stack:
            key, pending = stack[-1]
            following = next(pending, None)
            if following is None:
                stack.pop()
                state[key] = 2
                order.append(key)
            elif following not in state:
                state[following] = 1
                stack.append((following, iter([k for k, _ in reads.get(following[1], ())])))
    return order
