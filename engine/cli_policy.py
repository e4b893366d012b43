"""``dibao params`` and ``dibao doc``: a region's parameters and rules as people keep and read them.

``dibao params REGION [NAME] [--date D]`` lists the dated values with their sources (or,
with ``--date``, the value in force that day and whether it must be supplied);
``dibao params export REGION --out FILE.xlsx`` writes them to a workbook and ``dibao
params import FILE.xlsx`` shows what the workbook would change in the policy files,
writing them only with ``--write``. ``dibao doc REGION`` prints the region's rules and
parameters as a document (Markdown or HTML), and with ``--readme`` writes the generated
tables into the region's README between their markers.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import click

from engine.base.i18n import in_language, tr
from engine.base.render import emit, format_option
from engine.cli_options import open_library, policies_option, reports_problems
from engine.cli_support import LocalizedCommand, LocalizedGroup
from engine.runtime.library import PolicyLibrary


class _ParamsGroup(LocalizedGroup):
    """``dibao params REGION …`` is ``dibao params show REGION …``; ``export`` and ``import`` are subcommands."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = ["show", *args]
        return super().parse_args(ctx, args)


def _day(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date written YYYY-MM-DD") from None


@click.group("params", cls=_ParamsGroup)
def params_group() -> None:
    """A region's parameters: dated values with their sources; to and from Excel."""


@params_group.command("show")
@click.argument("region")
@click.argument("name", required=False)
@click.option("--date", "as_of", default=None, callback=_day, help="The values in force on this date, YYYY-MM-DD.")
@policies_option
@format_option()
@reports_problems
def show_command(region: str, name: str | None, as_of: date | None, policies: Path | None, params: tuple[Path, ...],
                 fmt: str) -> None:
    """The dated values of REGION's parameters (or only NAME) with source, clause and confidence."""
    from engine.tools.params import histories, history_table, on_date, on_date_table

    library = open_library(policies, params)
    if as_of is not None:
        rows = on_date(library, region, as_of, name)
        emit(fmt, on_date_table(rows), rows)
        return
    found = histories(library, region, name)
    emit(fmt, history_table(found), [h.as_dict() for h in found])


@params_group.command("export")
@click.argument("region")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The workbook to write (.xlsx).")
@policies_option
@reports_problems
def export_command(region: str, out: Path, policies: Path | None, params: tuple[Path, ...]) -> None:
    """Write REGION's parameter histories to an Excel workbook, one sheet per parameter."""
    from engine.base.diagnostics import Diagnostic, DiagnosticError
    from engine.tools.params import histories
    from engine.tools.workbook import export_histories

    if out.suffix.lower() != ".xlsx":
        raise DiagnosticError([Diagnostic("E-IO", f"{out}: the workbook's name ends in .xlsx")])
    library = open_library(policies, params)
    found = histories(library, region)
    export_histories(found, region, out)
    click.echo(tr("{count} parameters of {region} written to {out}", count=len(found), region=region, out=out),
               err=True)


@params_group.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--region", default=None, help="The region (default: the one the workbook was exported from).")
@click.option("--write", is_flag=True, help="Write the changes into the policy files (without it: only show them).")
@policies_option
@format_option()
@reports_problems
def import_command(file: Path, region: str | None, write: bool, policies: Path | None, params: tuple[Path, ...],
                   fmt: str) -> None:
    """Show what a workbook of parameter values would change in the policy files; --write makes the change."""
    from engine.base.diagnostics import Diagnostic, DiagnosticError
    from engine.tools.policy_edit import apply, changes, changes_table, normalised
    from engine.tools.workbook import read_histories

    library = open_library(policies, params)
    exported_from, imported = read_histories(file)
    region = region or exported_from
    if not region:
        raise DiagnosticError([Diagnostic("E-ARGS", f"{file}: the workbook does not say its region; give --region")])
    imported = normalised(library, region, imported)
    found = changes(library, region, imported)
    data: dict[str, Any] = {"region": region, "changes": [c.as_dict() for c in found], "written": []}
    if write and found:
        data["written"] = [str(p) for p in apply(library, region, imported, found)]
    emit(fmt, changes_table(found), data)
    if fmt == "table":
        if data["written"]:
            click.echo(tr("written: {files}", files=", ".join(data["written"])), err=True)
        elif found:
            click.echo(tr("nothing written: run again with --write to make these changes"), err=True)


@click.command("doc", cls=LocalizedCommand)
@click.argument("region")
@click.option("--format", "fmt", type=click.Choice(["markdown", "html", "json"]), default="markdown",
              show_default=True, help="Markdown, a standalone HTML page, or the document's data as JSON.")
@click.option("--readme", "readme", type=click.Choice(["write", "check"]), default=None,
              help="Write the generated tables into the region's README.md between their markers, or check "
                   "that they are current (exit 1 when not).")
@policies_option
@reports_problems
def doc_command(region: str, fmt: str, readme: str | None, policies: Path | None, params: tuple[Path, ...]) -> None:
    """REGION's rules and parameters as a document: label, clause and its words, expression, reading, history."""
    import json
    import sys

    from engine.tools import policy_doc

    library = open_library(policies, params)
    if readme is not None:
        sys.exit(_readme(library, region, readme == "write"))
    document = policy_doc.region_document(library, region)
    if fmt == "json":
        data = {**document, "entries": [e.as_dict() for e in document["entries"]]}
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        text = policy_doc.markdown(document) if fmt == "markdown" else policy_doc.html(document)
        click.echo(text, nl=False)


def _readme(library: PolicyLibrary, region: str, write: bool) -> int:
    from engine.base.diagnostics import Diagnostic, DiagnosticError
    from engine.policy.policy_files import display_name
    from engine.tools import policy_doc

    library.region(region)
    path = library.root / region / "README.md"
    shown = display_name(path)
    if not path.is_file():
        raise DiagnosticError([Diagnostic("E-IO", f"{path}: no README for {region}")])
    text = path.read_text(encoding="utf-8")
    names = policy_doc.block_names(text)
    if not names:
        raise DiagnosticError([Diagnostic("E-DOC", f"{path}: no <!-- dibao doc: NAME --> block to fill")])
    with in_language("en"):  # a README is written in English whatever the reader's language
        blocks = policy_doc.readme_blocks(library, region, names)
    updated = policy_doc.with_blocks(text, blocks)
    if updated == text:
        click.echo(tr("{path}: current ({blocks})", path=shown, blocks=", ".join(names)), err=True)
        return 0
    if not write:
        click.echo(tr("{path}: out of date; run dibao doc {region} --readme write", path=shown, region=region),
                   err=True)
        return 1
    path.write_text(updated, encoding="utf-8")
    click.echo(tr("{path}: written ({blocks})", path=shown, blocks=", ".join(names)), err=True)
    return 0
