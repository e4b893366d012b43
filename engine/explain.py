"""Explain: why a household got its answer, as a tree of rules, values and citations.

The interpreter runs with a ``Tracer``; this stage turns what each rule read into a tree:
an output, the rule that produced it (expression and clause), the parameter values it
used (with the dates they are in force and their source), down to the household's own
fields. The tree is data (``as_dict``); ``render_tree`` draws it for a terminal.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import click

from engine import types as t
from engine.clauses import clause_text, read_source
from engine.evaluate import evaluate_resolved
from engine.formatter import format_expression
from engine.household import Household
from engine.i18n import tr, tr_message
from engine.income_decisions import IncomeDecision, income_decisions
from engine.interpreter import RuleTrace, Tracer, Unavailable
from engine.library import PolicyLibrary
from engine.outputs import Determination, render
from engine.policy_model import Citation
from engine.resolve import ResolvedPolicy


@dataclass
class ExplainNode:
    kind: str  # output, rule, parameter, field
    name: str
    value: Any
    label: str = ""
    expr: str = ""
    source: dict[str, Any] | None = None
    effective: str = ""
    children: list[ExplainNode] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind, "name": self.name, "value": self.value}
        for key in ("label", "expr", "effective"):
            if getattr(self, key):
                data[key] = getattr(self, key)
        if self.source:
            data["source"] = self.source
        if self.children:
            data["children"] = [c.as_dict() for c in self.children]
        return data


@dataclass
class Explanation:
    determination: Determination
    outputs: list[ExplainNode]
    incomes: list[IncomeDecision] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        head = self.determination.to_json()
        return {key: head[key] for key in ("region", "date", "policy", "household")} | {
            "explain": [node.as_dict() for node in self.outputs], "incomes": [i.as_dict() for i in self.incomes]}


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
    return Explanation(determination, nodes, income_decisions(resolved, household, dependencies))


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
        rule = self.chain.rules[name]
        trace: RuleTrace | None = self.tracer.rules.get((name, member))
        variant = self.resolved.variants[name]
        value = render(trace.value, rule.type) if trace else None
        node = ExplainNode(kind, f"{name}[{member}]" if member else name, value, rule.label,
                           format_expression(variant.body), self.citation(variant.source), _dates(variant.start,
                                                                                                  variant.end))
        if trace is None:
            return node
        seen: set[str] = set()
        for read_kind, read_name, read_value in trace.reads:
            if read_name in seen:
                continue
            seen.add(read_name)
            node.children.append(self.child(read_kind, read_name, read_value))
        return node

    def child(self, kind: str, name: str, value: Any) -> ExplainNode:
        if kind == "rule":
            base, _, member = name.partition("[")
            return self.rule(base, member.rstrip("]") or None)
        if kind == "parameter":
            return self.parameter(name, value)
        return ExplainNode("field", name, _plain(value))

    def parameter(self, name: str, value: Any) -> ExplainNode:
        parameter = self.chain.parameters[name]
        chosen = self.resolved.value_sources.get(name)
        if name in self.resolved.overrides:
            return ExplainNode("parameter", name, render(value, parameter.type), parameter.label,
                               source={"override": "--set"}, effective="this run")
        source = self.citation(chosen.source) if chosen else None
        effective = _dates(chosen.start, chosen.end) if chosen else ""
        shown = "must be supplied" if isinstance(value, Unavailable) else render(value, parameter.type)
        return ExplainNode("parameter", name, shown, parameter.label, source=source, effective=effective)

    def citation(self, citation: Citation) -> dict[str, Any]:
        document = self.chain.sources.get(citation.doc)
        data: dict[str, Any] = {"doc": citation.doc, "clause": citation.clause}
        if citation.rule:
            data["rule"] = citation.rule
        if citation.confidence:
            data["confidence"] = citation.confidence
        if document is not None:
            data["title"] = document.title
            if document.number:
                data["number"] = document.number
        if citation.quote:
            data["quote"] = citation.quote
        elif document is not None and document.seed:
            text = read_source(self.sources / document.seed)
            found = clause_text(text, citation.clause) if text else None
            if found:
                data["text"] = found
        return data


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

    On a terminal the tree wraps at its width; piped, no line is wrapped.
    """
    import sys

    from rich.console import Console
    from rich.markup import escape
    from rich.tree import Tree

    from engine.render import emit, income_rows

    head = explanation.as_dict()
    title = (f"[bold]{escape(head['household'])}[/] · {head['region']} {tr('on')} {head['date']} · "
             f"{tr('policy')} {head['policy']['version']} {head['policy']['digest']}")
    root = Tree(title)
    for node in explanation.outputs:
        _add(root, node, show_quotes)
    console = Console() if sys.stdout.isatty() else Console(width=100_000, soft_wrap=True)
    console.print(root)
    if head["incomes"]:
        click.echo()
        emit("table", income_rows(head["incomes"]))


def _add(parent: Any, node: ExplainNode, show_quotes: bool) -> None:
    from rich.markup import escape

    colour = {"output": "bold cyan", "rule": "cyan", "parameter": "magenta", "field": "green"}[node.kind]
    shown = json.dumps(node.value, ensure_ascii=False) if not isinstance(node.value, str) else node.value
    text = f"[{colour}]{node.name}[/] = [bold]{escape(shown)}[/]"
    if node.label:
        text += f"  {node.label}"
    if node.source and "doc" in node.source:
        text += f"  [dim]({node.source['doc']} {node.source['clause']}"
        text += f", {node.source['rule']})[/]" if "rule" in node.source else ")[/]"
    if node.effective:
        text += f"  [dim]{tr('in force')} {tr_message(node.effective)}[/]"
    branch = parent.add(text)
    if node.expr:
        branch.add(f"[dim]= {escape(node.expr)}[/]")
    words = (node.source or {}).get("quote") or (node.source or {}).get("text")
    if show_quotes and words:
        branch.add(f"[italic]「{escape(words)}」[/]")
    for child in node.children:
        _add(branch, child, show_quotes)
