"""The ``dibao`` command: a thin layer over the library API.

Every command takes ``--policies DIR`` (else ``$DIBAO_POLICIES``, else the nearest
``policies/`` here or above, else the tree bundled with dibao) and ``--params FILE``
(local parameter values, repeatable); ``dibao --version`` names the package version and
the bundled tree's digest. Exit status: 0 done; 2 bad input or a policy that does not
load (one located line per problem on stderr); 1 anything else. No traceback reaches a user.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from datetime import date
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar, cast

import click

from engine.base.diagnostics import Diagnostic, DiagnosticError, render_all
from engine.base.i18n import tr, tr_message
from engine.base.render import Column, Table, emit, format_option
from engine.cli_support import LocalizedGroup, localized
from engine.household.record import load_household
from engine.language.builtins import iso_date
from engine.runtime.evaluate import evaluate
from engine.runtime.library import PolicyLibrary

F = TypeVar("F", bound=Callable[..., Any])

# --- the options every command shares: which policy tree, which local values --------------------------


def policies_option(function: F) -> F:
    """``--policies DIR`` and ``--params FILE`` (repeatable), given to the command as ``policies`` and ``params``."""
    function = click.option(
        "--params", "params", multiple=True, type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
        help="Local parameter values: YAML, dated and sourced like policy files (repeatable; --set wins).")(function)
    return click.option(
        "--policies", "policies", type=click.Path(file_okay=False, path_type=Path), default=None,
        help="The policy folder (default: $DIBAO_POLICIES, else the nearest policies/ here or above, else the "
             "tree bundled with dibao).")(function)


def open_library(policies: Path | None, params: Sequence[Path] = (), region: str | None = None) -> PolicyLibrary:
    """The chosen policy tree with the run's local values; a run for one region refuses another region's file."""
    return PolicyLibrary.open(policies).for_run(params, region)


def say_tree(library: PolicyLibrary) -> None:
    """Which policy tree (and local values) a command used, on stderr."""
    click.echo(tr_message(library.describe()), err=True)


def _version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from engine.base.resources import bundled_policies, package_version
    from engine.runtime.library import tree_digest

    bundled = bundled_policies()
    click.echo(f"dibao {package_version()}")
    click.echo(f"bundled policy tree {tree_digest(bundled)} ({bundled})")
    ctx.exit(0)


def _date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return iso_date(value)
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


labels_option = click.option("--labels", type=click.Choice(["names", "zh"]), default="names", show_default=True,
                             help="Name outputs by their names, or by their Chinese labels (zh).")
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

    return cast(F, wrapper)


def print_diagnostics(diagnostics: Sequence[Diagnostic], carets: bool = False) -> None:
    for text in render_all(list(map(localized, diagnostics)), carets):
        click.echo(text, err=True)


@click.group(cls=LocalizedGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_version,
              help="The package version and the bundled policy tree's digest.")
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
                     params: tuple[Path, ...], outputs: tuple[str, ...], file: str) -> None:
    """Evaluate one household (JSON or YAML; - for standard input) and print the contract JSON."""
    library = open_library(policies, params, region)
    household = load_household(file, vocabulary=library.vocabulary_of(region))
    determination = evaluate(household, region, as_of, overrides=overrides, outputs=outputs or None,
                             library=library)
    click.echo(json.dumps(determination.to_json(), ensure_ascii=False, indent=2))


@cli.command("check")
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


@cli.command("schema")
@click.option("--of", "kind", type=click.Choice(["policy", "params"]), default="policy", show_default=True,
              help="policy: policy files; params: local parameter files (--params FILE).")
def schema_command(kind: str) -> None:
    """Print the JSON Schema of policy files, or of local parameter files (for YAML editors)."""
    from engine.policy.schema import schema_json

    click.echo(schema_json(kind), nl=False)


@cli.command("regions")
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
        click.echo(f"{command}: {tr('error')}: {tr_message(error.format_message())} ({tr('see')} {command} --help)",
                   err=True)
        sys.exit(2)
    except click.ClickException as error:
        click.echo(f"dibao: {tr('error')}: {tr_message(error.format_message())}", err=True)
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
@click.option("--output", "outputs", multiple=True, help="Explain only this output (repeatable).")
@click.option("--format", "fmt", type=click.Choice(["tree", "json", "markdown", "html"]), default="tree",
              show_default=True, help="A tree for the terminal, JSON, or a Markdown or HTML document for a case file.")
@click.option("--json", "as_json", is_flag=True, help="The tree as JSON (the same as --format json).")
@click.option("--quotes", is_flag=True, help="Show each clause's words (recorded in the policy, or found in sources/).")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@reports_problems
def explain_command(region: str, as_of: date, overrides: dict[str, str], policies: Path | None,
                    params: tuple[Path, ...], outputs: tuple[str, ...], fmt: str, as_json: bool, quotes: bool,
                    file: str) -> None:
    """Why a household got its answer: each output's rule, values, parameters and clauses, and each income."""
    from engine.base.render import explanation_html, explanation_markdown
    from engine.tools.explain import explain, render_tree

    library = open_library(policies, params, region)
    household = load_household(file, vocabulary=library.vocabulary_of(region))
    explanation = explain(library, household, region, as_of, overrides, outputs or None)
    fmt = "json" if as_json else fmt
    if fmt == "json":
        click.echo(explanation.to_json())
    elif fmt == "markdown":
        click.echo(explanation_markdown(explanation.as_dict(), quotes), nl=False)
    elif fmt == "html":
        click.echo(explanation_html(explanation.as_dict(), quotes), nl=False)
    else:
        render_tree(explanation, quotes)


