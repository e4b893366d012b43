"""A region as a document: its rules and parameter histories, each with its clause, as data.

What a policy officer reads next to the source document: every rule's label, clause, the
clause's words (recorded in the policy, or found in ``sources/``), the expression in force
and its reading note; every parameter's dated values with their sources and confidence,
the values to be supplied locally shown as such. The staff pages and the HTTP service
(``GET /v1/regions/{region}``) give this one structure.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from engine.base.diagnostics import Diagnostic, DiagnosticError, did_you_mean
from engine.language.constants import constant_value
from engine.language.formatter import format_expression
from engine.policy.clauses import citation_data
from engine.policy.policy_model import DatedValue, Parameter, Rule, Source
from engine.runtime.library import PolicyLibrary
from engine.runtime.outputs import render
from engine.runtime.policy_check import CheckedRegion


def region_document(library: PolicyLibrary, region: str) -> dict[str, Any]:
    """The region's header, rules and parameters (raises ``DiagnosticError`` for an unknown region)."""
    checked = library.region(region)
    chain = checked.chain
    sources = sources_folder(library)
    outputs = chain.outputs()
    return {
        "region": region,
        "name": chain.top.name,
        "version": chain.version,
        "span": [chain.span_from.isoformat(), chain.span_to.isoformat()],
        "note": chain.top.note or "",
        "outputs": outputs,
        "sources": [_source(s) for s in chain.sources.values()],
        "rules": [_rule(rule, checked, sources, rule.name in outputs) for rule in _in_order(chain.rules, outputs)],
        "parameters": [parameter_history(checked, name, sources) for name in sorted(chain.parameters)],
    }


def parameter_history(checked: CheckedRegion, name: str, sources: Path) -> dict[str, Any]:
    """One parameter's dated values, oldest first, each with its source (or what must be supplied)."""
    parameter: Parameter | None = checked.chain.parameters.get(name)
    if parameter is None:
        raise DiagnosticError([Diagnostic("E-PARAMETER", f"{checked.chain.region} has no parameter {name!r}",
                                          suggestion=did_you_mean(name, checked.chain.parameters))])
    values = [_dated_value(checked, parameter, value, sources)
              for value in sorted(parameter.values, key=lambda v: v.start)]
    return {"name": name, "label": parameter.label, "type": str(parameter.type), "layer": parameter.layer,
            "note": parameter.note or "", "values": values}


def sources_folder(library: PolicyLibrary) -> Path:
    """Where the source documents a tree's citations name (``seed:``) are kept: ``sources/`` beside it."""
    return library.root.parent / "sources"


def _in_order(rules: dict[str, Rule], outputs: list[str]) -> list[Rule]:
    """Outputs in contract order first, then the rules they are built from, by name."""
    first = [rules[n] for n in outputs if n in rules]
    rest = [rules[n] for n in sorted(rules) if n not in outputs]
    return first + rest


def _rule(rule: Rule, checked: CheckedRegion, sources: Path, output: bool) -> dict[str, Any]:
    variants = [{"from": _day(v.start), "to": _day(v.end), "expression": format_expression(v.body),
                 "source": citation_data(checked.chain.sources, v.source, sources), "note": v.note or ""}
                for v in sorted(rule.variants, key=lambda v: v.start or date.min)]
    return {"name": rule.name, "label": rule.label, "type": str(rule.type), "scope": rule.scope,
            "output": output, "layer": rule.layer, "note": rule.note or "", "variants": variants}


def _dated_value(checked: CheckedRegion, parameter: Parameter, value: DatedValue, sources: Path) -> dict[str, Any]:
    data: dict[str, Any] = {"from": value.start.isoformat(), "to": _day(value.end),
                            "source": citation_data(checked.chain.sources, value.source, sources),
                            "note": value.note or ""}
    if value.must_supply is not None or value.expr is None:
        data["must_supply"] = value.must_supply or "no value given"
    else:
        data["value"] = render(constant_value(value.expr), parameter.type)
    return data


def _day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _source(source: Source) -> dict[str, Any]:
    data = {"id": source.id, "title": source.title}
    for key in ("number", "issued", "published", "confidence", "note"):
        if getattr(source, key):
            data[key] = getattr(source, key)
    return data
