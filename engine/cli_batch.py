"""``dibao batch``: a caseload in, one row per household out, rejected records beside it.

Reads JSON Lines, a folder of Parquet/CSV/Arrow tables or a workbook, and writes .jsonl,
.csv, .parquet or .xlsx through ``engine.batch.run`` (or per partition on Dask), with a
progress bar on a terminal and a summary on stderr; exit status 1 when no household is
answered. The batch dependencies are the ``batch`` extra, imported only when the command runs.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import click

from engine.base.diagnostics import Diagnostic, DiagnosticError
from engine.base.i18n import tr
from engine.cli_options import (
    date_option,
    labels_option,
    open_library,
    policies_option,
    region_option,
    reports_problems,
    say_tree,
    set_option,
)
from engine.cli_support import LocalizedCommand
from engine.runtime.library import PolicyLibrary


@click.command("batch", cls=LocalizedCommand)
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