@cli.command("test")
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


@cli.command("compare")
@date_option
@set_option
@policies_option
@format_option()
@labels_option
@click.option("--json", "as_json", is_flag=True, help="As JSON (the same as --format json).")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@reports_problems
def compare_command(as_of: date, overrides: dict[str, str], policies: Path | None, params: tuple[Path, ...],
                    fmt: str, labels: str | None,
                    as_json: bool, file: str) -> None:
    """One household through every region side by side (--set applies where a region has the parameter)."""
    from engine.tools.reports import compare_regions, comparison_table

    library = open_library(policies, params)
    comparison = compare_regions(library, load_household(file, vocabulary=library.vocabulary), as_of, overrides)
    emit("json" if as_json else fmt, comparison_table(comparison, labels), comparison)


@cli.command("diff")
@click.argument("specs", nargs=-1, metavar="[OLD] [NEW]")
@click.option("--rev", "revisions", multiple=True, help="A git revision of the policy tree (once: against the "
              "working tree; twice: old and new).")
@click.option("--region", default=None, help="The region, when OLD/NEW are folders or --rev is used.")
@click.option("--date", "as_of", default=None, callback=_date, help="The date, when OLD/NEW are folders or --rev.")
@click.option("--households", type=click.Path(dir_okay=False), default=None,
              help="JSON Lines (or one JSON/YAML record): run the population through both sides.")
@click.option("--any-hukou", is_flag=True, help="Include households registered in other regions too.")
@set_option
@policies_option
@format_option()
@click.option("--json", "as_json", is_flag=True, help="As JSON (the same as --format json).")
@reports_problems
def diff_command(specs: tuple[str, ...], revisions: tuple[str, ...], region: str | None, as_of: date | None,
                 households: str | None, any_hukou: bool, overrides: dict[str, str], policies: Path | None,
                 params: tuple[Path, ...], fmt: str, as_json: bool) -> None:
    """What changes between two policies and whom it affects.

    Sides: REGION@DATE REGION@DATE; two folders with --region and --date; or --rev REV
    with REGION@DATE (or --region and --date) against the working tree.
    """
    from engine.tools.diff import diff_report, tree_at_revision
    from engine.tools.reports import diff_table

    sides = _diff_sides(specs, revisions, region, as_of, overrides, policies, params, tree_at_revision)
    report = diff_report(*sides)
    if households:
        report["impact"] = _impact(sides, households, any_hukou)
    emit("json" if as_json else fmt, diff_table(report), report)
    if fmt == "table" and not as_json:
        for which in dict.fromkeys(_side_tree(side, revisions) for side in sides):
            click.echo(tr_message(which), err=True)


def _side_tree(side: Any, revisions: tuple[str, ...]) -> str:
    """The policy tree a side used; a revision's tree by its revision, not the checkout's passing folder."""
    if side.tree in revisions:
        return f"policy tree policies at {side.tree} ({side.library.digest[:19]}…)"
    return str(side.library.describe())


