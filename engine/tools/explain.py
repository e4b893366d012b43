"""Explain: why a household got its answer, as a tree of rules, values and citations.

The interpreter runs with a ``Tracer``; this stage turns what each rule read into a tree:
an output, the rule that produced it (expression and clause), the parameter values it
used (with the dates they are in force and their source), down to the household's own
fields. The tree is data (``as_dict``); ``render_tree`` draws it for a terminal.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import click

from engine.base.i18n import tr, tr_message
from engine.household.record import Household
from engine.language import types as t
from engine.language.formatter import format_expression
from engine.policy.clauses import citation_data
from engine.policy.policy_model import Citation
from engine.policy.resolve import ResolvedPolicy, Unavailable
from engine.runtime.evaluate import evaluate_resolved
from engine.runtime.income_decisions import IncomeDecision, income_decisions
from engine.runtime.library import PolicyLibrary
from engine.runtime.outputs import Determination, render
from engine.runtime.tracing import RuleTrace, Tracer


@dataclass
class ExplainNode:
    """One line of the tree: an output, a rule (for a member: ``member`` is its id), a parameter or a field."""

    kind: str  # output, rule, parameter, field
    name: str
    value: Any
    label: str = ""
    expr: str = ""
    source: dict[str, Any] | None = None
    effective: str = ""
    children: list[ExplainNode] = field(default_factory=list)
    member: str | None = None

    @property
    def shown_name(self) -> str:
        """The name as people read it: a member rule with its member's id, ``name[member]``."""
        return f"{self.name}[{self.member}]" if self.member else self.name

    def as_dict(self) -> dict[str, Any]:
        """The tree as plain data (built without recursion: a chain of rules may be very deep)."""
        root = self._own()
        stack = [(self, root)]
        while stack:
            node, data = stack.pop()
            if node.children:
                data["children"] = [child._own() for child in node.children]
                stack.extend(zip(node.children, data["children"], strict=True))
        return root

    def _own(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind, "name": self.shown_name, "value": self.value}
        for key in ("label", "expr", "effective"):
            if getattr(self, key):
                data[key] = getattr(self, key)
        if self.source:
            data["source"] = self.source
        return data

    def depth(self) -> int:
        deepest, stack = 0, [(self, 1)]
        while stack:
            node, level = stack.pop()
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in node.children)
        return deepest


@dataclass
class Explanation:
    determination: Determination
    outputs: list[ExplainNode]
    incomes: list[IncomeDecision] = field(default_factory=list)
    kind_names: Mapping[str, str] = field(default_factory=dict)  # income kind → its Chinese name (the vocabulary's)

    def as_dict(self) -> dict[str, Any]:
        head = self.determination.to_json()
        incomes = [i.as_dict() | {"kind_name": self.kind_names.get(i.kind, "")} for i in self.incomes]
        return {key: head[key] for key in ("region", "date", "policy", "household")} | {
            "explain": [node.as_dict() for node in self.outputs], "incomes": incomes}

    def to_json(self) -> str:
        """The tree as indented JSON, however deep the chain of rules it explains."""
        depth = max((node.depth() for node in self.outputs), default=0)
        with _recursion_room(4 * depth):
            return json.dumps(self.as_dict(), ensure_ascii=False, indent=2)


@contextlib.contextmanager
def _recursion_room(levels: int) -> Iterator[None]:
    """Room for the JSON encoder to nest ``levels`` deep (it recurses once per level)."""
    saved = sys.getrecursionlimit()
    sys.setrecursionlimit(max(saved, levels + 1000))
    try:
        yield
    finally:
        sys.setrecursionlimit(saved)


def explain(library: PolicyLibrary, household: Household, region: str, as_of: date,
            overrides: Mapping[str, str] | None = None, output: str | Sequence[str] | None = None) -> Explanation:
    """The tree of each output asked for (every output without ``output``), and how each income was counted."""
    resolved = library.resolve(region, as_of, overrides)
    tracer = Tracer()
    wanted = [output] if isinstance(output, str) else (list(output) if output else None)
    determination = evaluate_resolved(library, resolved, household, wanted, tracer)
    builder = _TreeBuilder(resolved, tracer, library.root.parent / "sources")
    nodes = [builder.output(name) for name in determination.outputs]
    for member_id, values in determination.members.items():
        nodes += [builder.rule(name, member_id, kind="output") for name in values]
    dependencies = library.region(region).result.dependencies
    vocabulary = library.vocabulary_of(region)
    names = {kind: vocabulary.name("income_kinds", kind) for kind in vocabulary.income_kinds}
    return Explanation(determination, nodes, income_decisions(resolved, household, dependencies), names)


