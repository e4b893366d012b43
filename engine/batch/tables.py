"""Read a caseload given as tables: a folder with one table per part of the record.

``households`` and ``members`` are required; ``incomes``, ``expenses``, ``events`` and
``requests`` are optional. Each is Parquet, CSV (in UTF-8 or the ``encoding`` given) or
Arrow IPC, one file or a folder of part files (``engine.batch.table_files``); or the caseload
is an Excel workbook with one sheet per table. The columns are the record's fields, laid out by
``engine.batch.record_layout``; child rows name their household by ``household_id`` (and
incomes and expenses their member by ``member_id``).

The caseload is read in two passes. The first (``engine.batch.table_joins``) reads only the id columns and joins
every child row to its household (and member); a row naming no household, or no member
of it, is a rejected record of its own, and a CSV row that cannot be read rejects its
household (or itself, if it names none). The second streams the tables in chunks of
households: when a child table lists its rows in the households' order, as exports
usually do, it is streamed alongside; otherwise it is read whole and taken in that
order. Memory is bounded by the chunk, plus the ids of the first pass.

Values are read as the record validator reads the same record in JSON (see
``engine.batch.column_checks``): a table caseload and a JSON Lines caseload mean the same.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from engine.base.diagnostics import Diagnostic, DiagnosticError, Span
from engine.batch.caseload import Caseload, Rejected
from engine.batch.record_layout import LEVELS, Column, Level, table_columns
from engine.batch.table_files import TableFile, find_table
from engine.batch.table_joins import ROW, Joins, plain_ids
from engine.household.record import whole_number_text

I64 = np.int64
#: table → (required columns, optional columns)
COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    level.table: table_columns(level) for level in LEVELS.values()}


def open_tables(folder: Path, encoding: str | None = None) -> dict[str, TableFile | None]:
    """The folder's (or workbook's) tables, their columns checked (a missing required or an unknown column
    stops the run)."""
    if folder.suffix.lower() == ".xlsx":
        return _open_sheets(folder)
    files: dict[str, TableFile | None] = {}
    for name, level in LEVELS.items():
        path = find_table(folder, level.table)
        if path is None:
            if name in ("household", "member"):
                label = level.table
                raise DiagnosticError([Diagnostic("E-TABLE", f"{folder}: no {label} table ({label}.parquet, "
                                                  f"{label}.csv or {label}.arrow)", Span(str(folder), 1, 1))])
            files[name] = None
            continue
        table = TableFile(path, level.table, encoding=encoding)
        check_columns(table.column_names(), level.table, Span(str(path), 1, 1))
        files[name] = table
    return files


def _open_sheets(workbook: Path) -> dict[str, TableFile | None]:
    """The sheets of a workbook named like the tables (every cell as the text a CSV would hold)."""
    from engine.batch.spreadsheets import read_workbook

    sheets = read_workbook(workbook, [level.table for level in LEVELS.values()])
    files: dict[str, TableFile | None] = {}
    for name, level in LEVELS.items():
        if level.table not in sheets:
            if name in ("household", "member"):
                raise DiagnosticError([Diagnostic("E-TABLE", f"{workbook}: no {level.table!r} sheet",
                                                  Span(str(workbook), 1, 1))])
            files[name] = None
            continue
        sheet, where = sheets[level.table]
        check_columns(sheet.column_names, level.table, Span(where, 1, 1))
        files[name] = TableFile.of_sheet(workbook, level.table, sheet)
    return files


def check_columns(columns: list[str], name: str, where: Span) -> None:
    """A table's columns: every required one present, none the layout does not know."""
    required, optional = COLUMNS[name]
    missing = [c for c in required if c not in columns]
    unknown = [c for c in columns if c not in required + optional]
    if missing or unknown:
        problems = ([f"missing columns: {', '.join(missing)}"] if missing else []) + (
            [f"unknown columns: {', '.join(unknown)} (allowed: {', '.join(required + optional)})"] if unknown else [])
        raise DiagnosticError([Diagnostic("E-TABLE", f"the {name} table: {'; '.join(problems)}", where)])


def table_chunks(folder: Path, size: int, encoding: str | None = None) -> Iterator[tuple[Caseload, list[Rejected]]]:
    """The caseload in chunks of ``size`` households, each with the records rejected before validation."""
    return chunks_of(open_tables(folder, encoding), size, str(folder))


def chunks_of(files: dict[str, TableFile | None], size: int, source: str) -> Iterator[tuple[Caseload, list[Rejected]]]:
    """The households of tables already opened (by level), in chunks, as ``table_chunks``."""
    joins = Joins(files, size)
    rejected = joins.rejected
    households = joins.households
    streams = {name: _Rows(file, joins.order.get(name), LEVELS[name]) for name, file in files.items()
               if file is not None}
    for number, start in enumerate(range(0, max(households, 1), size)):
        end = min(start + size, households)
        caseload, early = _chunk(joins, streams, number, start, end, source)
        yield caseload, (rejected if start == 0 else []) + early
        if households == 0:
            break


