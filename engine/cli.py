"""The ``dibao`` command: a thin layer over the library API.

Every command takes ``--policies DIR`` (default: the project's ``policies/``) so staff
can work on a copy. Exit status: 0 done; 2 bad input or a policy that does not load
(one located line per problem on stderr); 1 anything else. No traceback reaches a user.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from datetime import date
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from engine.diagnostics import Diagnostic, DiagnosticError, render_with_caret
from engine.evaluate import evaluate
from engine.household import load_household
from engine.library import PolicyLibrary

F = TypeVar("F", bound=Callable[..., Any])

policies_option = click.option(
    "--policies", "policies", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="The policy folder to use (default: the project's policies/).")


def _date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date written YYYY-MM-DD") from None


def _sets(_ctx: click.Context, _param: click.Parameter, values: Sequence[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise click.BadParameter(f"{item!r}: write NAME=VALUE, e.g. dibao.standard_annual=3300")
        found[name.strip()] = value.strip()
    return found


region_option = click.option("--region", required=True, help="Region id, e.g. hebi or inner_mongolia/hinggan.")
date_option = click.option("--date", "as_of", required=True, callback=_date, help="Evaluation date, YYYY-MM-DD.")
set_option = click.option("--set", "overrides", multiple=True, callback=_sets, metavar="NAME=VALUE",
                          help="Override a parameter for this run (repeatable).")


def reports_problems(function: F) -> F:
    """Diagnostics become one line each on stderr and exit 2; nothing else escapes as a traceback."""

    @wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except DiagnosticError as error:
            print_diagnostics(error.diagnostics)
            sys.exit(2)

    return wrapper  # type: ignore[return-value]


def print_diagnostics(diagnostics: Sequence[Diagnostic], carets: bool = False) -> None:
    for diagnostic in diagnostics:
        click.echo(render_with_caret(diagnostic) if carets else diagnostic.one_line(), err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """dibao: social-assistance rules as data (低保, taper, monitoring)."""


@cli.command("evaluate")
@region_option
@date_option
@set_option
@policies_option
@click.option("--output", "outputs", multiple=True, help="Only this output (repeatable).")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@reports_problems
def evaluate_command(region: str, as_of: date, overrides: dict[str, str], policies: Path | None,
                     outputs: tuple[str, ...], file: str) -> None:
    """Evaluate one household (JSON or YAML; - for standard input) and print the contract JSON."""
    library = PolicyLibrary.open(policies)
    household = load_household(file)
    determination = evaluate(household, region, as_of, overrides=overrides, outputs=outputs or None,
                             library=library)
    click.echo(json.dumps(determination.to_json(), ensure_ascii=False, indent=2))


@cli.command("check")
@click.argument("folder", required=False, type=click.Path(file_okay=False, path_type=Path))
@policies_option
@click.option("--json", "as_json", is_flag=True, help="Diagnostics as JSON.")
def check_command(folder: Path | None, policies: Path | None, as_json: bool) -> None:
    """Load and check every region: all diagnostics, located; exit 0 when clean, 2 otherwise."""
    library = PolicyLibrary.open(folder or policies)
    diagnostics = library.diagnostics
    if as_json:
        click.echo(json.dumps([d.as_dict() for d in diagnostics], ensure_ascii=False, indent=2))
    else:
        print_diagnostics(diagnostics, carets=True)
        layers = len(library.tree.layers)
        click.echo(f"{layers} layers, {len(library.regions)} regions checked: "
                   f"{len(diagnostics)} problem{'s' if len(diagnostics) != 1 else ''}", err=True)
    sys.exit(2 if diagnostics else 0)


@cli.command("schema")
def schema_command() -> None:
    """Print the JSON Schema of policy files (for YAML editors)."""
    from engine.schema import schema_json

    click.echo(schema_json(), nl=False)


@cli.command("regions")
@policies_option
@click.option("--json", "as_json", is_flag=True, help="As JSON.")
@reports_problems
def regions_command(policies: Path | None, as_json: bool) -> None:
    """The regions, their versions, digests, outputs and the parameters each leaves to be supplied."""
    from engine.reports import region_summaries

    library = PolicyLibrary.open(policies)
    summaries = region_summaries(library)
    if as_json:
        click.echo(json.dumps(summaries, ensure_ascii=False, indent=2))
        return
    from engine.reports import print_region_summaries

    print_region_summaries(summaries)


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point: click's own errors become one line and exit 2; anything unexpected exits 1."""
    try:
        cli.main(args=list(argv) if argv is not None else None, prog_name="dibao", standalone_mode=False)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except click.Abort:
        click.echo("dibao: aborted", err=True)
        sys.exit(1)
    except click.UsageError as error:
        command = error.ctx.command_path if error.ctx else "dibao"
        click.echo(f"{command}: error: {error.format_message()} (see {command} --help)", err=True)
        sys.exit(2)
    except click.ClickException as error:
        click.echo(f"dibao: error: {error.format_message()}", err=True)
        sys.exit(2)
    except DiagnosticError as error:
        print_diagnostics(error.diagnostics)
        sys.exit(2)
    except BrokenPipeError:
        sys.exit(1)
    except Exception as error:  # the last line of defence: no traceback for users
        click.echo(f"dibao: internal error: {type(error).__name__}: {error}", err=True)
        sys.exit(1)