def _impact(sides: Any, households: str, any_hukou: bool) -> dict[str, Any]:
    from engine.household.record import load_households
    from engine.tools.diff import population_impact

    records = list(load_households(households, vocabulary=sides[1].library.vocabulary_of(sides[1].region)))
    valid = [h for h in records if not isinstance(h, list)]
    home = sides[1].region.split("/")[0]
    population = valid if any_hukou else [h for h in valid if h.hukou == home]
    impact: dict[str, Any] = population_impact(sides[0], sides[1], population).as_dict()
    impact["records"] = {"read": len(records), "rejected": len(records) - len(valid),
                         "other_hukou": len(valid) - len(population)}
    return impact


def _diff_sides(specs: tuple[str, ...], revisions: tuple[str, ...], region: str | None, as_of: date | None,
                overrides: dict[str, str], policies: Path | None, params: tuple[Path, ...],
                at_revision: Callable[[str, Path], Path]) -> Any:
    from engine.tools.diff import parse_spec, side

    here = open_library(policies, params)
    if revisions:
        if len(specs) == 1 and not (region or as_of):
            region, as_of = parse_spec(specs[0])
        elif specs:
            raise DiagnosticError([Diagnostic("E-ARGS", "with --rev give one REGION@DATE (or --region and --date), "
                                              f"not {' '.join(specs)}")])
        if not (region and as_of):
            raise DiagnosticError([Diagnostic("E-ARGS", "--rev needs REGION@DATE, e.g. dibao diff --rev HEAD "
                                              "hebi@2017-10-01")])
        repository = here.root.parent
        trees = [at_revision(r, repository) for r in revisions]
        libraries = [PolicyLibrary.open(t, params) for t in trees] + ([here] if len(trees) == 1 else [])
        labels = [*revisions, "working tree"][:2]
        return [side(f"{region}@{as_of} ({label})", lib, region, as_of, overrides, may_lack=True, tree=label)
                for label, lib in zip(labels, libraries, strict=True)]
    if len(specs) != 2:
        raise DiagnosticError([Diagnostic("E-ARGS", "give two sides: REGION@DATE REGION@DATE, two folders, or --rev "
                                          "REV REGION@DATE")])
    old, new = specs
    if "@" in old and "@" in new:
        (r1, d1), (r2, d2) = parse_spec(old), parse_spec(new)
        return [side(old, here, r1, d1, overrides), side(new, here, r2, d2, overrides)]
    if not (region and as_of):
        raise DiagnosticError([Diagnostic("E-ARGS", "comparing folders needs --region and --date")])
    return [side(f"{folder}", PolicyLibrary.open(folder, params), region, as_of, overrides, may_lack=True,
                 tree=folder) for folder in (old, new)]


@cli.command("batch")
@region_option
@date_option
@set_option
@policies_option
@click.argument("source", type=click.Path(allow_dash=True, path_type=Path))
@click.option("--out", "out", required=True, type=click.Path(path_type=Path),
              help="Output file: .jsonl, .csv, .parquet or .xlsx (member outputs beside it for CSV and Parquet, in a "
                   "second sheet for .xlsx).")
@click.option("--errors", "errors", type=click.Path(path_type=Path), default=None,
              help="Rejected records as JSON Lines (default: beside the output, <out>.errors.jsonl).")
@click.option("--chunk-size", default=50_000, show_default=True, type=click.IntRange(1, 10_000_000),
              help="Households per chunk (memory is bounded by the chunk).")
@click.option("--any-hukou", is_flag=True,
              help="Evaluate households registered in other regions too (by default they are rejected).")
@click.option("--dask", "dask", default=None, metavar="SCHEDULER",
              help="Run per partition on Dask: a scheduler address, or 'local' for a local cluster.")
@click.option("--encoding", default=None, metavar="ENCODING",
              help="The encoding of CSV tables, e.g. gbk or gb18030 for files saved by Excel on a Chinese Windows "
                   "(default: UTF-8, with or without a byte-order mark).")
