"""``dibao test``: run the regions' worked cases and report clause coverage.

Coverage compares the catalogue ids a region's policy cites (``rule:`` in its citations)
with the ids its worked cases check; a failing case shows expected against actual and
the explain tree of each differing output.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.diagnostics import DiagnosticError
from engine.library import PolicyLibrary
from engine.resolve import build_chain
from engine.worked_cases import CaseOutcome, case_files, load_cases, run_case


@dataclass
class RegionReport:
    region: str
    outcomes: list[CaseOutcome] = field(default_factory=list)
    encoded: set[str] = field(default_factory=set)
    tested: set[str] = field(default_factory=set)
    load_errors: list[str] = field(default_factory=list)

    @property
    def untested(self) -> list[str]:
        return sorted(self.encoded - self.tested, key=_clause_order)

    @property
    def failed(self) -> list[CaseOutcome]:
        return [o for o in self.outcomes if not o.passed]


def run_worked_cases(library: PolicyLibrary, region: str | None = None) -> list[RegionReport]:
    reports: dict[str, RegionReport] = {}
    regions = [region] if region else library.regions
    for name in regions:
        report = reports.setdefault(name, RegionReport(name))
        if name in library.tree.layers:
            chain = build_chain(library.tree.layers, name)
            report.encoded = {c.rule for p in chain.parameters.values() for v in p.values for c in [v.source] if c.rule}
            report.encoded |= {v.source.rule for r in chain.rules.values() for v in r.variants if v.source.rule}
    for name, path in case_files(library.root, region):
        report = reports.setdefault(name, RegionReport(name))
        try:
            cases = load_cases(name, path)
        except DiagnosticError as error:
            report.load_errors += [d.one_line() for d in error.diagnostics]
            continue
        for case in cases:
            report.tested |= set(case.checks)
            report.outcomes.append(run_case(case, library))
    return [reports[k] for k in sorted(reports)]


def _clause_order(clause: str) -> tuple[str, int]:
    digits = "".join(ch for ch in clause if ch.isdigit())
    return clause[:1], int(digits or 0)


def failure_lines(library: PolicyLibrary, outcome: CaseOutcome) -> list[str]:
    """How a failed case is reported (by ``dibao test`` and the pytest plugin): expected against actual, and why."""
    case = outcome.case
    lines = [f"FAIL {case.span}: {case.name} ({', '.join(case.checks)})"]
    if outcome.error:
        lines.append(f"  error: {outcome.error}")
    lines += [f"  {name}: expected {want!r}, got {got!r}" for name, want, got in outcome.mismatches]
    lines += [f"  {line}" for line in explain_failure(library, outcome)]
    return lines


def explain_failure(library: PolicyLibrary, outcome: CaseOutcome) -> list[str]:
    """The explain tree (as indented text) of each output whose value differs."""
    from engine.explain import explain
    from engine.household import validate_household

    lines: list[str] = []
    case = outcome.case
    try:
        household = validate_household(case.household)
        for name, _want, _got in outcome.mismatches:
            if name.startswith("members."):
                continue
            explanation = explain(library, household, case.region, case.as_of, case.overrides, name)
            for node in explanation.outputs:
                lines += _indent(node.as_dict(), 2)
    except DiagnosticError:
        return lines
    return lines


def _indent(node: dict[str, object], depth: int) -> list[str]:
    text = f"{' ' * depth}{node['name']} = {node['value']}"
    if "expr" in node:
        text += f"    [{node['expr']}]"
    out = [text]
    for child in node.get("children", []):  # type: ignore[attr-defined]
        out += _indent(child, depth + 2)
    return out
