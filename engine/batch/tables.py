"""Read a caseload given as tables: a folder with one table per part of the record.

``households`` and ``members`` are required; ``incomes``, ``expenses``, ``events`` and
``requests`` are optional. Each is Parquet, CSV (in UTF-8 or the ``encoding`` given) or
Arrow IPC, one file or a folder of part files (``engine.batch.table_files``); or the caseload
is an Excel workbook with one sheet per table. The columns are the record's fields, laid out by
``engine.batch.record_layout``; child rows name their household by ``household_id`` (and
incomes and expenses their member by ``member_id``).

The caseload is read in two passes. The first reads only the id columns and joins
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
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from engine.base.diagnostics import Diagnostic, DiagnosticError, Span
from engine.batch.caseload import Caseload, Rejected, rejection
from engine.batch.record_layout import LEVELS, Column, Level, table_columns
from engine.batch.screening import text_hashes
from engine.batch.table_files import TableFile, find_table
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


# --- the first pass: who belongs to whom -------------------------------------------------------------


ROW = np.int32  # rows of a table (a caseload of two billion rows is split into partitions long before)
SLICE = 1 << 20  # rows looked up at a time where a lookup needs wide work arrays
HASHED = 1 << 18  # ids hashed at a time (hashing works on every byte with 64-bit arrays)


@dataclass
class _Link:
    """A child table's rows: each one's parent row in its table (-1 when it has none), and where each chunk's
    rows begin and end in the households' order."""

    parent: np.ndarray
    bounds: np.ndarray


