"""Worked cases: hand-computed households in ``policies/<region>/tests/*.yaml``, and running them.

Each case names the catalogue clause it checks, the date, optional ``--set`` overrides,
a CONTRACT household and the outputs expected (or an expected error). pytest collects
them (see ``conftest.py``) and ``dibao test`` runs the same cases with clause coverage.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from engine.base.diagnostics import Diagnostic, DiagnosticError, Span
from engine.base.yaml_source import load_yaml
from engine.household.record import validate_household
from engine.policy.policy_files import display_name
from engine.runtime.evaluate import evaluate
from engine.runtime.library import PolicyLibrary

CASE_KEYS = {"name", "checks", "clause", "note", "date", "set", "household", "expect", "expect_members",
             "expect_error"}


@dataclass
class WorkedCase:
    region: str
    name: str
    checks: tuple[str, ...]
    as_of: date
    household: Any
    span: Span
    overrides: dict[str, str] = field(default_factory=dict)
    expect: dict[str, Any] = field(default_factory=dict)
    expect_members: dict[str, dict[str, Any]] = field(default_factory=dict)
    expect_error: str | None = None
    clause: str | None = None
    locate: Callable[[tuple[object, ...]], Span] | None = field(default=None, repr=False, compare=False)


@dataclass
class CaseOutcome:
    case: WorkedCase
    mismatches: list[tuple[str, Any, Any]]  # (output, expected, actual)
    error: str | None = None
    diagnostics: list[Diagnostic] = field(default_factory=list)  # what stopped the case, each in its place

    @property
    def passed(self) -> bool:
        return not self.mismatches and self.error is None


def case_files(root: Path, region: str | None = None) -> Iterator[tuple[str, Path]]:
    """(region, file) of every worked-case file, for one region or all."""
    for folder in sorted(root.glob("*/tests")) + sorted(root.glob("*/*/tests")):
        key = str(folder.parent.relative_to(root))
        if region is None or key == region:
            for path in sorted(folder.glob("*.yaml")):
                yield key, path


def load_cases(region: str, path: Path) -> list[WorkedCase]:
    """Read one file of worked cases; a malformed case raises ``DiagnosticError`` located in the file."""
    loaded = load_yaml(path, name=display_name(path))
    data = loaded.data
    if not isinstance(data, dict) or not isinstance(data.get("cases"), list):
        raise DiagnosticError([Diagnostic("E-CASE", "a worked-case file has a `cases:` list", loaded.span(()))])
    cases = []
    problems = []
    for index, raw in enumerate(data["cases"]):
        where = loaded.span(("cases", index))
        if not isinstance(raw, dict):
            problems.append(Diagnostic("E-CASE", "a case is a mapping", where))
            continue
        unknown = set(raw) - CASE_KEYS
        missing = {"name", "checks", "date", "household"} - set(raw)
        if unknown or missing or not ("expect" in raw or "expect_members" in raw or "expect_error" in raw):
            problems.append(Diagnostic("E-CASE", f"case {raw.get('name', index)!r}: unknown keys {sorted(unknown)}, "
                                       f"missing {sorted(missing)}; it needs expect, expect_members or expect_error",
                                       where))
            continue
        try:
            as_of = date.fromisoformat(str(raw["date"]))
        except ValueError:
            problems.append(Diagnostic("E-CASE", f"{raw['date']} is not a date", loaded.span(("cases", index, "date"))))
            continue
        checks = raw["checks"] if isinstance(raw["checks"], list) else [raw["checks"]]
        cases.append(WorkedCase(
            region=region, name=str(raw["name"]), checks=tuple(str(c) for c in checks), as_of=as_of,
            household=raw["household"], span=where, overrides={k: str(v) for k, v in (raw.get("set") or {}).items()},
            expect=raw.get("expect") or {}, expect_members=raw.get("expect_members") or {},
            expect_error=raw.get("expect_error"), clause=raw.get("clause"),
            locate=loaded.locator(("cases", index, "household"))))
    if problems:
        raise DiagnosticError(problems)
    return cases


def run_case(case: WorkedCase, library: PolicyLibrary) -> CaseOutcome:
    """Evaluate a case and compare every expected output with what the policy gives."""
    try:
        household = validate_household(case.household, source=str(case.span.file), line=case.span.line,
                                       locate=case.locate, vocabulary=library.vocabulary_of(case.region))
        wanted = list(case.expect) + sorted({n for outs in case.expect_members.values() for n in outs})
        determination = evaluate(household, case.region, case.as_of, overrides=case.overrides,
                                 outputs=wanted or None, library=library)
    except DiagnosticError as error:
        message = "; ".join(d.message for d in error.diagnostics)
        if case.expect_error is not None and case.expect_error in message:
            return CaseOutcome(case, [])
        return CaseOutcome(case, [], error=message, diagnostics=list(error.diagnostics))
    if case.expect_error is not None:
        return CaseOutcome(case, [], error=f"expected an error containing {case.expect_error!r}, got a determination")
    rendered = determination.to_json()
    mismatches = [(name, want, rendered["outputs"].get(name)) for name, want in case.expect.items()
                  if not same(want, rendered["outputs"].get(name))]
    for member, outputs in case.expect_members.items():
        actual = rendered["members"].get(member, {})
        mismatches += [(f"members.{member}.{name}", want, actual.get(name)) for name, want in outputs.items()
                       if not same(want, actual.get(name))]
    return CaseOutcome(case, mismatches)


def same(expected: Any, actual: Any) -> bool:
    """Expected values are written as YAML: money as "12.50" or 12.50, dates as text."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual
    if isinstance(expected, list):
        return isinstance(actual, list) and sorted(map(str, expected)) == sorted(map(str, actual))
    if isinstance(expected, (int, Decimal, str)) and isinstance(actual, (int, str)):
        try:
            return Decimal(str(expected)) == Decimal(str(actual))
        except InvalidOperation:
            return str(expected) == str(actual)
    return bool(expected == actual)
