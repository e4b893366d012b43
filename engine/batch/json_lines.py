"""Read a JSON Lines caseload as tables: blocks of lines through pyarrow's JSON reader.

Lines are read as a stream (standard input too), a block at a time, each line at most
``MAX_LINE`` bytes: a longer one is rejected unread, in bounded memory. Each block is
parsed by ``pyarrow.json`` against the record's schema (``engine.batch.record_layout``:
amounts and dates as text) and flattened into the caseload's tables (households,
members, incomes…). Where the JSON reader refuses part of a block (a line that is not
JSON, an amount written as a number, an unknown field), the block is halved until the
lines it refuses are alone, and those are read by the record reader, one at a time, as
``dibao evaluate`` reads a record: nothing pyarrow and Python's ``json`` read
differently is decided by pyarrow. What the tables cannot show is marked for the record
validator to judge: an explicit ``null`` where the record allows none (a table cell
without a value is the field's default), an escape inside a field name, a ``null`` in a
list of records, an object whose required fields are all absent.
"""

from __future__ import annotations

import contextlib
import io
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

from engine.base.diagnostics import Diagnostic, DiagnosticError, Span
from engine.batch.caseload import Caseload, Rejected, concat, from_records, rejection
from engine.batch.record_layout import LEVELS, Level, nullable_keys
from engine.household.model import Unreadable
from engine.household.readers import _jsonl_record  # the record reader of ``dibao evaluate``

MAX_LINE = 1 << 20  # bytes; a household record at its size limits is a few hundred kilobytes
SMALLEST = 8  # lines: a block the JSON reader refuses is halved down to this, then read line by line
BOM = b"\xef\xbb\xbf"
_ARROW_TYPES = {"string": pa.string(), "boolean": pa.bool_(), "whole": pa.int64(), "money": pa.string(),
                "isodate": pa.string()}


def _struct(level: Level) -> pa.StructType:
    fields: list[pa.Field] = []
    groups: dict[str, list[pa.Field]] = {}
    for column in level.columns:
        field = pa.field(column.path[-1], _ARROW_TYPES[column.kind])
        if column.group is None:
            fields.append(field)
        else:
            groups.setdefault(column.group, []).append(field)
    fields += [pa.field(group, pa.struct(members)) for group, members in groups.items()]
    fields += [pa.field(child.field, pa.list_(_struct(child))) for child in LEVELS.values()
               if child.parent == level.name and child.field is not None]
    return pa.struct(fields)


SCHEMA = pa.schema(list(_struct(LEVELS["household"])))
_OPTIONS = pj.ParseOptions(explicit_schema=SCHEMA, unexpected_field_behavior="error", newlines_in_values=False)


def jsonl_chunks(path: Path, size: int) -> Iterator[tuple[Caseload, list[Rejected]]]:
    """The caseload in chunks of up to ``size`` households, each with the lines rejected before validation."""
    source = "<stdin>" if str(path) == "-" else str(path)
    try:
        stream: IO[bytes] = sys.stdin.buffer if str(path) == "-" else path.open("rb")
    except OSError as error:
        raise DiagnosticError([Diagnostic("E-IO", f"cannot read {source}: {error.strerror or error}",
                                          Span(source, 1, 1))]) from None
    with stream if str(path) != "-" else contextlib.nullcontext(stream):  # standard input stays open
        block: list[tuple[int, bytes]] = []
        rejected: list[Rejected] = []
        for line, text in lines(stream, source, rejected):
            block.append((line, text))
            if len(block) >= size:
                yield read_block(block, source, rejected), rejected
                block, rejected = [], []
        if block or rejected:
            yield read_block(block, source, rejected), rejected


def lines(stream: IO[bytes], source: str, rejected: list[Rejected]) -> Iterator[tuple[int, bytes]]:
    """Non-blank lines and their numbers; a line longer than ``MAX_LINE`` bytes is rejected, read past in pieces."""
    number = 0
    try:
        while True:
            text = stream.readline(MAX_LINE + 1)
            if not text:
                return
            number += 1
            if len(text) > MAX_LINE and not text.endswith(b"\n"):
                length = len(text) + _skip_line(stream)
                rejected.append(rejection(None, number, "E-JSON", f"line {number} is {length} bytes long; a record "
                                          f"may be at most {MAX_LINE} bytes (the line was not read)", None, source))
                continue
            if number == 1:
                text = text.removeprefix(BOM)
            if text.strip():
                yield number, text.rstrip(b"\r\n")
    except OSError as error:
        raise DiagnosticError([Diagnostic("E-IO", f"cannot read {source}: {error.strerror or error}",
                                          Span(source, number + 1, 1))]) from None