# --- the second pass: chunks -------------------------------------------------------------------------------


def dictionary_columns(level: Level) -> list[str]:
    """Columns with few distinct words (enumerations, member ids), read from Parquet as dictionaries."""
    return [c.name for c in level.columns if c.allowed is not None or (level.name == "member" and c.name == "id")]


class _Rows:
    """A table's rows in the households' order, read forward a range at a time."""

    def __init__(self, file: TableFile, order: np.ndarray | None, level: Level) -> None:
        self.columns = [c for c in file.column_names() if c not in level.links]  # joined in the first pass
        words = dictionary_columns(level)
        self.empty = file.empty(self.columns, words)
        self.order = order
        self.whole = file.read(self.columns, words) if order is not None else None
        self.batches = file.batches(self.columns, words) if order is None else iter(())
        self.pending: pa.RecordBatch | None = None
        self.position = 0  # rows consumed so far (in the table's order)

    def take(self, start: int, end: int) -> pa.Table:
        """Rows ``start`` to ``end`` (exclusive) in the households' order; ranges come in increasing order."""
        if self.whole is not None:
            assert self.order is not None
            return self.whole.take(pa.array(self.order[start:end], pa.int64()))
        pieces = []
        while self.position < end:
            batch = self.pending if self.pending is not None else next(self.batches, None)
            self.pending = None
            if batch is None:
                break
            first = self.position
            low, high = max(start - first, 0), min(end - first, batch.num_rows)
            if high > low:
                pieces.append(batch.slice(low, high - low))
            if high < batch.num_rows:
                self.pending = batch.slice(high)
                self.position = first + high
            else:
                self.position = first + batch.num_rows
        return pa.Table.from_batches(pieces, schema=self.empty.schema) if pieces else self.empty


def _chunk(joins: Joins, streams: dict[str, _Rows], number: int, start: int, end: int,
           source: str) -> tuple[Caseload, list[Rejected]]:
    """Households ``start`` to ``end`` of the households table, with their rows, as a caseload."""
    tables: dict[str, pa.Table] = {"household": streams["household"].take(start, end)}
    local: dict[str, np.ndarray] = {}  # per level, the chunk row of each table row taken (or -1)
    for name, level in list(LEVELS.items())[1:]:
        link = joins.links[name]
        if name not in streams:
            tables[name] = _empty(level)
            continue
        order = joins.order.get(name)
        low, high = int(link.bounds[number]), int(link.bounds[number + 1])
        table = streams[name].take(low, high)
        parent = (link.parent[low:high] if order is None else link.parent[order[low:high]]).astype(I64)
        rows = np.arange(low, high) if order is None else order[low:high]
        joined = parent >= 0
        if level.parent == "household":
            chunk_parent = parent - start
        else:
            chunk_parent = np.where(joined, local["member"][np.clip(parent, 0, None)] if len(local.get("member", []))
                                    else -1, -1)
            joined &= chunk_parent >= 0
        if not joined.all():
            table = table.filter(pa.array(joined))
            chunk_parent, rows = chunk_parent[joined], rows[joined]
        order_in_chunk = np.argsort(chunk_parent, kind="stable")
        if len(order_in_chunk) and bool((np.diff(chunk_parent) < 0).any()):
            table, chunk_parent, rows = table.take(pa.array(order_in_chunk)), chunk_parent[order_in_chunk], \
                rows[order_in_chunk]
        tables[name] = table.append_column("parent", pa.array(chunk_parent, pa.int64()))
        if name == "member":  # chunk rows of this chunk's members (entries of other chunks are never read)
            joins.member_chunk_rows[rows] = np.arange(len(rows), dtype=ROW)
            local["member"] = joins.member_chunk_rows
    lines = joins.lines[start:end]
    caseload = Caseload(tables, lines, np.zeros(end - start, dtype=bool), lambda rows: records(tables, rows), source,
                        unique_ids=True)  # households sharing an id are set aside by the first pass
    return _without_broken(caseload, joins, start)


def _without_broken(caseload: Caseload, joins: Joins, start: int) -> tuple[Caseload, list[Rejected]]:
    broken = [row - start for row in joins.broken if start <= row < start + caseload.size]
    if not broken:
        return caseload, []
    ids = plain_ids(caseload.tables["household"])
    rejected = [Rejected(ids[row].as_py(), int(caseload.lines[row]), tuple(joins.broken[row + start]))
                for row in sorted(broken)]
    keep = np.ones(caseload.size, dtype=bool)
    keep[broken] = False
    return subset(caseload, keep), rejected


