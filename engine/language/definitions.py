"""Definitions: what the expression checker is given (a parameter or rule with its expressions)
and what it gives back (diagnostics, each definition's checked expressions, the names it reads)."""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.base.diagnostics import Diagnostic, Span, did_you_mean
from engine.language import syntax as s
from engine.language import types as t


@dataclass(frozen=True)
class Definition:
    """A parameter or rule as the checker sees it: declared type, scope, its expressions."""

    name: str
    kind: str  # "parameter" or "rule"
    type: t.Type
    span: Span
    bodies: tuple[s.Node, ...] = ()
    scope: str = "household"  # or "member"
    nonzero: bool = False  # a parameter whose every value is a non-zero constant


@dataclass
class CheckResult:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    bodies: dict[str, tuple[s.Node, ...]] = field(default_factory=dict)  # definition name → its checked bodies
    dependencies: dict[str, set[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not any(d.severity == "error" for d in self.diagnostics)


def start_span(node: s.Node) -> Span:
    """Where an expression's text begins (an operator node's own span is the operator)."""
    while isinstance(node, s.Binary):
        node = node.left
    return node.span


def mismatch(definition: Definition, found: t.Type, span: Span) -> Diagnostic:
    """The diagnostic for a definition whose expression has another type than the one declared."""
    if isinstance(definition.type, t.Enum) and isinstance(found, t.Enum):
        extra = sorted(found.values - definition.type.values)
        return Diagnostic("E-ENUM", f"{definition.name} is declared {definition.type}; {', '.join(map(repr, extra))} "
                          f"is not one of its values ({', '.join(sorted(definition.type.values))})", span,
                          suggestion=did_you_mean(extra[0], definition.type.values) if extra else None)
    owner, _, role = definition.name.partition(":")
    if role == "available":
        return Diagnostic("E-TYPE", f"available_when of {owner} must be a condition (true or false), but its "
                          f"expression is {found}", span)
    hint = t.period_hint(found, definition.type)
    return Diagnostic(
        "E-PERIOD" if hint else "E-TYPE",
        f"{definition.name} is declared {definition.type} but its expression is {found}"
        + (f"; {hint}" if hint else ""),
        span,
    )