class Joins:
    """Every child row joined to its parent by id, the rows that join nothing, and unreadable rows."""

    def __init__(self, files: dict[str, TableFile | None], size: int) -> None:
        self.files = files
        self.rejected: list[Rejected] = []
        self.order: dict[str, np.ndarray] = {}  # tables not in the households' order: their rows in that order
        self.broken: dict[int, list[Diagnostic]] = {}  # household row → why some row of it could not be read
        head = files["household"]
        assert head is not None
        ids = _plain_ids(head.read(["id"]))
        self.households = len(ids)
        self.lines = head.row_numbers(len(ids))
        self.ids = ids
        unreadable_ids = self._broken_households(head)
        self._repeated_households(ids)
        self.links: dict[str, _Link] = {}
        self.member_dictionary = pa.array([], pa.string())
        self.member_chunk_rows = np.zeros(0, dtype=ROW)
        self.member_keys = np.zeros(0, dtype=I64)  # every member's key, sorted (needed only while joining)
        self.member_order = np.zeros(0, dtype=ROW)  # the member row of each sorted key
        edges = np.append(np.arange(0, max(self.households, 1), size), self.households)
        tables = {name: file.read([*LEVELS[name].links, *(["id"] if name == "member" else [])],
                                  dictionary=[*LEVELS[name].links, "id"])
                  for name, file in files.items() if name != "household" and file is not None}
        joined = self._households_of(tables, ids)
        for name, level in list(LEVELS.items())[1:]:
            file = files[name]
            if file is None:
                self.links[name] = _Link(np.zeros(0, dtype=ROW), np.zeros(len(edges), dtype=I64))
                continue
            table = tables.pop(name)  # each table's ids let go once joined
            rows = file.row_numbers(table.num_rows)
            households = joined.pop(name)
            if level.parent == "household":
                parent = households
            else:
                parent = self._member_rows(table, households)
            if name == "member":
                self._member_keys(table, households)
            owners = np.where(parent >= 0, households, -1)
            self.links[name] = _Link(parent.astype(ROW), self._bounds(name, owners, edges))
            if name == "member":
                self.member_chunk_rows = np.full(len(parent), -1, dtype=ROW)
            self._orphans(level, table, rows, households, parent, unreadable_ids)
            self._broken_children(level, file, ids)
        self.member_keys, self.member_order = np.zeros(0, dtype=I64), np.zeros(0, dtype=ROW)
        pa.default_memory_pool().release_unused()  # the first pass's memory back to the system before the chunks

    @staticmethod
    def _households_of(tables: dict[str, pa.Table], ids: pa.Array) -> dict[str, np.ndarray]:
        """Each child row's household row (-1: none), every table's ids looked up in one pass."""
        chunks = [chunk for table in tables.values() for chunk in _key(table, "household_id")]
        found = _index(chunks, ids)
        ends = np.cumsum([table.num_rows for table in tables.values()])
        return dict(zip(tables, np.split(found, ends[:-1]), strict=True))

    def _broken_households(self, head: TableFile) -> set[str]:
        names = set()
        for broken in head.broken:
            identifier = broken.cells.get("id")
            if identifier:
                names.add(identifier)
            reason = f"households row {broken.row} {broken.reason}"
            self.rejected.append(rejection(identifier or None, broken.row, "E-TABLE", reason))
        return names

    def _repeated_households(self, ids: pa.Array) -> None:
        """Households sharing an id: the rows naming it cannot be told apart, so none of them is evaluated.
        Ids are compared by their 64-bit hashes first; only the few rows whose hash another shares are compared
        as text (a hash collision between two different ids is no repetition)."""
        hashed = [text_hashes(ids.slice(start, HASHED)) for start in range(0, len(ids), HASHED)]
        hashes = np.where(np.asarray(ids.is_null(), dtype=bool), 0,
                          np.concatenate(hashed) if hashed else np.zeros(0, dtype=I64))
        order = np.argsort(hashes, kind="stable")
        ordered = hashes[order]
        same = np.flatnonzero(ordered[1:] == ordered[:-1])
        if not len(same):
            return
        candidates = ids.take(pa.array(np.unique(np.concatenate([order[same], order[same + 1]]))))
        counts = pc.value_counts(candidates)
        repeated = counts.field("values").filter(pc.greater(counts.field("counts"), 1))
        if not len(repeated):
            return
        rows = np.flatnonzero(np.asarray(pc.is_in(ids, value_set=repeated), dtype=bool))
        first: dict[str, int] = {}
        for row in rows:
            identifier = ids[int(row)].as_py()
            line = int(self.lines[row])
            if identifier not in first:
                first[identifier] = line
                others = [int(self.lines[r]) for r in rows if ids[int(r)].as_py() == identifier][1:]
                reason = (f"id: households rows {', '.join(str(n) for n in [line, *others])} share the id "
                          f"{identifier!r}, so the rows of the other tables that name it cannot be told apart")
            else:
                reason = (f"id: household {identifier!r} appears again; it was first at line {first[identifier]} "
                          f"and is evaluated once (record {identifier})")
            self.broken.setdefault(int(row), []).append(
                Diagnostic("E-REPEATED", reason, Span("", line, 1), path=("id",)))

    def _broken_children(self, level: Level, file: TableFile, ids: pa.Array) -> None:
        for broken in file.broken:
            owner = broken.cells.get("household_id")
            found = _index([pa.array([owner], pa.string())], ids)[0] if owner is not None else -1
            reason = f"{level.table} row {broken.row} {broken.reason}"
            if found >= 0:
                self.broken.setdefault(int(found), []).append(Diagnostic("E-TABLE", reason, Span("", broken.row, 1)))
            else:
                self.rejected.append(rejection(owner, broken.row, "E-TABLE", reason))

    def _member_keys(self, members: pa.Table, households: np.ndarray) -> None:
        """Each member's key (its household row and its id's code), sorted, with the member row of each."""
        self.member_dictionary = pc.unique(_dictionary_words(_key(members, "id"))).drop_null()
        codes = _index(_key(members, "id"), self.member_dictionary)
        width = max(len(self.member_dictionary), 1)
        keys = np.where((households >= 0) & (codes >= 0), households.astype(I64) * width + codes, -1)
        self.member_order = np.argsort(keys, kind="stable").astype(ROW)
        self.member_keys = keys[self.member_order]

    def _member_rows(self, table: pa.Table, households: np.ndarray) -> np.ndarray:
        """For each income or expense row, its member's row (the first with that id), or -1; looked up a slice
        of rows at a time, so the work arrays stay small whatever the table's size."""
        width = max(len(self.member_dictionary), 1)
        codes = _index(_key(table, "member_id"), self.member_dictionary)
        found = np.full(len(codes), -1, dtype=ROW)
        ordered = self.member_keys
        if not len(ordered):
            return found
        for start in range(0, len(codes), SLICE):
            owner, code = households[start:start + SLICE].astype(I64), codes[start:start + SLICE]
            wanted = np.where((owner >= 0) & (code >= 0), owner * width + code, -2)
            position = np.minimum(np.searchsorted(ordered, wanted), len(ordered) - 1)
            found[start:start + SLICE] = np.where(ordered[position] == wanted, self.member_order[position], -1)
        return found

    def _orphans(self, level: Level, table: pa.Table, rows: np.ndarray, households: np.ndarray, parent: np.ndarray,
                 unreadable: set[str]) -> None:
        """Rows joining nothing: each is a rejected record of its own (or part of an unreadable household)."""
        for index in np.flatnonzero(parent < 0):
            owner = table["household_id"][int(index)].as_py()
            row = int(rows[index])
            if households[index] < 0:
                if owner in unreadable:
                    continue
                reason = f"{level.table} row {row} names household {owner!r}, which is not in the households table"
            else:
                member = table["member_id"][int(index)].as_py()
                reason = (f"{level.table} row {row} names member {member!r}, who is not a member of household "
                          f"{owner!r}")
            self.rejected.append(rejection(None if owner is None else str(owner), row, "E-TABLE", reason))

    def _bounds(self, name: str, households: np.ndarray, edges: np.ndarray) -> np.ndarray:
        """Where each chunk's rows begin and end, in the households' order (the table's rows are put in that
        order, ``order``, only when they are not in it already)."""
        joined = households[households >= 0]
        if len(joined) and bool((np.diff(joined) < 0).any()):
            self.order[name] = np.argsort(np.where(households >= 0, households, self.households),
                                          kind="stable").astype(ROW)
            households = households[self.order[name]]
        reach = np.maximum.accumulate(households) if len(households) else households  # orphans stay in place
        return np.searchsorted(reach, edges, side="left")


