"""``dibao test``: run the regions' worked cases and report clause coverage.

Coverage compares the catalogue ids a region's policy cites (``rule:`` in its citations)
with the ids its worked cases check; a failing case shows expected against actual and
the explain tree of each differing output.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.base.diagnostics import DiagnosticError
from engine.base.i18n import tr, tr_message
from engine.base.render import Column, Table, show
from engine.policy.resolve import build_chain
from engine.runtime.library import PolicyLibrary
from engine.tools.worked_cases import CaseOutcome, case_files, load_cases, run_case


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
    from engine.household.record import validate_household
    from engine.tools.explain import explain

    lines: list[str] = []
    case = outcome.case
    try:
        household = validate_household(case.household, vocabulary=library.vocabulary_of(case.region))
        for name, _want, _got in outcome.mismatches:
            if name.startswith("members."):
                continue
            explanation = explain(library, household, case.region, case.as_of, case.overrides, name)
            for node in explanation.outputs:
                lines += _indent(node.as_dict(), 2)
    except DiagnosticError:
        return lines
    return lines


def _indent(node: dict[str, Any], depth: int) -> list[str]:
    text = f"{' ' * depth}{node['name']} = {show(node['value'])}"
    if "expr" in node:
        text += f"    [{node['expr']}]"
    out = [text]
    for child in node.get("children", []):
        out += _indent(child, depth + 2)
    return out


def value_text(value: Any) -> str:
    """An expected or actual value as a worked case writes it: "430.00", true, null."""
    import json

    return json.dumps(value, ensure_ascii=False, default=str)


def report_data(reports: list[RegionReport]) -> dict[str, Any]:
    """What ``dibao test --format json`` prints."""
    regions = []
    for report in reports:
        regions.append({
            "region": report.region, "passed": sum(o.passed for o in report.outcomes), "cases": len(report.outcomes),
            "clauses_encoded": sorted(report.encoded, key=_clause_order),
            "clauses_with_worked_cases": sorted(report.encoded & report.tested, key=_clause_order),
            "clauses_without_worked_cases": report.untested, "load_errors": report.load_errors,
            "failed": [{"case": o.case.name, "at": str(o.case.span), "checks": list(o.case.checks), "error": o.error,
                        "mismatches": [{"output": n, "expected": w, "actual": g} for n, w, g in o.mismatches]}
                       for o in report.failed]})
    failed = sum(len(r.failed) for r in reports)
    return {"regions": regions, "passed": sum(len(r.outcomes) for r in reports) - failed, "failed": failed}


def report_table(library: PolicyLibrary, reports: list[RegionReport]) -> Table:
    """One row per region; failures (with the explain tree of each differing output) below."""
    table = Table([Column("region", "region"), Column("passed", "passed", "right"), Column("cases", "cases", "right"),
                   Column("encoded", "clauses encoded", "right"), Column("tested", "with worked cases", "right"),
                   Column("untested", "clauses without a worked case")])
    after: list[str] = []
    for report in reports:
        table.add(region=report.region, passed=sum(o.passed for o in report.outcomes), cases=len(report.outcomes),
                  encoded=len(report.encoded), tested=len(report.encoded & report.tested),
                  untested=", ".join(report.untested))
        after += [tr_message(line) for line in report.load_errors]
        for outcome in report.failed:
            after.append(f"{tr('FAIL')} {outcome.case.span}: {outcome.case.name} ({', '.join(outcome.case.checks)})")
            if outcome.error:
                after.append(f"  {tr('error')}: {tr_message(outcome.error)}")
            for name, want, got in outcome.mismatches:
                after.append("  " + tr("{name}: expected {want}, got {got}", name=name, want=value_text(want),
                                       got=value_text(got)))
            after += [f"  {line}" for line in explain_failure(library, outcome)]
    total = sum(len(r.outcomes) for r in reports)
    failed = sum(len(r.failed) for r in reports)
    after.append(tr("{passed} passed, {failed} failed", passed=total - failed, failed=failed))
    table.after = after
    return table
