"""``dibao check``, ``schema``, ``regions``, ``test`` and ``consistency``: is the policy tree sound?

``check`` loads every region and prints every diagnostic, located (exit 0 when clean, 2
otherwise); ``schema`` prints the JSON Schema of policy or local parameter files;
``regions`` lists the regions with their versions and outputs; ``test`` runs the worked
cases with clause coverage; ``consistency`` checks the invariants on generated households.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import click

from engine.base.diagnostics import Diagnostic, DiagnosticError
from engine.base.i18n import tr, tr_message
from engine.base.render import Column, Table, emit, format_option
from engine.cli_options import open_library, policies_option, print_diagnostics, reports_problems, say_tree
from engine.cli_support import LocalizedCommand
from engine.runtime.library import PolicyLibrary


@click.command("check", cls=LocalizedCommand)
@click.argument("folder", required=False, type=click.Path(file_okay=False, path_type=Path))
@policies_option
@format_option()
@click.option("--json", "as_json", is_flag=True, help="Diagnostics as JSON (the same as --format json).")
def check_command(folder: Path | None, policies: Path | None, params: tuple[Path, ...], fmt: str,
                  as_json: bool) -> None:
    """Load and check every region (and --params files): all diagnostics, located; exit 0 when clean, 2 otherwise."""
    library = PolicyLibrary.open(folder or policies)
    diagnostics = list(library.diagnostics)
    if params:
        try:
            library = library.with_params(params)
        except DiagnosticError as error:
            diagnostics += error.diagnostics
    fmt = "json" if as_json else fmt
    if fmt == "table":
        print_diagnostics(diagnostics, carets=True)
        say_tree(library)
        click.echo(check_summary(library, diagnostics, len(params)), err=True)
    else:
        emit(fmt, diagnostics_table(diagnostics), [d.as_dict() for d in diagnostics])
    sys.exit(0 if library.check.ok and not any(d.severity == "error" for d in diagnostics) else 2)


def check_summary(library: PolicyLibrary, diagnostics: Sequence[Diagnostic], param_files: int = 0) -> str:
    """``policy tree policies: 7 layers, 6 regions checked: 0 problems``, and what could not be checked."""
    from engine.policy.policy_files import display_name

    skipped = library.check.not_checked
    errors = sum(d.severity == "error" for d in diagnostics)
    warnings = len(diagnostics) - errors
    checked = len([r for r in library.regions if r not in skipped])
    if param_files:
        text = tr("policy tree {tree}: {layers} layers, {regions} regions and {files} local parameter files checked",
                  tree=display_name(library.root), layers=len(library.tree.layers), regions=checked, files=param_files)
    else:
        text = tr("policy tree {tree}: {layers} layers, {regions} regions checked", tree=display_name(library.root),
                  layers=len(library.tree.layers), regions=checked)
    if skipped:
        files = sorted({f for found in skipped.values() for f in found})
        text += tr(", {count} not checked ({regions}: {files} did not load)", count=len(skipped),
                   regions=", ".join(sorted(skipped)), files=", ".join(files))
    text += tr(": 1 problem") if errors == 1 else tr(": {count} problems", count=errors)
    if warnings:
        text += tr(", 1 warning") if warnings == 1 else tr(", {count} warnings", count=warnings)
    return text


def diagnostics_table(diagnostics: Sequence[Diagnostic]) -> Table:
    table = Table([Column("file", "file"), Column("line", "line", "right"), Column("column", "column", "right"),
                   Column("severity", "severity"), Column("code", "code"), Column("message", "message")])
    for d in diagnostics:
        table.add(file=d.span.file if d.span else "", line=d.span.line if d.span else "",
                  column=d.span.column if d.span else "", severity=d.severity, code=d.code,
                  message=tr_message(d.message) + (f" ({tr('did you mean')} {d.suggestion!r}?)" if d.suggestion
                                                   else ""))
    return table


@click.command("schema", cls=LocalizedCommand)
@click.option("--of", "kind", type=click.Choice(["policy", "params"]), default="policy", show_default=True,
              help="policy: policy files; params: local parameter files (--params FILE).")
def schema_command(kind: str) -> None:
    """Print the JSON Schema of policy files, or of local parameter files (for YAML editors)."""
    from engine.policy.schema import schema_json

    click.echo(schema_json(kind), nl=False)


@click.command("regions", cls=LocalizedCommand)
@policies_option
@format_option()
@click.option("--json", "as_json", is_flag=True, help="As JSON (the same as --format json).")
@reports_problems
def regions_command(policies: Path | None, params: tuple[Path, ...], fmt: str, as_json: bool) -> None:
    """The regions, their versions, digests, outputs and the parameters each leaves to be supplied."""
    from engine.tools.reports import region_summaries, regions_table

    library = open_library(policies, params)
    if not library.regions:
        library.require_clean()
    summaries = region_summaries(library)
    emit("json" if as_json else fmt, regions_table(summaries), summaries)
    say_tree(library)


@click.command("test", cls=LocalizedCommand)
@click.option("--region", default=None, help="Only this region.")
@policies_option
@format_option()
@reports_problems
def test_command(region: str | None, policies: Path | None, params: tuple[Path, ...], fmt: str) -> None:
    """Run the worked cases and report clause coverage (exit 1 when a case fails)."""
    from engine.tools.testing import report_data, report_table, run_worked_cases

    library = open_library(policies, params, region)
    say_tree(library)
    if region is not None:
        library.region(region)
    reports = run_worked_cases(library, region)
    emit(fmt, report_table(library, reports), report_data(reports))
    if any(r.failed or r.load_errors for r in reports):
        sys.exit(1)


@click.command("consistency", cls=LocalizedCommand)
@click.option("--region", "regions", multiple=True, help="Only these regions (repeatable).")
@click.option("--examples", default=100, show_default=True, type=click.IntRange(1, 100_000),
              help="Generated households per invariant and region (shrunk on failure).")
@click.option("--population", default=100, show_default=True, type=click.IntRange(0, 2_000),
              help="Households taken from each file of the bundled caseload as well (0: none).")
@click.option("--invariants", "invariants_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The invariants file (default: invariants.yaml in the policy folder).")
@click.option("--report", is_flag=True, help="Also the cross-region report: where regions disagree, and why.")
@click.option("--json", "as_json", is_flag=True, help="As JSON.")
@policies_option
@reports_problems
def consistency_command(regions: tuple[str, ...], examples: int, population: int, invariants_file: Path | None,
                        report: bool, as_json: bool, policies: Path | None, params: tuple[Path, ...]) -> None:
    """Check the invariants on generated households in every region (exit 1 on a violation)."""
    from engine.extras import require_extra

    require_extra("consistency", "dibao consistency")
    from engine.tools.consistency import bundled_population, check_all, cross_region_report
    from engine.tools.reports import print_consistency

    library = open_library(policies, params)
    if not as_json:
        say_tree(library)
    library.require_clean()
    for region in regions:
        library.region(region)
    households = bundled_population(library.root.parent, population) if population else []
    path = invariants_file or library.root / "invariants.yaml"
    results = list(check_all(library, path, examples, list(regions) or None, households))
    comparison = cross_region_report(library, households or bundled_population(library.root.parent, 200),
                                     list(regions) or None) if report else None
    print_consistency(library, results, comparison, as_json)
    if any(r.violations or r.problems for r in results):
        sys.exit(1)