class _TreeBuilder:
    def __init__(self, resolved: ResolvedPolicy, tracer: Tracer, sources: Path) -> None:
        self.resolved = resolved
        self.tracer = tracer
        self.chain = resolved.chain
        self.sources = sources

    def output(self, name: str) -> ExplainNode:
        if name in self.chain.parameters:
            node = self.parameter(name, self.resolved.values[name])
            node.kind = "output"
            return node
        return self.rule(name, None, kind="output")

    def rule(self, name: str, member: str | None, kind: str = "rule") -> ExplainNode:
        """A rule's node and, below it, what it read (built without recursion: chains may be deep)."""
        root = self.rule_node(name, member, kind)
        stack = [(root, name, member)]
        while stack:
            node, rule_name, rule_member = stack.pop()
            trace: RuleTrace | None = self.tracer.rules.get((rule_name, rule_member))
            seen: set[tuple[str, str, str | None]] = set()
            for read in trace.reads if trace else ():
                if (read.kind, read.name, read.member) in seen:
                    continue
                seen.add((read.kind, read.name, read.member))
                if read.kind == "rule":
                    child = self.rule_node(read.name, read.member)
                    stack.append((child, read.name, read.member))
                elif read.kind == "parameter":
                    child = self.parameter(read.name, read.value)
                else:
                    child = ExplainNode("field", read.name, _plain(read.value))
                node.children.append(child)
        return root

    def rule_node(self, name: str, member: str | None, kind: str = "rule") -> ExplainNode:
        rule = self.chain.rules[name]
        trace: RuleTrace | None = self.tracer.rules.get((name, member))
        variant = self.resolved.variants[name]
        value = render(trace.value, rule.type) if trace else None
        return ExplainNode(kind, name, value, rule.label, format_expression(variant.body),
                           self.citation(variant.source), _dates(variant.start, variant.end), member=member)

    def parameter(self, name: str, value: Any) -> ExplainNode:
        parameter = self.chain.parameters[name]
        chosen = self.resolved.value_sources.get(name)
        if name in self.resolved.overrides:
            return ExplainNode("parameter", name, render(value, parameter.type), parameter.label,
                               source={"override": "--set"}, effective="this run")
        source = self.citation(chosen.source) if chosen else None
        if chosen is not None and source is not None and name in self.resolved.supplied:
            source = {"params": str(chosen.span), **source}
        effective = _dates(chosen.start, chosen.end) if chosen else ""
        shown = "must be supplied" if isinstance(value, Unavailable) else render(value, parameter.type)
        return ExplainNode("parameter", name, shown, parameter.label, source=source, effective=effective)

    def citation(self, citation: Citation) -> dict[str, Any]:
        return citation_data(self.chain.sources, citation, self.sources)


def _dates(start: date | None, end: date | None) -> str:
    if start is None and end is None:
        return ""
    return f"{start or '…'} – {end or 'open'}"


def _plain(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (tuple, list)):
        return f"{len(value)} item{'' if len(value) == 1 else 's'}"
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    return render(value, t.NUMBER)


def render_tree(explanation: Explanation, show_quotes: bool = False) -> None:
    """Draw the explanation as a coloured tree, then the incomes (wide characters are measured by rich).

    Every name, label and value is drawn as plain text, never read as rich markup: a household
    id or a label holding ``[/]`` or ``[link=…]`` prints as it is written. On a terminal the
    tree wraps at its width; piped, no line is wrapped."""
    from rich.console import Console
    from rich.text import Text
    from rich.tree import Tree

    from engine.base.render import emit, income_rows

    head = explanation.as_dict()
    title = Text.assemble((str(head["household"]), "bold"), f" · {head['region']} {tr('on')} {head['date']} · "
                          f"{tr('policy')} {head['policy']['version']} {head['policy']['digest']}")
    root = Tree(title)
    stack: list[tuple[Any, ExplainNode]] = [(root, node) for node in reversed(explanation.outputs)]
    while stack:  # no recursion: a chain of rules may be very deep
        parent, node = stack.pop()
        branch = _add(parent, node, show_quotes)
        stack.extend((branch, child) for child in reversed(node.children))
    console = Console() if sys.stdout.isatty() else Console(width=100_000, soft_wrap=True)
    with _recursion_room(4 * max((node.depth() for node in explanation.outputs), default=0)):
        console.print(root)
    if head["incomes"]:
        click.echo()
        emit("table", income_rows(head["incomes"]))


def _add(parent: Any, node: ExplainNode, show_quotes: bool) -> Any:
    """Add one node's line (and its expression and words) under ``parent``; its branch."""
    from rich.text import Text

    colour = {"output": "bold cyan", "rule": "cyan", "parameter": "magenta", "field": "green"}[node.kind]
    shown = json.dumps(node.value, ensure_ascii=False) if not isinstance(node.value, str) else node.value
    text = Text.assemble((node.shown_name, colour), " = ", (shown, "bold"))
    if node.label:
        text.append(f"  {node.label}")
    if node.source and "doc" in node.source:
        rule = f", {node.source['rule']}" if "rule" in node.source else ""
        text.append(f"  ({node.source['doc']} {node.source['clause']}{rule})", style="dim")
    if node.effective:
        text.append(f"  {tr('in force')} {tr_message(node.effective)}", style="dim")
    if node.source and "params" in node.source:
        text.append(f"  from {node.source['params']}", style="dim")
    branch = parent.add(text)
    if node.expr:
        branch.add(Text(f"= {node.expr}", style="dim"))
    words = (node.source or {}).get("quote") or (node.source or {}).get("text")
    if show_quotes and words:
        branch.add(Text(f"「{words}」", style="italic"))
    return branch
