"""Reports: what ``regions``, ``compare``, ``diff`` and ``consistency`` print, as data and as tables.

Each report is built as data first (what ``--format json`` prints), then as a
``render.Table`` for the other formats.
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction
from typing import Any

import click

from engine.base import exact
from engine.base.i18n import label, tr, tr_message
from engine.base.render import Column, Table, show
from engine.runtime.library import PolicyLibrary


def region_summaries(library: PolicyLibrary) -> list[dict[str, Any]]:
    """For each region: version, span, digest today (or at the span's end), outputs, parameters to supply."""
    summaries = []
    for region in library.regions:
        problems = library.problems_of(region)
        if problems:
            summaries.append({"region": region, "problems": len(problems)})
            continue
        chain = library.region(region).chain
        day = min(max(date.today(), chain.span_from), chain.span_to)
        resolved = library.resolve(region, day)
        to_supply = sorted({name for name, p in chain.parameters.items() if any(v.must_supply for v in p.values)})
        summaries.append({
            "region": region,
            "name": chain.top.name,
            "version": chain.version,
            "span": [chain.span_from.isoformat(), chain.span_to.isoformat()],
            "digest_on": day.isoformat(),
            "digest": resolved.digest,
            "outputs": chain.outputs(),
            "must_supply": to_supply,
        })
    return summaries


def regions_table(summaries: list[dict[str, Any]]) -> Table:
    """One row per region; a region with problems says so instead of its figures."""
    table = Table([Column("region", "region"), Column("name", "name"), Column("version", "version"),
                   Column("span", "span"), Column("digest", "digest"), Column("outputs", "outputs", "right"),
                   Column("must_supply", "must be supplied")])
    for item in summaries:
        if "problems" in item:
            table.add(region=item["region"], name=tr("{count} problems: run dibao check", count=item["problems"]))
            continue
        table.add(region=item["region"], name=item["name"], version=item["version"], span=" – ".join(item["span"]),
                  digest=item["digest"], outputs=len(item["outputs"]), must_supply=item["must_supply"] or ["—"])
    return table


def compare_regions(library: PolicyLibrary, household: Any, as_of: date,
                    overrides: dict[str, str] | None = None) -> dict[str, Any]:
    """One household through every region: contract output → region → rendered value or a reason."""
    from engine.base.diagnostics import DiagnosticError
    from engine.policy.contract import ALL_OUTPUTS, MEMBER_OUTPUTS
    from engine.runtime.evaluate import evaluate

    columns: dict[str, dict[str, Any]] = {}
    policies: dict[str, Any] = {}
    for region in library.regions:
        try:
            applicable = {k: v for k, v in (overrides or {}).items()
                          if k in library.region(region).chain.parameters}
            answer = evaluate(household, region, as_of, overrides=applicable, library=library).to_json()
        except DiagnosticError as error:
            columns[region] = {"error": error.diagnostics[0].message}
            continue
        policies[region] = {"version": answer["policy"]["version"], "digest": answer["policy"]["digest"]}
        cells = dict(answer["outputs"])
        for member, values in answer["members"].items():
            for name, value in values.items():
                cells[f"{name}[{member}]"] = value
        columns[region] = cells
    rows = [n for n in ALL_OUTPUTS if n not in MEMBER_OUTPUTS]
    member_rows = sorted({k for cells in columns.values() for k in cells if "[" in k})
    return {"date": as_of.isoformat(), "household": household.id, "rows": rows + member_rows, "regions": columns,
            "policy": {"tree": library.tree_info(), "regions": policies}}


def comparison_table(comparison: dict[str, Any], labels: str | None = None) -> Table:
    """Outputs down, regions across; a region that cannot answer says why below the table."""
    regions = comparison["regions"]
    table = Table([Column("output", "output"), *(Column(r, r) for r in regions)],
                  title=f"{comparison['household']} {tr('on')} {comparison['date']}")
    errors = {r: c["error"] for r, c in regions.items() if "error" in c}
    for row in comparison["rows"]:
        base, _, member = row.partition("[")
        name = label(base, labels) + (f"[{member}" if member else "")
        cells: dict[str, Any] = {"output": name}
        for region, column in regions.items():
            if region in errors:
                cells[region] = tr("error")
            else:
                cells[region] = column[row] if row in column else tr("not defined")
        table.add(**cells)
    table.after = [f"{region}: {tr_message(message)}" for region, message in errors.items()]
    return table


def diff_table(report: dict[str, Any]) -> Table:
    """Changes side by side (each value with its source below it), then the impact."""
    table = Table([Column("change", "change"), Column("name", "name"), Column("old", "old"), Column("new", "new"),
                   Column("reaches", "reaches")], title=f"{report['old']} → {report['new']}")
    for change in report["changes"]:
        old, new = [show(change.get("old", ""))], [show(change.get("new", ""))]
        if change.get("old_source") or change.get("new_source"):
            old.append(tr_message(change.get("old_source", "")))
            new.append(tr_message(change.get("new_source", "")))
        table.add(change=f"{tr(change['kind'])} {tr(change['change'])}", name=change["name"], old=old, new=new,
                  reaches=change.get("reaches", []) or [""])
    table.before = [tr_message(note) for note in report.get("notes", [])]
    table.when_empty = tr("no changes in parameters or rules")
    table.after = _impact_lines(report)
    return table


def _impact_lines(report: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    impact = report.get("impact")
    if not impact:
        return lines
    return lines + impact_lines(impact)


def print_impact(impact: dict[str, Any]) -> None:
    """A population impact (``dibao diff --households``, ``dibao replay``): transitions, benefit, cost."""
    for line in impact_lines(impact):
        click.echo(line)


def impact_lines(impact: dict[str, Any]) -> list[str]:
    """The lines of a population impact, as the diff and replay reports show it."""
    lines: list[str] = []
    records = impact.get("records", {})
    lines.append("")
    lines.append(tr("impact on {count} households", count=impact["households"])
                 + (" " + tr("({read} read, {rejected} rejected, {other} registered elsewhere)", read=records["read"],
                             rejected=records["rejected"], other=records["other_hukou"]) if records else ""))
    for name, ids in impact["transitions"].items():
        lines.append(f"  {tr(name)}: {len(ids)}  ({', '.join(ids[:10])}{' …' if len(ids) > 10 else ''})")
    lines.append("  " + tr("monthly benefit change") + ": " + ", ".join(
        f"{tr(k)}: {v}" for k, v in impact["benefit_change_buckets"].items()))
    cost = impact["monthly_cost"]
    lines.append("  " + tr("monthly cost {old} → {new} ({change}); annual change {annual}", old=cost["old"],
                           new=cost["new"], change=cost["change"], annual=impact["annual_cost_change"]))
    if impact["failed"]:
        lines.append("  " + tr("{count} households could not be evaluated", count=len(impact["failed"])))
    return lines


def print_consistency(library: PolicyLibrary, results: list[Any], comparison: dict[str, Any] | None,
                      as_json: bool) -> None:
    """Invariant results per region; a violation as a CONTRACT record with its date and explain tree."""
    import json

    from rich.console import Console
    from rich.text import Text

    if as_json:
        data = {"regions": [{"region": r.region, "checked": r.checked, "skipped": r.skipped,
                             "problems": [d.as_dict() for d in r.problems],
                             "violations": [{"invariant": v.invariant, "date": v.as_of.isoformat(),
                                             "household": v.household,
                                             "values": {k: str(x) for k, x in v.values.items()}}
                                            for v in r.violations]} for r in results],
                "cross_region": comparison}
        print(json.dumps(data, ensure_ascii=False, indent=2, default=str))
        return
    console = Console()
    for result in results:
        held = [n for n in result.checked if n not in {v.invariant for v in result.violations}]
        console.print(Text.assemble((result.region, "bold"), f": {len(held)} invariants hold on "
                                    f"{sum(result.checked.values())} checks; {len(result.skipped)} do not apply"))
        for diagnostic in result.problems:
            console.print(Text(f"  {diagnostic.one_line()}", style="red"))
        for violation in result.violations:
            console.print(Text.assemble("  ", ("violated", "red"), f": {violation.invariant} on {violation.as_of}"))
            console.print(Text("  " + json.dumps(violation.household, ensure_ascii=False)))
            for name, value in violation.values.items():
                shown = exact.as_decimal(value) if isinstance(value, Fraction) else value
                console.print(Text(f"    {name} = {show(shown)}"))
            _explain_violation(library, violation)
    if comparison is not None:
        _print_cross_region(console, comparison)


def _explain_violation(library: PolicyLibrary, violation: Any) -> None:
    from engine.base.diagnostics import DiagnosticError
    from engine.household.record import validate_household
    from engine.tools.consistency import stand_ins
    from engine.tools.explain import explain, render_tree

    chain = library.region(violation.region).chain
    supplied = stand_ins(chain)
    outputs = sorted({k.split(".", 1)[1] if k.startswith(("before.", "after.")) else k for k in violation.values}
                     & set(chain.rules))
    try:
        household = validate_household(violation.household)
        for output in outputs[:3]:
            render_tree(explain(library, household, violation.region, violation.as_of, supplied, output))
    except DiagnosticError:
        pass


def _print_cross_region(console: Any, comparison: dict[str, Any]) -> None:
    from rich.table import Table
    from rich.text import Text

    settings = ", ".join(f"{r} {s['date']}" for r, s in comparison["regions"].items())
    table = Table(title=Text(f"regions on the same {comparison['households']} households ({settings})"))
    for column in ("regions", "eligibility differs", "benefit difference (mean / max)", "through"):
        table.add_column(column, overflow="fold")
    for pair in comparison["pairs"]:
        share = f"{pair['eligibility_disagreements']} ({pair['share']:.1%})" if pair["share"] is not None else "—"
        through = ", ".join(f"{k} ({v})" for k, v in list(pair["attributed_to"].items())[:4])
        table.add_row(Text(" / ".join(pair["regions"])), share,
                      f"{pair['benefit_difference']['mean']} / {pair['benefit_difference']['max']}", Text(through))
    console.print(table)
    for region, setting in comparison["regions"].items():
        console.print(Text(f"  {region}: {setting['date']}, {setting['note']}"))