@click.option("--bom", is_flag=True, help="Write CSV with a UTF-8 byte-order mark, so Excel opens it right.")
@labels_option
@reports_problems
def batch_command(region: str, as_of: date, overrides: dict[str, str], policies: Path | None,
                  params: tuple[Path, ...], source: Path, out: Path, errors: Path | None, chunk_size: int,
                  any_hukou: bool, dask: str | None, encoding: str | None, bom: bool, labels: str) -> None:
    """Evaluate a caseload (JSON Lines, a folder of Parquet/CSV/Arrow tables, or a workbook) and write one row per
    household (.jsonl, .csv, .parquet or .xlsx); exit status 1 when no household is answered."""
    from engine.extras import require_extra

    require_extra("batch", "dibao batch")
    from engine.batch.run import default_errors_path, fen_text, run_batch
    from engine.batch.spreadsheets import WriteOptions, check_encoding

    if str(source) != "-" and not source.exists():
        raise DiagnosticError([Diagnostic("E-IO", f"{source}: no such file or folder")])
    if encoding is not None:
        check_encoding(encoding)
    library = open_library(policies, params, region)
    options = WriteOptions(bom, output_labels(library, region) if labels == "zh" else {})
    if dask is not None:
        require_extra("dask", "dibao batch --dask")
        from engine.batch.distributed import run_on_dask

        if errors is not None:
            raise DiagnosticError([Diagnostic("E-ARGS", "--errors is not used with --dask: each part's errors "
                                              "file is beside it")])
        summary = run_on_dask(library, region, as_of, source, out, dask, overrides, chunk_size, any_hukou)
        shown_out: Path = out.with_suffix("") / f"*{out.suffix or '.parquet'}"
        shown_errors: Path = out.with_suffix("") / f"*{out.suffix or '.parquet'}.errors.jsonl"
    else:
        summary = _with_progress(lambda progress: run_batch(
            library, region, as_of, source, out, errors, overrides, chunk_size, progress, any_hukou,
            encoding=encoding, options=options), source)
        shown_out, shown_errors = out, errors or default_errors_path(out)
    click.echo(tr("{region} on {day}: {records} records → {rows} rows in {out}, {errors} rejected in {errors_file} "
                  "({seconds} s)", region=region, day=as_of, records=summary.records, rows=summary.rows,
                  out=shown_out, errors=summary.errors, errors_file=shown_errors,
                  seconds=f"{summary.seconds:.2f}"), err=True)
    click.echo(tr("  eligible {eligible}; monthly benefit {monthly} yuan ({annual} a year); policy {version} {digest}",
                  eligible=summary.eligible, monthly=fen_text(summary.benefit_monthly_fen),
                  annual=fen_text(summary.benefit_monthly_fen * 12), version=summary.version, digest=summary.digest),
               err=True)
    if summary.rejected_for:
        top = sorted(summary.rejected_for.items(), key=lambda item: -item[1])[:3]
        click.echo(tr("  rejected for: {reasons}", reasons="; ".join(f"{reason} ({count})" for reason, count in top)),
                   err=True)
    if summary.interpreter_only:
        click.echo(tr("outputs evaluated by the interpreter: {names}", names=", ".join(summary.interpreter_only)),
                   err=True)
    say_tree(library)
    if summary.records != summary.rows + summary.errors:  # pragma: no cover - an invariant of run_batch
        raise DiagnosticError([Diagnostic("E-BATCH", "records in differ from rows out + errors")])
    if summary.rows == 0:
        click.echo(tr("error: no household was answered (see the errors file)"), err=True)
        sys.exit(1)


def output_labels(library: PolicyLibrary, region: str) -> dict[str, str]:
    """Chinese column labels for a region's outputs: the catalogue's, else the rule's own label."""
    from engine.base.i18n import label

    chain = library.region(region).chain
    found = {name: label(name, "zh", (chain.rules[name] if name in chain.rules else chain.parameters[name]).label)
             for name in chain.outputs()}
    return found | {"id": label("id", "zh"), "household_id": label("household_id", "zh"),
                    "member_id": label("member_id", "zh")}


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


def _add_service_commands() -> None:
    """serve, decisions and replay live with the service (their dependencies are the serve extra)."""
    from engine.service.commands import decisions_group, replay_command, serve_command

    for command in (serve_command, decisions_group, replay_command):
        cli.add_command(command)


import engine.cli_policy  # noqa: E402, F401  (registers ``dibao params`` and ``dibao doc`` on the group above)

if __name__ == "__main__":  # python -m engine.cli: run the module under its own name, where all commands are
    from engine.cli import main as installed_main

    installed_main()
elif __name__ == "engine.cli":  # not when a process pool re-imports the main module as __mp_main__
    _add_service_commands()
