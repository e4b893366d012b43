"""The first pass over a caseload given as tables: who belongs to whom.

Only the id columns are read. Every child row (a member, an income, an expense, an event, a
request) is joined to its household, and incomes and expenses to their member, by id; a row
naming no household, or no member of it, is a rejected record of its own; a household id that
repeats an earlier one rejects the later household; a CSV row that cannot be read rejects its
household (or itself, if it names none). ``engine.batch.tables`` then reads the caseload in
chunks of households with these joins.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from engine.base.diagnostics import Diagnostic, Span
from engine.batch.caseload import Rejected, rejection
from engine.batch.record_layout import LEVELS, Level
from engine.batch.screening import text_hashes
from engine.batch.table_files import TableFile

I64 = np.int64

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
        ids = plain_ids(head.read(["id"]))
        self.households = len(ids)
        self.lines = head.row_numbers(len(ids))
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
        named = ids.take(pa.array(rows)).to_pylist()
        lines_of: dict[str, list[int]] = {}  # each repeated id's lines, in order (one pass, not one per row)
        for row, identifier in zip(rows, named, strict=True):
            lines_of.setdefault(identifier, []).append(int(self.lines[row]))
        first: dict[str, int] = {}
        for row, identifier in zip(rows, named, strict=True):
            line = int(self.lines[row])
            if identifier not in first:
                first[identifier] = line
                reason = (f"id: households rows {', '.join(str(n) for n in lines_of[identifier])} share the id "
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


def plain_ids(table: pa.Table) -> pa.Array:
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