def subset(caseload: Caseload, keep: np.ndarray) -> Caseload:
    """The households kept, with their rows."""
    masks = {"household": keep}
    tables = {"household": caseload.tables["household"].filter(pa.array(keep))}
    for name, level in list(LEVELS.items())[1:]:
        assert level.parent is not None
        upper = masks[level.parent]
        table = caseload.tables[name]
        parent = np.asarray(table["parent"], dtype=I64)
        masks[name] = upper[parent] if len(parent) else np.zeros(0, dtype=bool)
        renumber = np.cumsum(upper) - 1
        kept = table.filter(pa.array(masks[name]))
        tables[name] = kept.set_column(kept.schema.get_field_index("parent"), "parent",
                                       pa.array(renumber[parent[masks[name]]], pa.int64()))
    return Caseload(tables, caseload.lines[keep], caseload.suspect[keep],
                    lambda rows: records(tables, rows), caseload.source, unique_ids=caseload.unique_ids)


def _empty(level: Level) -> pa.Table:
    return pa.table({"parent": pa.array([], pa.int64())})


# --- records, for the record validator's messages ----------------------------------------------------------


def records(tables: dict[str, pa.Table], rows: Sequence[int]) -> list[object]:
    """The household records of some rows of a caseload's tables, as the JSON record would be."""
    return [_record(tables, "household", int(row)) for row in rows]


def _record(tables: dict[str, pa.Table], name: str, row: int) -> dict[str, Any]:
    level = LEVELS[name]
    values = {c: tables[name][c][row].as_py() for c in tables[name].column_names if c != "parent"}
    record: dict[str, Any] = {}
    for column in level.columns:
        value = cell_value(values.get(column.name), column)
        if value is None:
            continue
        if column.group is None:
            record[column.name] = value
        else:
            record.setdefault(column.group, {})[column.path[-1]] = value
    for child in LEVELS.values():
        if child.parent != name or child.field is None:
            continue
        parent = np.asarray(tables[child.name]["parent"], dtype=I64)  # grouped by parent
        first, last = np.searchsorted(parent, row, side="left"), np.searchsorted(parent, row, side="right")
        items = [_record(tables, child.name, int(r)) for r in range(first, last)]
        if items or child.rules.get("required"):
            record[child.field] = items
    return record


def cell_value(value: Any, column: Column) -> Any:
    """A cell as the record's value: true/false text is a boolean, digits a whole number (``2.0`` too, as Excel
    writes one), a float its text."""
    if column.kind == "whole" and isinstance(value, (str, float)):
        return whole_number_text(value)
    if isinstance(value, float):
        return repr(value)
    if column.kind == "boolean" and isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if column.kind == "whole" and isinstance(value, (str, float)):
        return whole_number_text(value)
    if column.kind == "isodate" and isinstance(value, date):
        return value.isoformat()
    return value


# --- records to tables ------------------------------------------------------------------------------------


def tables_from_records(records: list[dict[str, Any]]) -> dict[str, pa.Table]:
    """Household records (valid ones, as JSON gives them) as the tables of a caseload folder."""
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in LEVELS}

    def visit(name: str, item: dict[str, Any], links: dict[str, Any]) -> None:
        level = LEVELS[name]
        row = dict(links)
        for column in level.columns:
            holder = item.get(column.group) or {} if column.group else item
            value = holder.get(column.path[-1])
            row[column.name] = str(value) if column.kind == "money" and value is not None else value
        rows[name].append(row)
        for child in LEVELS.values():
            if child.parent == name and child.field is not None:
                for sub in item.get(child.field) or []:
                    visit(child.name, sub, {**links, f"{name}_id": item.get("id")})

    for record in records:
        visit("household", record, {})
    tables = {}
    for name, level in LEVELS.items():
        required, optional = COLUMNS[level.table]
        columns = {c: [row.get(c) for row in rows[name]] for c in required + optional}
        tables[level.table] = pa.table({c: pa.array(v, _arrow_type(level, c)) for c, v in columns.items()})
    return tables


def _arrow_type(level: Level, name: str) -> pa.DataType:
    kinds = {c.name: c.kind for c in level.columns}
    return {"boolean": pa.bool_(), "whole": pa.int64()}.get(kinds.get(name, "string"), pa.string())


def write_tables(records: list[dict[str, Any]], folder: Path, fmt: str = "parquet") -> None:
    """Write records as tables in a folder (``parquet``, ``csv`` or ``arrow``)."""
    import pyarrow.csv as pacsv
    import pyarrow.feather as feather
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    for name, table in tables_from_records(records).items():
        if fmt == "csv":
            pacsv.write_csv(table, folder / f"{name}.csv")
        elif fmt == "arrow":
            feather.write_feather(table, folder / f"{name}.arrow", compression="uncompressed")
        else:
            pq.write_table(table, folder / f"{name}.parquet")
