"""Caseload tables as Excel keeps them: CSV in a Chinese encoding, and .xlsx workbooks.

The batch reads a caseload's tables (households, members, incomes, …) as Arrow tables of
text. This module is the reader in front of it for files that come from Excel:

* ``read_csv`` reads a CSV in the encoding given (``--encoding gbk``, ``gb18030``, …;
  UTF-8 by default, with or without the byte-order mark Excel writes). A file that is
  not in the encoding says where the first bad byte is, and which encoding to try.
* ``read_workbook`` reads a workbook with one sheet per table (``households``,
  ``members``, …): every cell becomes the text a CSV would hold, so a grade typed as
  ``2`` (stored by Excel as ``2.0``) is ``2``, a date cell ``1950-03-01``, TRUE ``true``.
* ``WriteOptions``, ``CsvWriter`` and ``write_workbook`` write batch answers for Excel: CSV
  with a byte-order mark, a workbook of sheets, labelled columns.
* ``whole_number_text`` is the one place a whole number written as ``2.0`` (by Excel or
  pandas) is read as ``2``.
"""

from __future__ import annotations

import codecs
import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv

from engine.base.diagnostics import Diagnostic, DiagnosticError, Span

ENCODINGS = ("utf-8", "gbk", "gb18030", "gb2312", "big5")


@dataclass(frozen=True)
class WriteOptions:
    """How output tables are written for the people who open them: a byte-order mark on CSV (so Excel reads
    UTF-8), and column labels in place of names (``--labels zh``)."""

    bom: bool = False
    labels: dict[str, str] = field(default_factory=dict)

    def header(self, names: list[str]) -> list[str]:
        return [self.labels.get(n, n) for n in names]
_WHOLE = re.compile(r"\s*([+-]?\d+)(?:\.0*)?\s*")


def check_encoding(encoding: str | None) -> str:
    """The codec name for ``--encoding`` (``utf-8`` when none is given)."""
    name = encoding or "utf-8"
    try:
        codecs.lookup(name)
    except LookupError:
        raise DiagnosticError([Diagnostic("E-ARGS", f"--encoding {name!r} is not an encoding Python knows; Chinese "
                                          f"files are usually {', '.join(ENCODINGS)}")]) from None
    return name


def read_csv(path: Path, encoding: str | None = None) -> pa.Table:
    """Every column as text (so amounts stay exact); a UTF-8 byte-order mark is skipped."""
    name = check_encoding(encoding)
    data = path.read_bytes()
    if codecs.lookup(name).name == "utf-8":
        data = data.removeprefix(codecs.BOM_UTF8)
    try:
        text = data.decode(name)
    except UnicodeDecodeError as error:
        raise DiagnosticError([decoding_problem(path, data, error, name)]) from None
    source = pa.BufferReader(text.encode("utf-8"))
    header = pacsv.read_csv(source, read_options=pacsv.ReadOptions(skip_rows_after_names=0)).column_names \
        if text.strip() else []
    source = pa.BufferReader(text.encode("utf-8"))
    return pacsv.read_csv(source, convert_options=pacsv.ConvertOptions(
        column_types={c: pa.string() for c in header}, strings_can_be_null=True))


def decoding_problem(path: Path, data: bytes, error: UnicodeDecodeError, encoding: str) -> Diagnostic:
    line = data.count(b"\n", 0, error.start) + 1
    column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
    bad = data[error.start: error.start + 4].hex(" ")
    hint = ("; files saved by Excel on a Chinese Windows are usually GBK: try --encoding gbk (or gb18030)"
            if codecs.lookup(encoding).name == "utf-8" else "; try --encoding gb18030 or utf-8")
    return Diagnostic("E-ENCODING", f"{path.name} is not {encoding} text: bytes {bad} at line {line} cannot be read "
                      f"as {encoding}{hint}", Span(str(path), line, column))