def _key(table: pa.Table, name: str) -> list[pa.Array]:
    """An id column as text, for joining, in its chunks (dictionary chunks kept: their words are looked up
    once); ids of another type never join."""
    if name not in table.column_names:
        return [pa.nulls(table.num_rows, pa.string())]
    chunks = []
    for chunk in table[name].chunks:
        text = chunk.type.value_type if pa.types.is_dictionary(chunk.type) else chunk.type
        if pa.types.is_large_string(text):
            chunk = chunk.cast(pa.dictionary(chunk.type.index_type, pa.string())
                               if pa.types.is_dictionary(chunk.type) else pa.string())
        elif not pa.types.is_string(text):
            chunk = pa.nulls(len(chunk), pa.string())
        chunks.append(chunk)
    return chunks or [pa.array([], pa.string())]


def _words(chunks: list[pa.Array]) -> tuple[pa.Array, list[np.ndarray]]:
    """Every chunk's words end to end (a dictionary's once), and where each row's word is among them (-1: null)."""
    words, where, offset = [], [], 0
    for chunk in chunks:
        if pa.types.is_dictionary(chunk.type):
            words.append(chunk.dictionary)
            where.append(np.asarray(pc.fill_null(chunk.indices, -1 - offset), dtype=I64) + offset)
            offset += len(chunk.dictionary)
        else:
            words.append(chunk)
            where.append(np.where(np.asarray(chunk.is_null(), dtype=bool), -1, np.arange(offset, offset + len(chunk))))
            offset += len(chunk)
    return pa.concat_arrays([w.cast(pa.string()) for w in words]), where


def _dictionary_words(chunks: list[pa.Array]) -> pa.Array:
    """Every chunk's words end to end (a dictionary's once), as ``_words`` without where each row's is."""
    return pa.concat_arrays([(c.dictionary if pa.types.is_dictionary(c.type) else c).cast(pa.string())
                             for c in chunks]) if chunks else pa.array([], pa.string())


def _index(chunks: list[pa.Array], ids: pa.Array) -> np.ndarray:
    """For each key, the position of its first equal in ``ids`` (-1 when none), as a table row, with one lookup
    per word; rows are resolved a chunk at a time (no copy of the keys wider than the answer)."""
    words = _dictionary_words(chunks)
    looked = np.append(np.asarray(pc.fill_null(pc.index_in(words, value_set=ids), -1)).astype(ROW), ROW(-1))
    found = np.empty(sum(len(c) for c in chunks), dtype=ROW)
    at = offset = 0
    for chunk in chunks:
        if pa.types.is_dictionary(chunk.type):
            where = np.asarray(pc.fill_null(chunk.indices, -1 - offset), dtype=I64) + offset
            size = len(chunk.dictionary)
        else:
            where = np.where(np.asarray(chunk.is_null(), dtype=bool), -1, np.arange(offset, offset + len(chunk)))
            size = len(chunk)
        found[at:at + len(chunk)] = looked[where]
        at, offset = at + len(chunk), offset + size
    return found


def _plain_ids(table: pa.Table) -> pa.Array:
    """The households' ids as one text array (other types: no id)."""
    chunks = _key(table, "id")
    if not any(pa.types.is_dictionary(chunk.type) for chunk in chunks):
        return pa.concat_arrays(chunks)
    words, where = _words(chunks)
    index = np.concatenate(where) if where else np.zeros(0, dtype=I64)
    if not len(index):
        return pa.array([], pa.string())
    return pc.if_else(pa.array(index >= 0), words.take(pa.array(np.where(index >= 0, index, 0))),
                      pa.scalar(None, pa.string()))


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
    ids = _plain_ids(caseload.tables["household"])
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
