"""Evaluate: a household, a region and a date → a ``Determination`` (the library call).

``evaluate`` is what ``dibao evaluate`` and every other command call: it opens the
policy library, resolves the region on the date (with overrides), compiles once, runs
the interpreter and returns typed values. Problems raise ``DiagnosticError``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path

from engine.base.diagnostics import Diagnostic, DiagnosticError
from engine.household.record import Household
from engine.policy.contract import ALL_OUTPUTS
from engine.policy.resolve import ResolvedPolicy, Unavailable
from engine.runtime.evaluation import EvaluationError
from engine.runtime.library import PolicyLibrary
from engine.runtime.outputs import Determination
from engine.runtime.tracing import Tracer


def evaluate(household: Household, region: str, as_of: date, *, policies: Path | str | None = None,
             overrides: Mapping[str, str] | None = None, outputs: Iterable[str] | None = None,
             tracer: Tracer | None = None, library: PolicyLibrary | None = None) -> Determination:
    """Evaluate one validated household against a region's policy in force on ``as_of``."""
    library = library or PolicyLibrary.open(policies)
    resolved = library.resolve(region, as_of, overrides)
    return evaluate_resolved(library, resolved, household, outputs, tracer)


def evaluate_resolved(library: PolicyLibrary, resolved: ResolvedPolicy, household: Household,
                      outputs: Iterable[str] | None = None, tracer: Tracer | None = None) -> Determination:
    program = library.program(resolved)
    chain = resolved.chain
    wanted = list(outputs) if outputs is not None else chain.outputs()
    unknown = [n for n in wanted if n not in program.rules and n not in chain.parameters]
    if unknown:
        raise DiagnosticError([Diagnostic("E-OUTPUT", f"{resolved.region} defines no output {n!r}") for n in unknown])
    rule_outputs = [n for n in wanted if n in program.rules]
    try:
        values, members = program.evaluate(household, resolved.as_of, rule_outputs, tracer)
    except EvaluationError as error:
        raise DiagnosticError([_about(household, d) for d in error.diagnostics]) from None
    for name in wanted:  # parameters answered as outputs (dibao.standard_annual)
        if name in chain.parameters:
            value = resolved.values[name]
            if isinstance(value, Unavailable):
                raise DiagnosticError([Diagnostic("E-EVAL", f"household {household.id}: {value.message}")])
            values[name] = value
    types = {n: (chain.rules[n].type if n in chain.rules else chain.parameters[n].type) for n in wanted}
    household_values = {n: values[n] for n in sorted(values, key=lambda n: _CONTRACT_ORDER.get(n, len(ALL_OUTPUTS)))}
    return Determination(resolved.region, resolved.as_of, chain.version, resolved.digest, household.id,
                         household_values, members, types, library.tree_info())


_CONTRACT_ORDER = {name: index for index, name in enumerate(ALL_OUTPUTS)}


def _about(household: Household, diagnostic: Diagnostic) -> Diagnostic:
    return Diagnostic(diagnostic.code, f"household {household.id}: {diagnostic.message}", diagnostic.span,
                      diagnostic.notes, diagnostic.suggestion)