@cli.command("explain")
@region_option
@date_option
@set_option
@policies_option
@click.option("--output", "output", default=None, help="Explain only this output.")
@click.option("--json", "as_json", is_flag=True, help="The tree as JSON.")
@click.option("--quotes", is_flag=True, help="Show each clause's words (recorded in the policy, or found in sources/).")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@reports_problems
def explain_command(region: str, as_of: date, overrides: dict[str, str], policies: Path | None,
                    output: str | None, as_json: bool, quotes: bool, file: str) -> None:
    """Why a household got its answer: each output's rule, values, parameters and clauses."""
    from engine.explain import explain, render_tree

    library = PolicyLibrary.open(policies)
    explanation = explain(library, load_household(file), region, as_of, overrides, output)
    if as_json:
        click.echo(json.dumps(explanation.as_dict(), ensure_ascii=False, indent=2))
    else:
        render_tree(explanation, quotes)


@cli.command("test")
@click.option("--region", default=None, help="Only this region.")
@policies_option
@reports_problems
def test_command(region: str | None, policies: Path | None) -> None:
    """Run the worked cases and report clause coverage (exit 1 when a case fails)."""
    from engine.testing import explain_failure, run_worked_cases

    library = PolicyLibrary.open(policies)
    if region is not None:
        library.region(region)
    reports = run_worked_cases(library, region)
    failed = 0
    for report in reports:
        passed = sum(o.passed for o in report.outcomes)
        click.echo(f"{report.region}: {passed}/{len(report.outcomes)} worked cases pass; "
                   f"clauses encoded {len(report.encoded)}, with worked cases {len(report.encoded & report.tested)}")
        if report.untested:
            click.echo(f"  clauses without a worked case: {', '.join(report.untested)}")
        for line in report.load_errors:
            click.echo(f"  {line}", err=True)
        for outcome in report.failed:
            failed += 1
            click.echo(f"  FAIL {outcome.case.span}: {outcome.case.name} ({', '.join(outcome.case.checks)})")
            if outcome.error:
                click.echo(f"    error: {outcome.error}")
            for name, want, got in outcome.mismatches:
                click.echo(f"    {name}: expected {want!r}, got {got!r}")
            for line in explain_failure(library, outcome):
                click.echo(f"    {line}")
    total = sum(len(r.outcomes) for r in reports)
    click.echo(f"{total - failed} passed, {failed} failed")
    if failed or any(r.load_errors for r in reports):
        sys.exit(1)


@cli.command("compare")
@date_option
@set_option
@policies_option
@click.option("--json", "as_json", is_flag=True, help="As JSON.")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@reports_problems
def compare_command(as_of: date, overrides: dict[str, str], policies: Path | None, as_json: bool, file: str) -> None:
    """One household through every region side by side (--set applies where a region has the parameter)."""
    from engine.reports import compare_regions, print_comparison

    library = PolicyLibrary.open(policies)
    comparison = compare_regions(library, load_household(file), as_of, overrides)
    if as_json:
        click.echo(json.dumps(comparison, ensure_ascii=False, indent=2))
    else:
        print_comparison(comparison)