def _skip_line(stream: IO[bytes]) -> int:
    skipped = 0
    while True:
        piece = stream.readline(MAX_LINE)
        skipped += len(piece)
        if not piece or piece.endswith(b"\n"):
            return skipped


# --- a block of lines --------------------------------------------------------------------------------


def read_block(block: Sequence[tuple[int, bytes]], source: str, rejected: list[Rejected]) -> Caseload:
    """A block of lines as one caseload: what pyarrow reads as tables, the rest record by record (the lines
    that are not valid records are added to ``rejected``)."""
    parts: list[Caseload] = []
    pending: list[tuple[int, bytes]] = []
    for kind, items, table in _parsed(list(block)):
        if kind == "records":
            pending += items
            continue
        if pending:
            parts.append(_by_record(pending, source, rejected))
            pending = []
        arrow, joined = table
        parts.append(_tables(arrow, items, joined, source))
    if pending or not parts:
        parts.append(_by_record(pending, source, rejected))
    return concat(parts)


def _parsed(items: list[tuple[int, bytes]]) -> list[tuple[str, list[tuple[int, bytes]], Any]]:
    """The block in pieces pyarrow reads (with their table), and lines it does not (alone or in small groups)."""
    if not items:
        return []
    odd = [i for i, (line, text) in enumerate(items) if line != 1 and text.startswith(BOM)]
    if odd:  # a byte-order mark is allowed on the first line only; pyarrow skips one at a block's start
        cut = odd[0]
        return [*_parsed(items[:cut]), ("records", [items[cut]], None), *_parsed(items[cut + 1:])]
    joined = b"\n".join(text for _, text in items)
    try:
        table = pj.read_json(io.BytesIO(joined), read_options=pj.ReadOptions(block_size=max(4 << 20, 2 * MAX_LINE)),
                             parse_options=_OPTIONS)
        if table.num_rows == len(items):  # two objects on a line would be two rows
            return [("tables", items, (table, joined))]
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, UnicodeDecodeError):
        pass
    if len(items) <= SMALLEST:
        return [("records", items, None)]
    half = len(items) // 2
    return _parsed(items[:half]) + _parsed(items[half:])


def _by_record(items: list[tuple[int, bytes]], source: str, rejected: list[Rejected]) -> Caseload:
    """Lines read one at a time by the record reader; lines that are not records are rejected."""
    records: list[tuple[int, object]] = []
    for line, text in items:
        raw = _jsonl_record(text, source, line)
        if isinstance(raw, Unreadable):
            rejected.append(Rejected(None, line, tuple(raw.diagnostics)))
        else:
            records.append((line, raw))
    return from_records(records, source, rejected)


# --- pyarrow's table, flattened into the caseload's ---------------------------------------------------------


def _tables(table: pa.Table, items: list[tuple[int, bytes]], joined: bytes, source: str) -> Caseload:
    texts = [text for _, text in items]
    suspect = _unusual(joined, np.cumsum([0] + [len(t) + 1 for t in texts[:-1]]))
    row = table.to_struct_array() if hasattr(table, "to_struct_array") else pa.StructArray.from_arrays(
        [c.combine_chunks() for c in table.columns], names=table.column_names)
    row = row.combine_chunks() if isinstance(row, pa.ChunkedArray) else row
    tables: dict[str, pa.Table] = {}
    owner: dict[str, np.ndarray] = {"household": np.arange(len(items), dtype=np.int64)}
    _flatten("household", row, None, tables, owner, suspect)
    numbers = np.array([line for line, _ in items], dtype=np.int64)

    def records(rows: Sequence[int]) -> list[object]:
        return [_jsonl_record(texts[r], source, int(numbers[r])) for r in rows]

    return Caseload(tables, numbers, suspect, records, source)


