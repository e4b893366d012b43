"""A region as a document: its rules and parameter histories, each with its clause, as data.

What a policy officer reads next to the source document: every rule's label, clause, the
clause's words (recorded in the policy, or found in ``sources/``), the expression in force
and its reading note; every parameter's dated values with their sources and confidence,
the values to be supplied locally shown as such. The web pages, the HTTP service and the
``doc`` command render this one structure.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from engine.clauses import clause_text, read_seed
from engine.formatter import format_expression
from engine.library import PolicyLibrary
from engine.outputs import render
from engine.policy_check import CheckedRegion
from engine.policy_model import Citation, DatedValue, Parameter, Rule, Source


def region_document(library: PolicyLibrary, region: str) -> dict[str, Any]:
    """The region's header, rules and parameters (raises ``DiagnosticError`` for an unknown region)."""
    checked = library.region(region)
    chain = checked.chain
    sources = library.root.parent / "sources"
    quote = _Quoter(chain.sources, sources)
    outputs = chain.outputs()
    return {
        "region": region,
        "name": chain.top.name,
        "version": chain.version,
        "span": [chain.span_from.isoformat(), chain.span_to.isoformat()],
        "note": chain.top.note or "",
        "outputs": outputs,
        "sources": [_source(s) for s in chain.sources.values()],
        "rules": [_rule(rule, quote, rule.name in outputs) for rule in _in_order(chain.rules, outputs)],
        "parameters": [parameter_history(checked, name, quote) for name in sorted(chain.parameters)],
    }


def parameter_history(checked: CheckedRegion, name: str, quote: _Quoter | None = None) -> dict[str, Any]:
    """One parameter's dated values, oldest first, each with its source (or what must be supplied)."""
    parameter: Parameter = checked.chain.parameters[name]
    quote = quote or _Quoter(checked.chain.sources, None)
    values = [_dated_value(checked, parameter, value, quote)
              for value in sorted(parameter.values, key=lambda v: v.start)]
    return {"name": name, "label": parameter.label, "type": str(parameter.type), "layer": parameter.layer,
            "note": parameter.note or "", "values": values}


def must_supply_on(checked: CheckedRegion, day: date) -> list[str]:
    """Parameters with no value to use on ``day``: marked must-supply, or not covered at all."""
    found = []
    for name, parameter in checked.chain.parameters.items():
        covering = [v for v in parameter.values if v.covers(day)]
        if not covering or max(covering, key=lambda v: v.start).must_supply is not None:
            found.append(name)
    return sorted(found)


class _Quoter:
    """A citation as data, with the clause's words where they can be found."""

    def __init__(self, documents: dict[str, Source], folder: Path | None) -> None:
        self.documents = documents
        self.folder = folder

    def __call__(self, citation: Citation) -> dict[str, Any]:
        data: dict[str, Any] = {"doc": citation.doc, "clause": citation.clause}
        for key in ("rule", "confidence"):
            if getattr(citation, key):
                data[key] = getattr(citation, key)
        document = self.documents.get(citation.doc)
        if document is not None:
            data["title"] = document.title
            if document.number:
                data["number"] = document.number
        words = citation.quote or self._found(document, citation.clause)
        if words:
            data["quote"] = words
        return data

    def _found(self, document: Source | None, clause: str) -> str | None:
        if document is None or not document.seed or self.folder is None:
            return None
        text = read_seed(self.folder, document.seed)
        return clause_text(text, clause) if text else None


def _in_order(rules: dict[str, Rule], outputs: list[str]) -> list[Rule]:
    """Outputs in contract order first, then the rules they are built from, by name."""
    first = [rules[n] for n in outputs if n in rules]
    rest = [rules[n] for n in sorted(rules) if n not in outputs]
    return first + rest


def _rule(rule: Rule, quote: _Quoter, output: bool) -> dict[str, Any]:
    variants = [{"from": v.start.isoformat() if v.start else None, "to": v.end.isoformat() if v.end else None,
                 "expression": format_expression(v.body), "source": quote(v.source), "note": v.note or ""}
                for v in sorted(rule.variants, key=lambda v: v.start or date.min)]
    return {"name": rule.name, "label": rule.label, "type": str(rule.type), "scope": rule.scope,
            "output": output, "layer": rule.layer, "note": rule.note or "", "variants": variants}


def _dated_value(checked: CheckedRegion, parameter: Parameter, value: DatedValue, quote: _Quoter) -> dict[str, Any]:
    data: dict[str, Any] = {"from": value.start.isoformat(), "to": value.end.isoformat() if value.end else None,
                            "source": quote(value.source), "note": value.note or ""}
    if value.must_supply is not None or value.expr is None:
        data["must_supply"] = value.must_supply or "no value"
    else:
        data["value"] = _shown(render(checked.constants[id(value.expr)], parameter.type))
    return data


def _shown(value: Any) -> Any:
    return ", ".join(str(v) for v in value) if isinstance(value, list) else value


def _source(source: Source) -> dict[str, Any]:
    data = {"id": source.id, "title": source.title}
    for key in ("number", "issued", "published", "confidence", "note"):
        if getattr(source, key):
            data[key] = getattr(source, key)
    return data