@cli.command("diff")
@click.argument("old")
@click.argument("new", required=False)
@click.option("--rev", "revisions", multiple=True, help="A git revision of the policy tree (once: against the "
              "working tree; twice: old and new).")
@click.option("--region", default=None, help="The region, when OLD/NEW are folders or --rev is used.")
@click.option("--date", "as_of", default=None, callback=_date, help="The date, when OLD/NEW are folders or --rev.")
@click.option("--households", type=click.Path(dir_okay=False), default=None,
              help="JSON Lines (or one JSON/YAML record): run the population through both sides.")
@click.option("--any-hukou", is_flag=True, help="Include households registered in other regions too.")
@set_option
@policies_option
@click.option("--json", "as_json", is_flag=True, help="As JSON.")
@reports_problems
def diff_command(old: str, new: str | None, revisions: tuple[str, ...], region: str | None, as_of: date | None,
                 households: str | None, any_hukou: bool, overrides: dict[str, str], policies: Path | None,
                 as_json: bool) -> None:
    """What changes between two policies (REGION@DATE, a folder, or --rev REV) and whom it affects."""
    from engine.diff import compare_policies, population_impact, tree_at_revision
    from engine.household import load_households
    from engine.reports import print_diff

    sides = _diff_sides(old, new, revisions, region, as_of, overrides, policies, tree_at_revision)
    changes = compare_policies(*sides)
    report: dict[str, Any] = {"old": sides[0].label, "new": sides[1].label,
                              "old_digest": sides[0].resolved.digest, "new_digest": sides[1].resolved.digest,
                              "changes": [c.as_dict() for c in changes]}
    if households:
        records = list(load_households(households))
        valid = [h for h in records if not isinstance(h, list)]
        home = sides[1].resolved.region.split("/")[0]
        population = valid if any_hukou else [h for h in valid if h.hukou == home]
        report["impact"] = population_impact(sides[0], sides[1], population).as_dict()
        report["impact"]["records"] = {"read": len(records), "rejected": len(records) - len(valid),
                                       "other_hukou": len(valid) - len(population)}
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        print_diff(report)


def _diff_sides(old: str, new: str | None, revisions: tuple[str, ...], region: str | None, as_of: date | None,
                overrides: dict[str, str], policies: Path | None, at_revision: Callable[[str, Path], Path]) -> Any:
    from engine.diff import parse_spec, side

    here = PolicyLibrary.open(policies)
    if revisions:
        if not (region and as_of):
            raise DiagnosticError([Diagnostic("E-ARGS", "--rev needs --region and --date")])
        repository = here.root.parent
        trees = [at_revision(r, repository) for r in revisions]
        libraries = [PolicyLibrary.open(t) for t in trees] + ([here] if len(trees) == 1 else [])
        labels = [*revisions, "working tree"][:2]
        return [side(f"{region}@{as_of} ({label})", lib, region, as_of, overrides)
                for label, lib in zip(labels, libraries, strict=True)]
    if new is None:
        raise DiagnosticError([Diagnostic("E-ARGS", "give two sides: REGION@DATE REGION@DATE, two folders, or --rev")])
    if "@" in old and "@" in new:
        (r1, d1), (r2, d2) = parse_spec(old), parse_spec(new)
        return [side(old, here, r1, d1, overrides), side(new, here, r2, d2, overrides)]
    if not (region and as_of):
        raise DiagnosticError([Diagnostic("E-ARGS", "comparing folders needs --region and --date")])
    return [side(f"{folder}", PolicyLibrary.open(folder), region, as_of, overrides) for folder in (old, new)]


@cli.command("batch")
@region_option
@date_option
@set_option
@policies_option
@click.argument("source", type=click.Path(allow_dash=True, path_type=Path))
@click.option("--out", "out", required=True, type=click.Path(path_type=Path),
              help="Output file: .jsonl, .csv or .parquet (member outputs beside it for CSV and Parquet).")
@click.option("--errors", "errors", type=click.Path(path_type=Path), default=None,
              help="Rejected records as JSON Lines (default: beside the output, <out>.errors.jsonl).")
