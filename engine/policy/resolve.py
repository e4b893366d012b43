"""Resolve: layers → the policy in force for one region on one date.

A region inherits the common layer and may be overridden by a sub-jurisdiction; a later
layer's parameter or rule replaces the earlier one whole. On a date, each parameter
takes the value whose dates cover it and each rule the variant in force. The resolved
policy has a canonical digest: the same content gives the same digest, so every
determination can be reproduced and audited.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from engine.base.diagnostics import Diagnostic, DiagnosticError, did_you_mean
from engine.language import syntax as s
from engine.language import types as t
from engine.language.constants import constant_value
from engine.language.formatter import format_expression
from engine.policy.contract import ALL_OUTPUTS
from engine.policy.member_names import relative_to_member
from engine.policy.policy_model import DatedValue, Layer, Parameter, Rule, Source, Variant


@dataclass(frozen=True)
class Unavailable:
    """A parameter with no usable value on the date (left to the local office, or not covered).

    Reading it stops evaluation with its message, which names the parameter, the dates its
    values cover and how to supply one (``--set``).
    """

    name: str
    message: str


@dataclass(frozen=True)
class RuleCode:
    """What the interpreter needs of one rule: its chosen expression, type and scope.

    ``available`` names the rule that says whether the output has a value for a household
    (its ``available_when``); where it is false the output is ``None``, not computed.
    """

    name: str
    type: t.Type
    body: s.Node
    scope: str = "household"
    available: str | None = None


@dataclass
class Chain:
    """The layers of one region, most general first, and what they define once merged."""

    region: str
    layers: list[Layer]
    parameters: dict[str, Parameter] = field(default_factory=dict)
    rules: dict[str, Rule] = field(default_factory=dict)
    sources: dict[str, Source] = field(default_factory=dict)

    @property
    def top(self) -> Layer:
        return self.layers[-1]

    @property
    def version(self) -> str:
        return "+".join(layer.version for layer in self.layers[1:]) or self.top.version

    @property
    def span_from(self) -> date:
        return self.top.span_from

    @property
    def span_to(self) -> date:
        return self.top.span_to

    def outputs(self) -> list[str]:
        """Contract names this region defines, then its own extra outputs."""
        names = [n for n in ALL_OUTPUTS if n in self.rules or n in self.parameters]
        names += sorted(n for n, r in self.rules.items() if r.output and n not in ALL_OUTPUTS)
        return names


def build_chain(layers: Mapping[str, Layer], region: str) -> Chain:
    """Follow ``inherits`` from a region up to the common layer and merge what each defines."""
    if region not in layers or layers[region].kind == "common":
        known = ", ".join(sorted(k for k, v in layers.items() if v.kind != "common"))
        raise DiagnosticError([Diagnostic("E-REGION", f"unknown region {region!r}; the regions are: {known}")])
    order: list[Layer] = []
    key: str | None = region
    while key is not None:
        layer = layers.get(key)
        if layer is None:
            child = order[-1]
            hint = did_you_mean(key, layers)
            raise DiagnosticError([Diagnostic("E-INHERITS", f"{child.key} inherits {key!r}, which is not a layer",
                                              child.inherits_span or child.span, suggestion=hint)])
        if layer in order:
            cycle = " → ".join([*(o.key for o in order[order.index(layer):]), layer.key])
            message = f"{layer.key} inherits itself" if len(order) - order.index(layer) == 1 else \
                f"layers inherit in a circle: {cycle}"
            raise DiagnosticError([Diagnostic("E-INHERITS", message, layer.inherits_span or layer.span)])
        order.append(layer)
        key = layer.inherits
    order.reverse()
    chain = Chain(region, order)
    for layer in order:
        chain.sources.update(layer.sources)
        for name, parameter in layer.parameters.items():
            chain.rules.pop(name, None)
            chain.parameters[name] = parameter
        for name, rule in layer.rules.items():
            chain.parameters.pop(name, None)
            chain.rules[name] = rule
    chain.rules.update(relative_to_member(chain.rules))
    return chain


@dataclass
class ResolvedPolicy:
    """What evaluation uses: the values and rule variants in force for a region on a date."""

    chain: Chain
    as_of: date
    values: dict[str, Any]  # parameter name → exact value, or Unavailable
    value_sources: dict[str, DatedValue | None]
    variants: dict[str, Variant]
    overrides: dict[str, Any]
    digest: str = ""
    supplied: frozenset[str] = frozenset()  # parameters whose value came from a --params file

    @property
    def region(self) -> str:
        return self.chain.region


def value_in_force(parameter: Parameter, day: date) -> DatedValue | None:
    found = [v for v in parameter.values if v.covers(day)]
    return max(found, key=lambda v: v.start) if found else None


def variant_in_force(rule: Rule, day: date) -> Variant | None:
    found = [v for v in rule.variants if v.covers(day)]
    return max(found, key=lambda v: v.start or date.min) if found else None


def coverage_text(parameter: Parameter) -> str:
    parts = [f"{v.start} – {v.end or 'open'}" + (" (must be supplied)" if v.must_supply else "")
             for v in sorted(parameter.values, key=lambda v: v.start)]
    return ", ".join(parts) or "no dates"


def resolve(chain: Chain, as_of: date, overrides: Mapping[str, Any] | None = None,
            local: Mapping[str, tuple[DatedValue, Any]] | None = None) -> ResolvedPolicy:
    """The policy in force on ``as_of`` (each parameter value a constant of the checked chain).

    ``local`` holds values supplied by ``--params`` files (the dated value and its exact
    value): they take the place of the policy's own value on this date, and ``overrides``
    (``--set``) win over both.
    """
    overrides = dict(overrides or {})
    local = local or {}
    values: dict[str, Any] = {}
    sources: dict[str, DatedValue | None] = {}
    for name, parameter in chain.parameters.items():
        chosen = local[name][0] if name in local else value_in_force(parameter, as_of)
        sources[name] = chosen
        if name in overrides:
            values[name] = overrides[name]
        elif name in local:
            values[name] = local[name][1]
        elif chosen is None:
            values[name] = Unavailable(name, (
                f"{name} ({parameter.label}) has no value on {as_of} in {chain.region}; its values cover "
                f"{coverage_text(parameter)}; supply one with --set {name}=VALUE or in a --params file"))
        elif chosen.must_supply is not None:
            values[name] = Unavailable(name, (
                f"{name} ({parameter.label}) must be supplied for {chain.region} on {as_of}: "
                f"{chosen.must_supply.rstrip('.;')}; its values cover {coverage_text(parameter)}; "
                f"supply it with --set {name}=VALUE or in a --params file"))
        else:
            assert chosen.expr is not None
            values[name] = constant_value(chosen.expr)
    variants: dict[str, Variant] = {}
    for name, rule in chain.rules.items():
        variant = variant_in_force(rule, as_of)
        if variant is None:
            raise DiagnosticError([Diagnostic("E-COVERAGE", f"rule {name} has no variant in force on {as_of}",
                                              rule.span)])
        variants[name] = variant
    resolved = ResolvedPolicy(chain, as_of, values, sources, variants, overrides,
                              supplied=frozenset(n for n in local if n in chain.parameters and n not in overrides))
    resolved.digest = digest(resolved)
    return resolved


def canonical_content(resolved: ResolvedPolicy) -> dict[str, Any]:
    """The resolved policy as plain JSON-able data: what the digest is taken over."""
    parameters = {}
    for name in sorted(resolved.values):
        value = resolved.values[name]
        parameters[name] = {"type": str(resolved.chain.parameters[name].type), "value": _plain(value)}
    rules = {}
    for name in sorted(resolved.variants):
        rule = resolved.chain.rules[name]
        rules[name] = {"type": str(rule.type), "scope": rule.scope,
                       "expr": format_expression(resolved.variants[name].body)}
    return {"region": resolved.chain.region, "version": resolved.chain.version,
            "parameters": parameters, "rules": rules}


def digest(resolved: ResolvedPolicy) -> str:
    text = json.dumps(canonical_content(resolved), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def _plain(value: Any) -> Any:
    if isinstance(value, Unavailable):
        return {"unavailable": value.name}
    if isinstance(value, (frozenset, set, tuple, list)):
        return sorted(_plain(v) for v in value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)

