"""Render: every table the commands print, in every format, from one shape.

A command builds a ``Table`` (title, columns, rows, lines after it) and the data it
stands for; ``emit`` writes it as

* ``table``: boxes drawn by rich when standard output is a terminal wide enough for
  the whole table, else plain aligned text with every name and value in full (a table
  is never cut, folded or shortened with ``…``);
* ``json``: the data, as the command's ``--json`` always gave it;
* ``csv``: the table's rows (a value of several lines keeps its line breaks), with a
  byte-order mark when asked (Excel then reads the UTF-8 right);
* ``markdown``: a pipe table, for a README or a case file.

Values are shown the way the contract writes them: ``true``/``false``, never Python's
``True``; lists joined by commas; nothing as an empty cell. Widths count Chinese
characters as two columns, as terminals draw them. User text is printed as text (rich
markup in it is escaped).
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

import click

from engine.i18n import tr

FORMATS = ("table", "json", "csv", "markdown")


@dataclass
class Column:
    key: str
    header: str
    align: str = "left"  # or "right"


@dataclass
class Table:
    columns: list[Column]
    rows: list[dict[str, Any]] = field(default_factory=list)
    title: str = ""
    before: list[str] = field(default_factory=list)  # lines printed above the table (table format only)
    after: list[str] = field(default_factory=list)  # lines printed below it
    when_empty: str = ""  # printed instead of an empty table

    def add(self, **cells: Any) -> None:
        self.rows.append(cells)


def format_option(default: str = "table") -> Any:
    """The ``--format`` option every table command takes."""
    return click.option("--format", "fmt", type=click.Choice(FORMATS), default=default, show_default=True,
                        help="How to print: table (plain aligned text when piped), json, csv or markdown.")


def show(value: Any) -> str:
    """One value as text: booleans as true/false, lists joined, None as nothing."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value) if isinstance(value, (set, frozenset)) else value
        return ", ".join(show(v) for v in items)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def lines_of(value: Any) -> list[str]:
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return list(value) or [""]
    return show(value).split("\n")


def emit(fmt: str, table: Table, data: Any = None, stream: TextIO | None = None, bom: bool = False) -> None:
    """Write ``table`` (or ``data`` for json) to standard output in ``fmt``."""
    out = stream or sys.stdout
    if fmt == "json":
        text = json.dumps(table_data(table) if data is None else data, ensure_ascii=False, indent=2, default=str)
        click.echo(text, file=out)
    elif fmt == "csv":
        click.echo(("\ufeff" if bom else "") + to_csv(table), file=out, nl=False)
    elif fmt == "markdown":
        click.echo(to_markdown(table), file=out)
    else:
        write_table(table, out)


def table_data(table: Table) -> list[dict[str, Any]]:
    return [{c.key: row.get(c.key) for c in table.columns} for row in table.rows]


def write_table(table: Table, out: TextIO) -> None:
    """Boxes on a terminal that can hold the table; plain aligned text anywhere else."""
    for line in ([table.title] if table.title else []) + table.before:
        click.echo(line, file=out)
    width = _terminal_width(out)
    if not table.rows and table.when_empty:
        click.echo(table.when_empty, file=out)
    elif width is not None and sum(_widths(table)) + 3 * len(table.columns) + 1 <= width:
        _rich_table(table, out, width)
    else:
        click.echo(to_plain(table), file=out)
    for line in table.after:
        click.echo(line, file=out)


def _terminal_width(out: TextIO) -> int | None:
    try:
        if not out.isatty():
            return None
    except (AttributeError, ValueError):
        return None
    return shutil.get_terminal_size((80, 24)).columns


def _rich_table(table: Table, out: TextIO, width: int) -> None:
    from rich.console import Console
    from rich.table import Table as RichTable
    from rich.text import Text

    drawn = RichTable()
    for column in table.columns:
        drawn.add_column(tr(column.header), justify="right" if column.align == "right" else "left",
                         overflow="fold", no_wrap=True)
    for row in table.rows:
        drawn.add_row(*(Text("\n".join(lines_of(row.get(c.key)))) for c in table.columns))
    Console(file=out, width=width, highlight=False).print(drawn)


def to_plain(table: Table) -> str:
    """Aligned columns separated by two spaces, a rule under the headers, nothing cut."""
    headers = [tr(c.header) for c in table.columns]
    grid = [[lines_of(row.get(c.key)) for c in table.columns] for row in table.rows]
    widths = _widths(table)
    out = [_line(headers, widths, table.columns)]
    out.append(_line(["-" * w for w in widths], widths, table.columns))
    for cells in grid:
        for depth in range(max(len(c) for c in cells) if cells else 1):
            out.append(_line([c[depth] if depth < len(c) else "" for c in cells], widths, table.columns))
    return "\n".join(out)


def _widths(table: Table) -> list[int]:
    """Each column's width: its longest line, header included."""
    return [max([_cells(tr(c.header))] + [_cells(line) for row in table.rows for line in lines_of(row.get(c.key))])
            for c in table.columns]


def _line(cells: Sequence[str], widths: Sequence[int], columns: Sequence[Column]) -> str:
    parts = []
    for text, width, column in zip(cells, widths, columns, strict=True):
        pad = " " * (width - _cells(text))
        parts.append(pad + text if column.align == "right" else text + pad)
    return "  ".join(parts).rstrip()


def to_csv(table: Table) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([tr(c.header) for c in table.columns])
    for row in table.rows:
        writer.writerow(["\n".join(lines_of(row.get(c.key))) for c in table.columns])
    return buffer.getvalue()


def to_markdown(table: Table) -> str:
    def cell(value: Any) -> str:
        return "<br>".join(escape_markdown(line) for line in lines_of(value))

    out = [f"**{escape_markdown(table.title)}**", ""] if table.title else []
    out.append("| " + " | ".join(escape_markdown(tr(c.header)) for c in table.columns) + " |")
    out.append("|" + "|".join("---:" if c.align == "right" else "---" for c in table.columns) + "|")
    for row in table.rows:
        out.append("| " + " | ".join(cell(row.get(c.key)) for c in table.columns) + " |")
    return "\n".join(out)


def escape_markdown(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _cells(text: str) -> int:
    from rich.cells import cell_len

    return cell_len(text)