def read_workbook(path: Path, names: list[str]) -> dict[str, tuple[pa.Table, str]]:
    """The sheets named like the tables, as text tables; each with the place to name in a message."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except FileNotFoundError:
        raise DiagnosticError([Diagnostic("E-IO", f"{path}: no such file")]) from None
    except Exception as error:  # openpyxl raises many kinds for a file that is not a workbook
        raise DiagnosticError([Diagnostic("E-XLSX", f"{path}: not an Excel workbook (.xlsx): {error}",
                                          Span(str(path), 1, 1))]) from None
    found = {}
    try:
        for name in names:
            if name in book.sheetnames:
                found[name] = (_sheet_table(book[name]), f"{path}[{name}]")
    finally:
        book.close()
    return found


def _sheet_table(sheet: Any) -> pa.Table:
    rows = list(sheet.iter_rows(values_only=True))
    if not rows:
        return pa.table({})
    header = [str(h).strip() if h is not None else "" for h in rows[0]]
    while header and not header[-1]:
        header.pop()
    body = [row for row in rows[1:] if any(cell is not None and str(cell).strip() for cell in row)]
    columns = {name: [cell_text(row[i] if i < len(row) else None) for row in body] for i, name in enumerate(header)}
    return pa.table({name: pa.array(values, pa.string()) for name, values in columns.items()})


def cell_text(cell: Any) -> str | None:
    """A spreadsheet cell as the text a CSV would hold."""
    if cell is None or (isinstance(cell, str) and not cell.strip()):
        return None
    if isinstance(cell, bool):
        return "true" if cell else "false"
    if isinstance(cell, dt.datetime):
        return cell.date().isoformat() if cell.time() == dt.time(0) else cell.isoformat(sep=" ")
    if isinstance(cell, dt.date):
        return cell.isoformat()
    if isinstance(cell, float):
        number = Decimal(repr(cell))
        return str(int(number)) if number == number.to_integral_value() else format(number, "f")
    return str(cell).strip()


def write_workbook(out: Path, sheets: dict[str, pa.Table]) -> None:
    """Tables as sheets of a new workbook, written atomically; money as numbers shown with two decimals."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    for name, table in sheets.items():
        sheet = book.create_sheet(name)
        sheet.append(table.column_names)
        formats = [_number_format(field.type) for field in table.schema]
        for row in table.to_pylist():
            cells = []
            for value, number_format in zip(row.values(), formats, strict=True):
                cell = WriteOnlyCell(sheet, value=_excel_value(value))
                if number_format and value is not None:
                    cell.number_format = number_format
                cells.append(cell)
            sheet.append(cells)
    save_workbook(book, out)


def _number_format(type_: pa.DataType) -> str | None:
    """How Excel shows a column: money with its two decimals, dates as dates."""
    if pa.types.is_decimal(type_):
        return "0." + "0" * type_.scale if type_.scale else "0"
    if pa.types.is_date(type_):
        return "yyyy-mm-dd"
    return None


def _excel_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return value  # openpyxl writes a Decimal as a number with its digits
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return value


class CsvWriter:
    """A CSV writer for a path, writing a UTF-8 byte-order mark first when ``bom`` (Excel then reads UTF-8)."""

    def __init__(self, path: Path, schema: pa.Schema, bom: bool) -> None:
        self.stream = pa.OSFile(str(path), "wb")
        if bom:
            self.stream.write(codecs.BOM_UTF8)
        self.writer = pacsv.CSVWriter(self.stream, schema)

    def write_table(self, table: pa.Table) -> None:
        self.writer.write_table(table)

    def close(self) -> None:
        self.writer.close()
        self.stream.close()


def save_workbook(book: Any, out: Path) -> None:
    """Write a workbook atomically: to a temporary file beside ``out``, then renamed into place."""
    import os
    import tempfile

    out.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".xlsx", dir=out.parent)
    os.close(handle)
    try:
        book.save(temporary)
        os.replace(temporary, out)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
