"""One table of a caseload folder, read as Arrow: Parquet, CSV or Arrow IPC, a file or a folder of parts.

Parquet and Arrow IPC tables are streamed in record batches, a few columns at a time when
only a few are needed. A CSV table is read whole, every cell as text (so amounts stay
exact), in UTF-8 (a byte-order mark skipped) or the encoding given: a file that is not in
its encoding stops the run, naming the first bad bytes and the encoding to try. A sheet
of a workbook is read as text too (``engine.batch.spreadsheets``). A row that cannot be read (a
wrong number of cells, text that is not UTF-8 past the file's start) does not stop the
run: it is set aside as :class:`Broken`, with its row number and its text, and the rows
after it keep their own numbers. Rows are numbered from 1, the first row under the header,
across the parts of a folder in name order.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.ipc as ipc
import pyarrow.parquet as pq

from engine.base.diagnostics import Diagnostic, DiagnosticError, Span

FORMATS = {".parquet": "parquet", ".csv": "csv", ".arrow": "ipc", ".feather": "ipc", ".ipc": "ipc"}
BATCH_ROWS = 65_536


@dataclass(frozen=True)
class Broken:
    """A CSV row that could not be read: its row number, its cells as far as they could be split, why."""

    row: int
    cells: dict[str, str]
    reason: str


def find_table(folder: Path, name: str) -> Path | None:
    """``<name>.parquet``, ``<name>.csv``, ``<name>.arrow`` (or ``.feather``, ``.ipc``), or a folder ``<name>/``."""
    for suffix in FORMATS:
        if (folder / f"{name}{suffix}").is_file():
            return folder / f"{name}{suffix}"
    return folder / name if (folder / name).is_dir() else None


@dataclass
class TableFile:
    """One table: its files (a folder's parts in name order) and their format."""

    path: Path
    name: str
    files: list[Path] = field(default_factory=list)
    fmt: str = ""
    broken: list[Broken] = field(default_factory=list)
    encoding: str | None = None  # of CSV files (None: UTF-8)
    _whole: pa.Table | None = None
    _rows: np.ndarray | None = None  # CSV: each row's number

    @classmethod
    def of_sheet(cls, workbook: Path, name: str, table: pa.Table) -> TableFile:
        """A sheet of a workbook, already read as text."""
        return cls(workbook, name, [workbook], "sheet", _whole=table)

    def __post_init__(self) -> None:
        if self.fmt == "sheet":
            return
        if self.path.is_dir():
            self.files = sorted(p for p in self.path.iterdir() if p.suffix in FORMATS and p.is_file())
        else:
            self.files = [self.path]
        formats = {FORMATS[p.suffix] for p in self.files}
        if len(formats) != 1:
            raise self._error("a table folder holds part files of one format (.parquet, .csv or .arrow)")
        self.fmt = formats.pop()

    def _error(self, message: str) -> DiagnosticError:
        return DiagnosticError([Diagnostic("E-TABLE", f"the {self.name} table: {message}", Span(str(self.path), 1, 1))])

    def column_names(self) -> list[str]:
        try:
            if self.fmt == "parquet":
                return list(pq.ParquetFile(self.files[0]).schema_arrow.names)
            if self.fmt == "ipc":
                return list(_ipc_reader(self.files[0]).schema.names)
            return list(self.whole().column_names)
        except (pa.ArrowException, OSError) as error:
            raise self._error(f"cannot be read: {error}") from None

    def batches(self, columns: list[str], dictionary: Sequence[str] = ()) -> Iterator[pa.RecordBatch]:
        """The table's rows, in order, in record batches of the columns asked for (those it has); Parquet
        columns named in ``dictionary`` as dictionary arrays (ids repeated on many rows are decoded once)."""
        present = [c for c in columns if c in self.column_names()]
        try:
            if self.fmt in ("csv", "sheet"):
                yield from self.whole().select(present).to_batches(BATCH_ROWS)
                return
            for path in self.files:
                if self.fmt == "parquet":
                    reader = pq.ParquetFile(path, read_dictionary=[c for c in dictionary if c in present])
                    yield from reader.iter_batches(BATCH_ROWS, columns=present)
                else:
                    reader = _ipc_reader(path)
                    for index in range(reader.num_record_batches):
                        yield reader.get_batch(index).select(present)
        except (pa.ArrowException, OSError) as error:
            raise self._error(f"cannot be read: {error}") from None

    def read(self, columns: list[str], dictionary: Sequence[str] = ()) -> pa.Table:
        """The whole table (the columns asked for); Parquet a row group per chunk, each with one dictionary, read
        one row group at a time (decoding a whole file at once holds several times its columns' size)."""
        if self.fmt == "parquet":
            present = [c for c in columns if c in self.column_names()]
            try:
                groups = []
                for path in self.files:
                    reader = pq.ParquetFile(path, read_dictionary=[c for c in dictionary if c in present])
                    groups += [reader.read_row_group(group, present, use_threads=False)
                               for group in range(reader.num_row_groups)]
                return pa.concat_tables(groups) if groups else self.empty(present, dictionary)
            except (pa.ArrowException, OSError) as error:
                raise self._error(f"cannot be read: {error}") from None
        batches = list(self.batches(columns, dictionary))
        present = [c for c in columns if c in self.column_names()]
        if not batches:
            return self.empty(present)
        return pa.Table.from_batches(batches)

    def empty(self, columns: list[str], dictionary: Sequence[str] = ()) -> pa.Table:
        """No rows, with the table's types for the columns asked for (as ``batches`` reads them)."""
        if self.fmt == "parquet":
            schema = pq.ParquetFile(self.files[0], read_dictionary=[c for c in dictionary if c in columns]).schema_arrow
        elif self.fmt == "ipc":
            schema = _ipc_reader(self.files[0]).schema
        else:
            schema = self.whole().schema
        return schema.empty_table().select(columns)

    def row_numbers(self, count: int) -> np.ndarray:
        """The row number of each row read (the first ``count``): rows set aside keep theirs."""
        if self._rows is not None:
            return self._rows[:count]
        return np.arange(1, count + 1, dtype=np.int64)

    # --- CSV ----------------------------------------------------------------------------

    def whole(self) -> pa.Table:
        if self._whole is None:
            tables, rows, offset = [], [], 0
            for path in self.files:
                table, numbers, total = self._read_csv(path, offset)
                tables.append(table)
                rows.append(numbers)
                offset += total
            self._whole = pa.concat_tables(tables, promote_options="permissive") if tables else pa.table({})
            self._rows = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
        return self._whole

    def _source(self, path: Path) -> Path | pa.BufferReader:
        """A CSV file as UTF-8: the file itself, or its text decoded from the encoding given."""
        from engine.batch.spreadsheets import check_encoding, decoding_problem

        name = check_encoding(self.encoding)
        if codecs.lookup(name).name == "utf-8":
            with path.open("rb") as stream:
                head = stream.read(1 << 16)
            try:
                head.decode("utf-8")
                return path
            except UnicodeDecodeError as error:
                if error.start < len(head) - 4:
                    raise DiagnosticError([decoding_problem(path, head, error, name)]) from None
                return path
        data = path.read_bytes()
        try:
            text = data.decode(name)
        except UnicodeDecodeError as error:
            raise DiagnosticError([decoding_problem(path, data, error, name)]) from None
        return pa.BufferReader(text.encode("utf-8"))

    def _read_csv(self, path: Path, offset: int) -> tuple[pa.Table, np.ndarray, int]:
        """One CSV file read as text; its rows' numbers (counted from ``offset``) and how many rows it has."""
        source = self._source(path)
        try:
            if isinstance(source, Path):
                with path.open(encoding="utf-8-sig", errors="replace", newline="") as stream:
                    names = next(csv.reader(stream), [])
            else:
                names = next(csv.reader(io.StringIO(source.read().decode("utf-8"), newline="")), [])
                source.seek(0)
        except (OSError, csv.Error) as error:
            raise self._error(f"cannot be read: {error}") from None
        skipped: list[tuple[int, str, str]] = []

        def set_aside(row: pacsv.InvalidRow) -> str:
            number = (row.number or 0) - 1  # the header is row 0
            skipped.append((number, row.text, f"has {row.actual_columns} cells, not {row.expected_columns}"))
            return "skip"

        try:
            table = pacsv.read_csv(source, read_options=pacsv.ReadOptions(use_threads=False),
                                   parse_options=pacsv.ParseOptions(invalid_row_handler=set_aside,
                                                                    newlines_in_values=True),
                                   convert_options=pacsv.ConvertOptions(
                                       column_types={c: pa.binary() for c in names}, strings_can_be_null=True))
        except (pa.ArrowException, OSError) as error:
            raise self._error(f"cannot be read: {error}") from None
        total = table.num_rows + len(skipped)
        numbers = _numbers(table.num_rows, [s[0] for s in skipped])
        table, undecodable = _as_text(table)
        if undecodable:
            skipped += [(int(numbers[index]), "", "is not UTF-8 text") for index in undecodable]
            keep = np.ones(len(numbers), dtype=bool)
            keep[undecodable] = False
            table, numbers = table.filter(pa.array(keep)), numbers[keep]
        for number, text, reason in sorted(skipped):
            self.broken.append(Broken(offset + number, _cells(names, text), reason))
        return table, numbers + offset, total


def _numbers(good: int, skipped: list[int]) -> np.ndarray:
    """Row numbers of the rows kept, when the rows ``skipped`` (their numbers) were left out."""
    marks = np.sort(np.asarray(skipped, dtype=np.int64)) - np.arange(1, len(skipped) + 1)
    index = np.arange(good, dtype=np.int64)
    return index + 1 + np.searchsorted(marks, index, side="right")


def _as_text(table: pa.Table) -> tuple[pa.Table, list[int]]:
    """Every column as UTF-8 text, and the rows that are not (read cell by cell only where some is not)."""
    bad: set[int] = set()
    columns = []
    for column in table.columns:
        try:
            columns.append(column.cast(pa.string()))
        except pa.ArrowInvalid:
            values = column.to_pylist()
            texts = []
            for index, value in enumerate(values):
                try:
                    texts.append(None if value is None else value.decode("utf-8"))
                except UnicodeDecodeError:
                    bad.add(index)
                    texts.append(None)
            columns.append(pa.chunked_array([pa.array(texts, pa.string())]))
    return pa.table(columns, names=table.column_names), sorted(bad)


def _cells(names: list[str], text: str) -> dict[str, str]:
    """The cells of a row that could not be read, as far as Python's CSV reader splits it."""
    try:
        cells = next(csv.reader([text]), [])
    except csv.Error:
        return {}
    return dict(zip(names, cells, strict=False))


def _ipc_reader(path: Path) -> ipc.RecordBatchFileReader | _Batches:
    source = pa.memory_map(str(path))
    try:
        return ipc.open_file(source)
    except pa.ArrowInvalid:
        stream = ipc.open_stream(pa.memory_map(str(path)))
        table = stream.read_all()
        return _Batches(table)


class _Batches:
    """An Arrow IPC stream read whole, offered like a file reader."""

    def __init__(self, table: pa.Table) -> None:
        self.schema = table.schema
        self._batches = table.to_batches()
        self.num_record_batches = len(self._batches)

    def get_batch(self, index: int) -> pa.RecordBatch:
        return self._batches[index]
