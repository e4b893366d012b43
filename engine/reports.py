"""Reports: region summaries for ``dibao regions`` (as data, then rendered with rich)."""

from __future__ import annotations

from datetime import date
from fractions import Fraction
from typing import Any

from engine import exact
from engine.library import PolicyLibrary


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


def print_region_summaries(summaries: list[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="dibao regions")
    for column in ("region", "name", "version", "span", "digest", "outputs", "must be supplied"):
        table.add_column(column, overflow="fold")
    for item in summaries:
        if "problems" in item:
            table.add_row(item["region"], f"{item['problems']} problems: run dibao check", "", "", "", "", "")
            continue
        table.add_row(item["region"], item["name"], item["version"], " – ".join(item["span"]),
                      item["digest"][:19] + "…", str(len(item["outputs"])), "\n".join(item["must_supply"]) or "—")
    Console().print(table)


def compare_regions(library: PolicyLibrary, household: Any, as_of: date,
                    overrides: dict[str, str] | None = None) -> dict[str, Any]:
    """One household through every region: contract output → region → rendered value or a reason."""
    from engine.contract import ALL_OUTPUTS, MEMBER_OUTPUTS
    from engine.diagnostics import DiagnosticError
    from engine.evaluate import evaluate

    columns: dict[str, dict[str, Any]] = {}
    for region in library.regions:
        try:
            applicable = {k: v for k, v in (overrides or {}).items()
                          if k in library.region(region).chain.parameters}
            answer = evaluate(household, region, as_of, overrides=applicable, library=library).to_json()
        except DiagnosticError as error:
            columns[region] = {"error": error.diagnostics[0].message}
            continue
        cells = dict(answer["outputs"])
        for member, values in answer["members"].items():
            for name, value in values.items():
                cells[f"{name}[{member}]"] = value
        columns[region] = cells
    rows = [n for n in ALL_OUTPUTS if n not in MEMBER_OUTPUTS]
    member_rows = sorted({k for cells in columns.values() for k in cells if "[" in k})
    return {"date": as_of.isoformat(), "household": household.id, "rows": rows + member_rows, "regions": columns}


def print_comparison(comparison: dict[str, Any]) -> None:
    import json

    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=f"{comparison['household']} on {comparison['date']}")
    table.add_column("output")
    regions = comparison["regions"]
    for region in regions:
        table.add_column(region, overflow="fold")
    errors = {r: c["error"] for r, c in regions.items() if "error" in c}
    for row in comparison["rows"]:
        cells = []
        for region, column in regions.items():
            if region in errors:
                cells.append("[red]error[/]")
            elif row in column:
                value = column[row]
                cells.append(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))
            else:
                cells.append("[dim]not defined[/]")
        table.add_row(escape(row), *cells)
    console = Console()
    console.print(table)
    for region, message in errors.items():
        console.print(f"[red]{region}[/]: {message}", markup=True, highlight=False)


def print_diff(report: dict[str, Any]) -> None:
    """Changes side by side, then the population impact when there is one."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console()
    console.print(f"[bold]{escape(report['old'])}[/] → [bold]{escape(report['new'])}[/]")
    table = Table(show_lines=True)
    for column in ("", "name", "old", "new", "reaches"):
        table.add_column(column, overflow="fold")
    for change in report["changes"]:
        old = escape(str(change.get("old", "")))
        new = escape(str(change.get("new", "")))
        if change.get("old_source") or change.get("new_source"):
            old += f"\n[dim]{escape(change.get('old_source', ''))}[/]"
            new += f"\n[dim]{escape(change.get('new_source', ''))}[/]"
        table.add_row(f"{change['kind']} {change['change']}", change["name"], old, new,
                      "\n".join(change.get("reaches", [])))
    if report["changes"]:
        console.print(table)
    else:
        console.print("no changes in parameters or rules")
    impact = report.get("impact")
    if impact:
        print_impact(impact, console)


def print_impact(impact: dict[str, Any], console: Any = None) -> None:
    """A population impact (``dibao diff --households``, ``dibao replay``): transitions, benefit, cost."""
    from rich.console import Console

    console = console or Console()
    records = impact.get("records", {})
    console.print(f"\n[bold]impact[/] on {impact['households']} households"
                  + (f" ({records['read']} read, {records['rejected']} rejected, {records['other_hukou']} "
                     "registered elsewhere)" if records else ""))
    for label, ids in impact["transitions"].items():
        console.print(f"  {label}: {len(ids)}  ({', '.join(ids[:10])}{' …' if len(ids) > 10 else ''})")
    console.print("  monthly benefit change: " + ", ".join(f"{k}: {v}" for k, v in
                                                             impact["benefit_change_buckets"].items()))
    cost = impact["monthly_cost"]
    console.print(f"  monthly cost {cost['old']} → {cost['new']} ({cost['change']}); "
                  f"annual change {impact['annual_cost_change']}")
    if impact["failed"]:
        console.print(f"  [red]{len(impact['failed'])} households could not be evaluated[/]")


def print_consistency(library: PolicyLibrary, results: list[Any], comparison: dict[str, Any] | None,
                      as_json: bool) -> None:
    """Invariant results per region; a violation as a CONTRACT record with its date and explain tree."""
    import json

    from rich.console import Console
    from rich.markup import escape

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
        console.print(f"[bold]{escape(result.region)}[/]: {len(held)} invariants hold on "
                      f"{sum(result.checked.values())} checks; {len(result.skipped)} do not apply")
        for diagnostic in result.problems:
            console.print(f"  [red]{escape(diagnostic.one_line())}[/]")
        for violation in result.violations:
            console.print(f"  [red]violated[/]: {violation.invariant} on {violation.as_of}")
            console.print("  " + escape(json.dumps(violation.household, ensure_ascii=False)))
            for name, value in violation.values.items():
                shown = exact.as_decimal(value) if isinstance(value, Fraction) else value
                console.print(f"    {escape(name)} = {escape(str(shown))}")
            _explain_violation(library, violation)
    if comparison is not None:
        _print_cross_region(console, comparison)


def _explain_violation(library: PolicyLibrary, violation: Any) -> None:
    from engine.consistency import stand_ins
    from engine.diagnostics import DiagnosticError
    from engine.explain import explain, render_tree
    from engine.household import validate_household

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
    from rich.markup import escape
    from rich.table import Table

    settings = ", ".join(f"{r} {s['date']}" for r, s in comparison["regions"].items())
    table = Table(title=f"regions on the same {comparison['households']} households ({settings})")
    for column in ("regions", "eligibility differs", "benefit difference (mean / max)", "through"):
        table.add_column(column, overflow="fold")
    for pair in comparison["pairs"]:
        share = f"{pair['eligibility_disagreements']} ({pair['share']:.1%})" if pair["share"] is not None else "—"
        through = ", ".join(f"{k} ({v})" for k, v in list(pair["attributed_to"].items())[:4])
        table.add_row(escape(" / ".join(pair["regions"])), share,
                      f"{pair['benefit_difference']['mean']} / {pair['benefit_difference']['max']}", escape(through))
    console.print(table)
    for region, setting in comparison["regions"].items():
        console.print(f"  {escape(region)}: {setting['date']}, {escape(setting['note'])}")
