"""The policies a server answers from: opened and checked once at start, never reloaded.

``LoadedPolicies`` holds one ``PolicyLibrary`` and a bounded cache of resolved
policies (region, date, overrides). Resolved policies and compiled programs are only
read once made, so any number of requests may evaluate at the same time. Every
answer is made by the library's own calls; this module only chooses them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from engine.diagnostics import Diagnostic, DiagnosticError
from engine.evaluate import evaluate_resolved
from engine.explain import citation_data
from engine.household import Household
from engine.library import PolicyLibrary
from engine.outputs import Determination, render
from engine.resolve import Chain, ResolvedPolicy
from engine.service.config import ServiceConfig

Overrides = tuple[tuple[str, str], ...]


class LoadedPolicies:
    """A checked policy tree and the resolved policies asked for so far."""

    def __init__(self, library: PolicyLibrary) -> None:
        self.library = library
        self._resolved = lru_cache(maxsize=512)(self._resolve)

    @classmethod
    def open(cls, config: ServiceConfig) -> LoadedPolicies:
        return cls(PolicyLibrary.open(config.policies, config.params))

    @property
    def sources(self) -> Path:
        return self.library.root.parent / "sources"

    def resolved(self, region: str, as_of: date, overrides: Mapping[str, str] | None = None) -> ResolvedPolicy:
        return self._resolved(region, as_of, tuple(sorted((overrides or {}).items())))

    def _resolve(self, region: str, as_of: date, overrides: Overrides) -> ResolvedPolicy:
        return self.library.resolve(region, as_of, dict(overrides))

    def evaluate(self, household: Household, region: str, as_of: date,
                 overrides: Mapping[str, str] | None = None) -> Determination:
        return evaluate_resolved(self.library, self.resolved(region, as_of, overrides), household)

    def chain(self, region: str) -> Chain:
        return self.library.region(region).chain

    def region_detail(self, region: str) -> dict[str, Any]:
        """A region's identity, rules (label, clauses, expressions, notes) and parameters with their history."""
        from engine.formatter import format_expression

        chain = self.chain(region)
        rules = [{
            "name": rule.name, "label": rule.label, "type": str(rule.type), "scope": rule.scope,
            "output": rule.name in chain.outputs(), "note": rule.note,
            "variants": [{"from": _day(v.start), "to": _day(v.end), "expression": format_expression(v.body),
                          "source": citation_data(chain, v.source, self.sources), "note": v.note}
                         for v in rule.variants],
        } for rule in sorted(chain.rules.values(), key=lambda r: r.name)]
        parameters = [self.parameter_history(region, name) for name in sorted(chain.parameters)]
        return {"region": region, "name": chain.top.name, "version": chain.version,
                "span": [chain.span_from.isoformat(), chain.span_to.isoformat()], "outputs": chain.outputs(),
                "rules": rules, "parameters": parameters}

    def parameter_history(self, region: str, name: str) -> dict[str, Any]:
        """Every dated value of one parameter, with the clause it comes from, oldest first."""
        checked = self.library.region(region)
        parameter = checked.chain.parameters.get(name)
        if parameter is None:
            raise DiagnosticError([Diagnostic("E-PARAMETER", f"{region} has no parameter {name!r}")])
        values = []
        for dated in sorted(parameter.values, key=lambda v: v.start):
            entry: dict[str, Any] = {"from": dated.start.isoformat(), "to": _day(dated.end)}
            if dated.must_supply is not None or dated.expr is None:
                entry["must_supply"] = dated.must_supply or "no value given"
            else:
                entry["value"] = render(checked.constants[id(dated.expr)], parameter.type)
            entry["source"] = citation_data(checked.chain, dated.source, self.sources)
            if dated.note:
                entry["note"] = dated.note
            values.append(entry)
        return {"name": name, "label": parameter.label, "type": str(parameter.type), "note": parameter.note,
                "values": values}


def _day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None
