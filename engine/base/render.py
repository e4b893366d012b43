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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO, TypeVar

import click

from engine.base.i18n import language, tr, tr_message

FORMATS = ("table", "json", "csv", "markdown")

F = TypeVar("F", bound=Callable[..., Any])


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


def format_option(default: str = "table") -> Callable[[F], F]:
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


# --- explanations as documents (Markdown, HTML) for a case file -------------------------------------


def income_rows(incomes: list[dict[str, Any]]) -> Table:
    """Each income with counted or excluded and what decided it."""
    table = Table([Column("member", "member"), Column("income", "income"), Column("amount", "amount", "right"),
                   Column("monthly", "per month", "right"), Column("counted", "counted"),
                   Column("decided", "decided by")])
    for item in incomes:
        verdict = "?" if item["counted"] is None else tr("counted") if item["counted"] else tr("excluded")
        decided = [f"{item['rule']} ({item['rule_source']})"]
        if item["counted"] is True and item["parameters"]:
            decided.append(tr("not excluded by {names}", names=", ".join(p["name"] for p in item["parameters"])))
        elif item["counted"] is not True:
            decided.append(item["decided_by"])
            decided += [f"{p['name']} = {p['value']} ({p.get('source', '')}"
                        + (f", {tr('in force')} {tr_message(p['in_force'])})" if p.get("in_force") else ")")
                        for p in item["parameters"]]
        table.add(member=item["member"], income=_kind_words(item), amount=f"{item['amount']}/{tr(item['per'])}",
                  monthly=item["monthly"], counted=verdict, decided=decided)
    return table


def _kind_words(item: dict[str, Any]) -> str:
    """An income's kind as a reader sees it: the code, with the vocabulary's Chinese name first in Chinese."""
    name = item.get("kind_name")
    return f"{name} ({item['kind']})" if name and language() != "en" else str(item["kind"])


def explanation_markdown(data: dict[str, Any], quotes: bool = False) -> str:
    """The explanation as a Markdown document: heading, incomes table, then each output's tree as nested lists."""
    out = [f"# {escape_markdown(data['household'])} · {data['region']} {tr('on')} {data['date']}", "",
           f"{tr('policy')} {data['policy']['version']} `{data['policy']['digest']}`", ""]
    if data.get("incomes"):
        out += [f"## {tr('Incomes')}", "", to_markdown(income_rows(data["incomes"])), ""]
    out += [f"## {tr('Outputs')}", ""]
    for node in data["explain"]:
        out += _markdown_node(node, 0, quotes)
    return "\n".join(out) + "\n"


def _markdown_node(node: dict[str, Any], depth: int, quotes: bool) -> list[str]:
    pad = "  " * depth
    line = f"{pad}- `{node['name']}` = **{escape_markdown(_value(node['value']))}**"
    if node.get("label"):
        line += f" {escape_markdown(node['label'])}"
    citation = _citation(node.get("source"))
    if citation:
        line += f" ({escape_markdown(citation)})"
    if node.get("effective"):
        line += f", {tr('in force')} {node['effective']}"
    out = [line]
    if node.get("expr"):
        out.append(f"{pad}  - `= {node['expr'].replace('`', '')}`")
    words = (node.get("source") or {}).get("quote") or (node.get("source") or {}).get("text")
    if quotes and words:
        out.append(f"{pad}  - 「{escape_markdown(words)}」")
    for child in node.get("children", []):
        out += _markdown_node(child, depth + 1, quotes)
    return out


def explanation_html(data: dict[str, Any], quotes: bool = False) -> str:
    """The explanation as a standalone HTML page (every text escaped)."""
    from html import escape

    title = f"{data['household']} · {data['region']} {tr('on')} {data['date']}"
    parts = ["<!DOCTYPE html>", '<html lang="' + ("zh" if tr("on") != "on" else "en") + '">', "<head>",
             '<meta charset="utf-8">', f"<title>{escape(title)}</title>",
             "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}code{background:#f4f4f4}"
             "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .5em;vertical-align:top}"
             ".value{font-weight:bold}.note{color:#555}</style>", "</head>", "<body>",
             f"<h1>{escape(title)}</h1>",
             f"<p>{escape(tr('policy'))} {escape(data['policy']['version'])} <code>"
             f"{escape(data['policy']['digest'])}</code></p>"]
    if data.get("incomes"):
        parts += [f"<h2>{escape(tr('Incomes'))}</h2>", _html_table(income_rows(data["incomes"]))]
    parts += [f"<h2>{escape(tr('Outputs'))}</h2>", "<ul>"]
    parts += [_html_node(node, quotes) for node in data["explain"]]
    parts += ["</ul>", "</body>", "</html>"]
    return "\n".join(parts) + "\n"


def _html_node(node: dict[str, Any], quotes: bool) -> str:
    from html import escape

    text = f"<code>{escape(node['name'])}</code> = <span class=\"value\">{escape(_value(node['value']))}</span>"
    if node.get("label"):
        text += f" {escape(node['label'])}"
    citation = _citation(node.get("source"))
    if citation:
        text += f" <span class=\"note\">({escape(citation)})</span>"
    if node.get("effective"):
        text += f" <span class=\"note\">{escape(tr('in force'))} {escape(node['effective'])}</span>"
    inner = []
    if node.get("expr"):
        inner.append(f"<li><code>= {escape(node['expr'])}</code></li>")
    words = (node.get("source") or {}).get("quote") or (node.get("source") or {}).get("text")
    if quotes and words:
        inner.append(f"<li>「{escape(words)}」</li>")
    inner += [_html_node(child, quotes) for child in node.get("children", [])]
    return f"<li>{text}" + (f"<ul>{''.join(inner)}</ul>" if inner else "") + "</li>"


def _html_table(table: Table) -> str:
    from html import escape

    head = "".join(f"<th>{escape(tr(c.header))}</th>" for c in table.columns)
    rows = "".join("<tr>" + "".join("<td>" + "<br>".join(escape(line) for line in lines_of(row.get(c.key)))
                                    + "</td>" for c in table.columns) + "</tr>" for row in table.rows)
    return f"<table><tr>{head}</tr>{rows}</table>"


def _value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _citation(source: dict[str, Any] | None) -> str:
    if not source:
        return ""
    if "override" in source:
        return str(source["override"])
    text = f"{source['doc']} {source['clause']}"
    return text + (f", {source['rule']}" if source.get("rule") else "")
