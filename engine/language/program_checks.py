"""Program checks: what only the whole set of definitions shows, once each expression is typed:
cycles between rules, and rules whose work grows with a high power of a list's length."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from engine.base.diagnostics import Diagnostic
from engine.language import syntax as s
from engine.language.definitions import Definition
from engine.language.formatter import format_expression


def closure(graph: Mapping[str, Iterable[str]], starts: Iterable[str]) -> set[str]:
    """Every name reachable from ``starts`` along ``graph`` (the starts included)."""
    seen = set(starts)
    stack = list(seen)
    while stack:
        for following in graph.get(stack.pop(), ()):
            if following not in seen:
                seen.add(following)
                stack.append(following)
    return seen


def cycles(definitions: Mapping[str, Definition], dependencies: Mapping[str, Iterable[str]]) -> list[Diagnostic]:
    """One diagnostic per dependency cycle between rules, naming the whole cycle."""
    found: list[Diagnostic] = []
    state: dict[str, int] = {}  # 1 visiting, 2 done
    reported: set[frozenset[str]] = set()
    for start in sorted(dependencies):
        if state.get(start):
            continue
        stack: list[tuple[str, list[str]]] = [(start, sorted(dependencies.get(start, ())))]
        path = [start]
        state[start] = 1
        while stack:
            name, pending = stack[-1]
            if not pending:
                stack.pop()
                path.pop()
                state[name] = 2
                continue
            nxt = pending.pop(0)
            if nxt not in definitions or definitions[nxt].kind != "rule":
                continue
            if state.get(nxt) == 1:
                cycle = [*path[path.index(nxt):], nxt]
                key = frozenset(cycle)
                if key not in reported:
                    reported.add(key)
                    first = definitions[cycle[0]]
                    found.append(Diagnostic("E-CYCLE", "rules depend on themselves: " + " → ".join(cycle), first.span))
            elif not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                stack.append((nxt, sorted(dependencies.get(nxt, ()))))
    return found


# --- cost ------------------------------------------------------------------------------

COSTLY_NESTING = 3  # lists gone through one inside another (a member rule: once per member) before a warning


def costly(definitions: Mapping[str, Definition]) -> Iterator[Diagnostic]:
    """A warning for each rule whose work grows with the cube (or a higher power) of a list's length."""
    from engine.language.builtins import MAX_AGGREGATE_ITEMS

    for definition in definitions.values():
        if definition.kind != "rule":
            continue
        for body in definition.bodies:
            nested = deepest_aggregations(body)
            lists = ["members (the rule is evaluated for each member)"] if definition.scope == "member" else []
            lists += [format_expression(node.source) for node in nested]
            if len(lists) < COSTLY_NESTING:
                continue
            yield Diagnostic(
                "W-COST", f"{definition.name}: its work grows with the power {len(lists)} of the lists' lengths "
                f"({' × '.join(lists)}); with 200 items in each that is {200 ** len(lists):,} steps, and "
                f"evaluation stops a household past {MAX_AGGREGATE_ITEMS:,}", nested[0].span,
                notes=("compute the inner aggregation once in a rule of its own, or count what it needs directly",),
                severity="warning")


def deepest_aggregations(node: s.Node) -> list[s.Aggregate]:
    """The longest chain of aggregations nested in one another's body (each repeats the next)."""
    match node:
        case s.Aggregate(body=body, condition=condition, source=source, default=default):
            inner = [deepest_aggregations(n) for n in (body, condition) if n is not None]
            chain = [node, *max(inner, key=len, default=[])]
            beside = [deepest_aggregations(n) for n in (source, default) if n is not None]
            return max([chain, *beside], key=len)
    return max((deepest_aggregations(child) for child in s.children(node)), key=len, default=[])
