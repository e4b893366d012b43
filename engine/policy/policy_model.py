"""The policy model: what a region folder says, as typed objects with positions.

Layers (the common layer, a region, a sub-jurisdiction) hold sources, parameters (dated
values) and rules (dated variants of an expression). Everything keeps the ``Span`` it
was written at, so any later diagnostic points back into the YAML.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from engine.base.diagnostics import Span
from engine.household.vocabulary import Term
from engine.language import syntax as s
from engine.language import types as t


@dataclass(frozen=True)
class Citation:
    """A document id (declared under ``sources``) and its clause; optionally the catalogue id."""

    doc: str
    clause: str
    span: Span
    rule: str | None = None
    confidence: str | None = None
    quote: str | None = None

    def __str__(self) -> str:
        tail = f" ({self.rule})" if self.rule else ""
        return f"{self.doc} {self.clause}{tail}"


@dataclass(frozen=True)
class Source:
    id: str
    title: str
    span: Span
    number: str | None = None
    issued: str | None = None
    published: str | None = None
    seed: str | None = None
    url: str | None = None
    confidence: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class DatedValue:
    """One value of a parameter, in force from ``start`` to ``end`` (inclusive, open when None)."""

    start: date
    end: date | None
    expr: s.Node | None
    must_supply: str | None
    source: Citation
    span: Span
    note: str | None = None

    def covers(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass(frozen=True)
class Variant:
    """One dated form of a rule's expression."""

    start: date | None
    end: date | None
    body: s.Node
    source: Citation
    span: Span
    note: str | None = None

    def covers(self, day: date) -> bool:
        return (self.start is None or self.start <= day) and (self.end is None or day <= self.end)


@dataclass(frozen=True)
class Parameter:
    name: str
    type: t.Type
    label: str
    values: tuple[DatedValue, ...]
    span: Span
    layer: str
    note: str | None = None
    source: Citation | None = None  # the citation of every value that gives none of its own
    keyed: bool = False  # values written keyed by start date (else as a list of from/to values)


@dataclass(frozen=True)
class Rule:
    name: str
    type: t.Type
    label: str
    variants: tuple[Variant, ...]
    span: Span
    layer: str
    scope: str = "household"
    output: bool = False
    note: str | None = None
    available: str | None = None  # the rule that says whether this output is available for a household


def availability_rule(name: str) -> str:
    """The name of the rule that holds a rule's ``available_when`` (a name no expression can write)."""
    return f"{name}:available"


@dataclass
class Layer:
    """One folder of the policy tree: the common layer, a region or a sub-jurisdiction."""

    key: str  # "common", "hebi", "inner_mongolia/hinggan"
    id: str
    kind: str
    name: str
    version: str
    span_from: date
    span_to: date
    span: Span
    inherits: str | None = None
    inherits_span: Span | None = None
    province: str | None = None
    admin_code: str | None = None
    note: str | None = None
    folder: str = ""
    files: list[str] = field(default_factory=list)
    sources: dict[str, Source] = field(default_factory=dict)
    parameters: dict[str, Parameter] = field(default_factory=dict)
    rules: dict[str, Rule] = field(default_factory=dict)
    vocabulary: list[Term] = field(default_factory=list)  # the household codes this layer declares, in file order
