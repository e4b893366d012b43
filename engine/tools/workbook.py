"""Parameter histories in an Excel workbook, and back.

``export_histories`` writes one sheet per parameter (its dated values, one row each:
from, to, value, must_supply, doc, clause, rule, confidence, quote, note) and a first
sheet, ``parameters``, that lists each parameter with its sheet (Excel limits sheet
names to 31 characters), type, label, layer and file. Dates are date cells; every other
cell is text, so nothing Excel would reformat (``3000 yuan/year``, ``{"a", "b"}``) is
touched. ``read_histories`` reads such a workbook back into the same ``History`` objects,
checking every cell and naming the sheet, row and column of a bad one: a workbook
exported and read back without edits gives exactly the histories it was written from.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

from engine.base.diagnostics import Diagnostic, DiagnosticError, Span
from engine.batch.spreadsheets import save_workbook
from engine.tools.params import SOURCE_KEYS, History, ValueRow

INDEX = "parameters"
INDEX_COLUMNS = ("sheet", "parameter", "type", "label", "layer", "file", "note")
VALUE_COLUMNS = ("from", "to", "value", "must_supply", *SOURCE_KEYS, "note")
_SHEET_LIMIT = 31
_BAD_SHEET_CHARACTERS = str.maketrans({c: "_" for c in "[]:*?/\\"})


def sheet_names(names: list[str]) -> dict[str, str]:
    """A unique sheet name of at most 31 characters for each parameter name."""
    taken = {INDEX}
    found = {}
    for name in names:
        base = name.translate(_BAD_SHEET_CHARACTERS)
        candidate = base[:_SHEET_LIMIT]
        number = 1
        while candidate in taken:
            number += 1
            suffix = f"~{number}"
            candidate = base[: _SHEET_LIMIT - len(suffix)] + suffix
        taken.add(candidate)
        found[name] = candidate
    return found


def export_histories(found: list[History], region: str, out: Path) -> None:
    """Write the workbook atomically (a temporary file beside ``out``, then renamed)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    index = book.active
    index.title = INDEX
    index.append(list(INDEX_COLUMNS))
    sheets = sheet_names([h.name for h in found])
    for history in found:
        index.append([sheets[history.name], history.name, history.type, history.label, history.layer, history.file,
                      history.note or ""])
        sheet = book.create_sheet(sheets[history.name])
        sheet.append(list(VALUE_COLUMNS))
        for row in history.values:
            sheet.append([row.start, row.end, row.value or "", row.must_supply or "",
                          *(row.source.get(k, "") for k in SOURCE_KEYS), row.note or ""])
        for cells in sheet.iter_rows(min_row=2, max_col=2):
            for cell in cells:
                cell.number_format = "yyyy-mm-dd"
        _tidy(sheet, Font)
    _tidy(index, Font)
    book.properties.title = f"dibao parameters: {region}"
    book.properties.subject = region
    save_workbook(book, out)


def _tidy(sheet: Any, font: Any) -> None:
    for cell in sheet[1]:
        cell.font = font(bold=True)
    sheet.freeze_panes = "A2"
    for column in sheet.columns:
        width = max(len(str(c.value or "")) for c in column[:200])
        sheet.column_dimensions[column[0].column_letter].width = min(max(width + 2, 10), 60)