@click.option("--chunk-size", default=50_000, show_default=True, type=click.IntRange(1, 10_000_000),
              help="Households per chunk (memory is bounded by the chunk).")
@click.option("--any-hukou", is_flag=True,
              help="Evaluate households registered in other regions too (by default they are rejected).")
@click.option("--dask", "dask", default=None, metavar="SCHEDULER",
              help="Run per partition on Dask: a scheduler address, or 'local' for a local cluster.")
@reports_problems
def batch_command(region: str, as_of: date, overrides: dict[str, str], policies: Path | None, source: Path,
                  out: Path, errors: Path | None, chunk_size: int, any_hukou: bool, dask: str | None) -> None:
    """Evaluate a caseload (JSON Lines, or a folder of Parquet/CSV/Arrow tables) and write one row per household.

    Exit status: 0 when at least one household was answered; 1 when none was; 2 when the input or
    the outputs cannot be used (nothing is written then)."""
    from engine.batch import default_errors_path, fen_text, run_batch

    if str(source) != "-" and not source.exists():
        raise DiagnosticError([Diagnostic("E-IO", f"{source}: no such file or folder")])
    library = PolicyLibrary.open(policies)
    if dask is not None:
        from engine.distributed import run_on_dask

        if errors is not None:
            raise DiagnosticError([Diagnostic("E-ARGS", "--errors is not used with --dask: each part's errors "
                                              "file is beside it")])
        summary = run_on_dask(library, region, as_of, source, out, dask, overrides, chunk_size, any_hukou)
        shown_out: Path = out.with_suffix("") / f"*{out.suffix or '.parquet'}"
        shown_errors: Path = out.with_suffix("") / f"*{out.suffix or '.parquet'}.errors.jsonl"
    else:
        summary = _with_progress(lambda progress: run_batch(
            library, region, as_of, source, out, errors, overrides, chunk_size, progress, any_hukou), source)
        shown_out, shown_errors = out, errors or default_errors_path(out)
    click.echo(f"{region} on {as_of}: {summary.records} records → {summary.rows} rows in {shown_out}, "
               f"{summary.errors} rejected in {shown_errors} ({summary.seconds:.2f} s)", err=True)
    click.echo(f"  eligible {summary.eligible}; monthly benefit {fen_text(summary.benefit_monthly_fen)} yuan "
               f"({fen_text(summary.benefit_monthly_fen * 12)} a year); policy {summary.version} {summary.digest}",
               err=True)
    if summary.rejected_for:
        top = sorted(summary.rejected_for.items(), key=lambda item: -item[1])[:3]
        click.echo("  rejected for: " + "; ".join(f"{reason} ({count})" for reason, count in top), err=True)
    if summary.interpreter_only:
        click.echo(f"outputs evaluated by the interpreter: {', '.join(summary.interpreter_only)}", err=True)
    if summary.records != summary.rows + summary.errors:  # pragma: no cover - an invariant of run_batch
        raise DiagnosticError([Diagnostic("E-BATCH", "records in differ from rows out + errors")])
    if summary.rows == 0:
        click.echo("error: no household was answered (see the errors file)", err=True)
        sys.exit(1)


def _with_progress(run: Callable[[Callable[[int], None] | None], Any], source: Path) -> Any:
    """A progress bar on a terminal; none when stderr is not one."""
    if not sys.stderr.isatty():
        return run(None)
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    total = _count_lines(source)
    with Progress(TextColumn("[bold]batch"), BarColumn(), TextColumn("{task.completed}/{task.total} households"),
                  TimeElapsedColumn(), transient=True) as bar:
        task = bar.add_task("batch", total=total)
        return run(lambda n: bar.advance(task, n))


def _count_lines(source: Path) -> int | None:
    if source.is_file() and source.suffix in (".jsonl", ".ndjson"):
        with source.open("rb") as stream:
            return sum(1 for line in stream if line.strip())
    return None


@cli.command("consistency")
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
                        report: bool, as_json: bool, policies: Path | None) -> None:
    """Check the invariants on generated households in every region (exit 1 on a violation)."""
    from engine.consistency import bundled_population, check_all, cross_region_report
    from engine.reports import print_consistency

    library = PolicyLibrary.open(policies)
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


if __name__ == "__main__":
    main()