def _flatten(name: str, values: pa.StructArray, parent: np.ndarray | None, tables: dict[str, pa.Table],
             owner: dict[str, np.ndarray], suspect: np.ndarray) -> None:
    """One level's struct values as its table (and its lists as their levels'), marking what only the
    record validator can judge: a null where a record belongs, an object whose required fields are absent."""
    level = LEVELS[name]
    households = owner[name]
    nulls = np.asarray(values.is_null(), dtype=bool)
    if nulls.any():
        suspect[households[nulls]] = True
    columns: dict[str, pa.Array] = {}
    for column in level.columns:
        if column.group is None:
            columns[column.name] = pc.struct_field(values, column.path[-1])
    for group in level.groups:
        struct = pc.struct_field(values, group)
        present = np.asarray(struct.is_valid(), dtype=bool)
        for column in level.group_columns(group):
            data = pc.struct_field(struct, column.path[-1])
            columns[column.name] = data
            if column.required:
                absent = present & np.asarray(data.is_null(), dtype=bool)
                if absent.any():
                    suspect[households[absent]] = True
    if parent is not None:
        columns["parent"] = pa.array(parent, pa.int64())
    tables[name] = pa.table(columns) if columns else pa.table({"parent": pa.array([], pa.int64())})
    for child in LEVELS.values():
        if child.parent != name or child.field is None:
            continue
        lists = pc.struct_field(values, child.field)
        flat = pc.list_flatten(lists)
        child_parent = np.asarray(pc.list_parent_indices(lists), dtype=np.int64)
        owner[child.name] = households[child_parent]
        _flatten(child.name, flat, child_parent, tables, owner, suspect)


_NULLABLE = sorted(nullable_keys())
_SPACE, _COLON, _QUOTE, _BACKSLASH = 32, 58, 34, 92


def _unusual(joined: bytes, starts: np.ndarray) -> np.ndarray:
    """Lines (starting at ``starts`` in ``joined``) with an explicit ``null`` after a field that does not allow
    one, or an escape in a field name (pyarrow reads ``null`` as absent, and field names after their escapes)."""
    data = np.frombuffer(joined, dtype=np.uint8)
    flagged: list[np.ndarray] = []
    null = _find(data, b"null")
    if len(null):
        colon = _before(data, null)
        keyed = null[(colon >= 0) & (data[np.clip(colon, 0, None)] == _COLON)]
        flagged.append(keyed[~_allowed_key(data, _before(data, _before(data, keyed)))])
    escapes = _find(data, b"\\u")
    if len(escapes):
        quotes = np.flatnonzero(data == _QUOTE)
        after = np.searchsorted(quotes, escapes + 1)
        closing = quotes[np.clip(after, 0, max(len(quotes) - 1, 0))] if len(quotes) else escapes
        following = _after(data, closing)
        flagged.append(escapes[(following < len(data)) & (data[np.clip(following, 0, len(data) - 1)] == _COLON)])
    suspect = np.zeros(len(starts), dtype=bool)
    for positions in flagged:
        if len(positions):
            suspect[np.searchsorted(starts, positions, side="right") - 1] = True
    return suspect


def _find(data: np.ndarray, word: bytes) -> np.ndarray:
    """Every position of a 2- or 4-byte word, compared a machine word at a time at each alignment."""
    width = len(word)
    kind = {2: np.uint16, 4: np.uint32}[width]
    target = np.frombuffer(word, dtype=kind)[0]
    found = []
    for shift in range(width):
        usable = (len(data) - shift) // width
        if usable <= 0:
            continue
        words = data[shift:shift + usable * width].view(kind)
        found.append(np.flatnonzero(words == target) * width + shift)
    return np.sort(np.concatenate(found)) if found else np.zeros(0, dtype=np.int64)


def _before(data: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """The position of the last non-blank byte before each position (-1 if none within two)."""
    previous = positions - 1
    for _ in range(2):
        blank = (previous >= 0) & (data[np.clip(previous, 0, None)] == _SPACE)
        previous = np.where(blank, previous - 1, previous)
    return previous


def _after(data: np.ndarray, positions: np.ndarray) -> np.ndarray:
    following = positions + 1
    for _ in range(2):
        blank = (following < len(data)) & (data[np.clip(following, 0, len(data) - 1)] == _SPACE)
        following = np.where(blank, following + 1, following)
    return following


def _allowed_key(data: np.ndarray, closing: np.ndarray) -> np.ndarray:
    """Whether the field name whose closing quote is at each position is one that may be null."""
    words = [b'"' + key.encode() for key in _NULLABLE]
    width = max(len(w) for w in words)
    ok = (closing >= 0) & (data[np.clip(closing, 0, None)] == _QUOTE)
    index = np.clip(closing[:, None] - width + np.arange(width), 0, max(len(data) - 1, 0))
    window = data[index]  # the bytes just before each closing quote
    allowed = np.zeros(len(closing), dtype=bool)
    for word in words:
        tail = np.frombuffer(word, dtype=np.uint8)
        allowed |= (window[:, width - len(word):] == tail).all(axis=1) & (closing >= len(word))
    return np.asarray(ok & allowed, dtype=bool)