def read_histories(path: Path) -> tuple[str, list[History]]:
    """(region, histories) from a workbook written by ``export_histories`` and edited by hand."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, data_only=True)
    except FileNotFoundError:
        raise DiagnosticError([Diagnostic("E-IO", f"{path}: no such file")]) from None
    except Exception as error:  # openpyxl raises many kinds for a file that is not a workbook
        raise DiagnosticError([Diagnostic("E-XLSX", f"{path}: not an Excel workbook (.xlsx): {error}",
                                          Span(str(path), 1, 1))]) from None
    if INDEX not in book.sheetnames:
        raise DiagnosticError([Diagnostic("E-XLSX", f"{path}: no {INDEX!r} sheet; export one with dibao params export",
                                          Span(str(path), 1, 1))])
    reader = _Reader(path)
    found = [reader.history(book, row) for row in reader.rows(book[INDEX], INDEX_COLUMNS, INDEX)]
    if reader.problems:
        raise DiagnosticError(reader.problems)
    return str(book.properties.subject or ""), [h for h in found if h is not None]


class _Reader:
    """Reads cells, collecting a located problem for each bad one."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problems: list[Diagnostic] = []

    def problem(self, sheet: str, row: int, column: str, message: str) -> None:
        self.problems.append(Diagnostic("E-XLSX", f"sheet {sheet!r}, row {row}, column {column}: {message}",
                                        Span(f"{self.path}[{sheet}]", row, 1)))

    def rows(self, sheet: Any, columns: tuple[str, ...], name: str) -> list[tuple[int, dict[str, Any]]]:
        header = [str(c.value).strip() if c.value is not None else "" for c in sheet[1]]
        missing = [c for c in columns if c not in header]
        if missing:
            self.problem(name, 1, ", ".join(missing), f"missing column{'s' if len(missing) > 1 else ''}; the columns "
                         f"are: {', '.join(columns)}")
            return []
        found = []
        for number, cells in enumerate(sheet.iter_rows(min_row=2, values_only=True), start=2):
            values = dict(zip(header, cells, strict=False))
            if all(v is None or str(v).strip() == "" for v in values.values()):
                continue
            found.append((number, values))
        return found

    def history(self, book: Any, entry: tuple[int, dict[str, Any]]) -> History | None:
        number, cells = entry
        sheet_name, name = _text(cells.get("sheet")), _text(cells.get("parameter"))
        if not sheet_name or not name:
            self.problem(INDEX, number, "sheet" if not sheet_name else "parameter", "is empty")
            return None
        if sheet_name not in book.sheetnames:
            self.problem(INDEX, number, "sheet", f"names sheet {sheet_name!r}, which the workbook does not have")
            return None
        history = History(name, _text(cells.get("type")), _text(cells.get("label")), _text(cells.get("layer")),
                          _text(cells.get("file")), note=_text(cells.get("note")) or None)
        for row, values in self.rows(book[sheet_name], VALUE_COLUMNS, sheet_name):
            value = self.value_row(sheet_name, row, values)
            if value is not None:
                history.values.append(value)
        return history

    def value_row(self, sheet: str, row: int, cells: dict[str, Any]) -> ValueRow | None:
        start = self.day(sheet, row, "from", cells.get("from"), required=True)
        end = self.day(sheet, row, "to", cells.get("to"), required=False)
        value, reason = _value_text(cells.get("value")), _text(cells.get("must_supply")) or None
        if (value is None) == (reason is None):
            self.problem(sheet, row, "value", f"give a value or a must_supply reason, not "
                         f"{'both' if value is not None else 'neither'} (value {_shown(cells.get('value'))}, "
                         f"must_supply {_shown(cells.get('must_supply'))})")
            return None
        source = {k: _text(cells.get(k)) for k in SOURCE_KEYS if _text(cells.get(k))}
        for key in ("doc", "clause"):
            if key not in source:
                self.problem(sheet, row, key, "is empty; every value cites its document and clause")
        if start is None or "doc" not in source or "clause" not in source:
            return None
        return ValueRow(start, end, value, reason, source, _text(cells.get("note")) or None)

    def day(self, sheet: str, row: int, column: str, cell: Any, required: bool) -> dt.date | None:
        if cell is None or (isinstance(cell, str) and not cell.strip()):
            if required:
                self.problem(sheet, row, column, "is empty; write a date YYYY-MM-DD")
            return None
        if isinstance(cell, dt.datetime):
            if cell.time() != dt.time(0):
                self.problem(sheet, row, column, f"{cell.isoformat(sep=' ')} is a date and time; write a date")
                return None
            return cell.date()
        if isinstance(cell, dt.date):
            return cell
        try:
            return dt.date.fromisoformat(str(cell).strip())
        except ValueError:
            self.problem(sheet, row, column, f"{_shown(cell)} is not a date written YYYY-MM-DD")
            return None


def _text(cell: Any) -> str:
    if cell is None:
        return ""
    return str(cell).strip()


def _value_text(cell: Any) -> str | None:
    """A value cell as the rules-language text it holds; a number typed in Excel keeps its digits."""
    if cell is None or (isinstance(cell, str) and not cell.strip()):
        return None
    if isinstance(cell, bool):
        return "true" if cell else "false"
    if isinstance(cell, float):
        number = Decimal(repr(cell))
        return str(number.quantize(Decimal(1))) if number == number.to_integral_value() else str(number)
    return str(cell).strip()


def _shown(cell: Any) -> str:
    return "empty" if cell is None or str(cell).strip() == "" else repr(str(cell))
