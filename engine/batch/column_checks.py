"""Validate a caseload column by column, and convert its values for the columnar batch.

The rules are the household record's (``engine.household.record``), read from its schema
through ``engine.batch.record_layout``: each column is checked by the kind of its field (text,
true/false, whole number, amount, date) and the field's rules (required, allowed values,
not empty, a pattern, not blank, a range), each list by its length limits, and the
rules that relate fields of one record (``engine.batch.cross_checks``) over whole columns. A
household any of whose rows breaks a rule is *bad*; the batch asks the record validator
for its messages (``dibao evaluate`` words them the same way) and evaluates only the
others. A test keeps the two validators to the same verdicts.

Values are read as the table reader has always read them: text true/false in any case
is a boolean, digits are a whole number, an amount may be text, a decimal or an integer
(a binary float is read from its shortest text), a date may be a date or ``YYYY-MM-DD``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from engine.batch.arrow_numpy import column_array, flags, ints, is_text, nulls, raw_ints, writable
from engine.batch.caseload import Caseload, Converted, household_rows, vocabularies
from engine.batch.columnar import BATCH_COLUMNS, Coded, Deferred, Vocab, make_dates
from engine.batch.cross_checks import CROSS_CHECKS
from engine.batch.record_layout import DATE_RANGE, LEVELS, Column, Level
from engine.batch.text_bytes import empty, plain_amounts, plainly_solid
from engine.household.record import MAX_AMOUNT

I64 = np.int64
MAX_FEN = int(MAX_AMOUNT) * 100
_WHITESPACE = "".join(chr(c) for c in range(0x10000) if chr(c).isspace())  # none lies beyond U+3000
NOT_BLANK = "[^" + "".join(f"\\x{{{ord(c):x}}}" for c in _WHITESPACE) + "]"  # a character str.strip keeps
_EARLIEST, _LATEST = (d.toordinal() - 719163 for d in DATE_RANGE)  # days since 1970


@dataclass
class Checked:
    """Which households break a rule, and every column converted for the batch; which cells break a rule of
    their field alone (``cells``: level → (column, ``"value"`` or ``"required"``, the rows)), and the
    households with a problem no cell describes (``opaque``: a list's length, a rule relating fields, what the
    reader saw)."""

    bad: np.ndarray
    converted: Converted
    cells: dict[str, list[CellFlags]] = field(default_factory=dict)
    opaque: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))


CellFlags = tuple[Column, str, np.ndarray]  # a column, what is wrong ("value", "required"), the rows where it is


@dataclass
class _Values:
    values: Any  # numpy values (or Coded / Deferred), meaningless where null or bad
    null: np.ndarray
    bad: np.ndarray


def check(caseload: Caseload) -> Checked:
    """Column-wise validation of a caseload (see the module's docstring)."""
    households = caseload.size
    parent = {name: np.asarray(table["parent"], dtype=I64) for name, table in caseload.tables.items()
              if name != "household"}
    bad = caseload.suspect.copy()
    opaque = caseload.suspect.copy()
    columns: dict[str, dict[str, Any]] = {}
    cells: dict[str, list[CellFlags]] = {}
    sizes = {}
    for name, level in LEVELS.items():
        table = caseload.tables[name]
        rows = households if name == "household" else table.num_rows
        sizes[name] = rows
        values, row_bad, cells[name] = _level(level, table, rows)
        columns[name] = values
        owners = household_rows(parent, name, households)
        if name != "household":
            too_many = _list_lengths(level, parent[name], sizes[level.parent or "household"])
            _mark(opaque, owners, too_many)
            row_bad |= too_many
        _mark(bad, owners, row_bad)
    converted = Converted(columns, parent, sizes)
    for rule, cross in CROSS_CHECKS.items():
        broken = cross(caseload, converted)
        owners = household_rows(parent, rule.split(".")[0], households)
        _mark(bad, owners, broken)
        _mark(opaque, owners, broken)
    return Checked(bad, converted, cells, opaque)


def _mark(bad: np.ndarray, owners: np.ndarray, row_bad: np.ndarray) -> None:
    if row_bad.any():
        bad[owners[row_bad]] = True


def _level(level: Level, table: pa.Table, rows: int) -> tuple[dict[str, Any], np.ndarray, list[CellFlags]]:
    found: dict[str, _Values] = {}
    row_bad = np.zeros(rows, dtype=bool)
    cells: list[CellFlags] = []
    for column in level.columns:
        data = column_array(table, column.name, rows, words=column.allowed is not None or _member_id(column))
        found[column.name] = read = READERS[column.kind](data, column)
        _flag(cells, row_bad, column, "value", read.bad)
        if column.required and column.group is None:
            _flag(cells, row_bad, column, "required", read.null)
    present = {group: ~np.logical_and.reduce([found[c.name].null for c in level.group_columns(group)])
               for group in level.groups}
    for column in level.columns:
        if column.required and column.group is not None:
            _flag(cells, row_bad, column, "required", present[column.group] & found[column.name].null)
    out: dict[str, Any] = {}
    for column in level.columns:
        read = found[column.name]
        absent = read.null if column.group is None else read.null | ~present[column.group]
        out[column.name] = _encoded(level, column, read, absent)
        if f"{column.name}_missing" in BATCH_COLUMNS[level.name]:
            out[f"{column.name}_missing"] = absent
    return out, row_bad, cells


def _flag(cells: list[CellFlags], row_bad: np.ndarray, column: Column, what: str, rows: np.ndarray) -> None:
    if rows.any():
        row_bad |= rows
        cells.append((column, what, rows))


def _encoded(level: Level, column: Column, read: _Values, absent: np.ndarray) -> Any:
    """The batch's encoding of a column: codes for enumerations ("none" when absent), "" for absent text."""
    vocab = vocabularies().get((level.name, column.name))
    if vocab is not None:
        values = read.values
        if column.allowed is None:  # text judged by a rule relating fields: coded here (unknown words are bad)
            if isinstance(values, pa.Array) and pa.types.is_string(values.type):
                found = pc.index_in(values, value_set=pa.array(vocab.values, pa.string()))
                values = ints(found, vocab.index["none"], np.int16)
            else:
                values = np.full(len(absent), vocab.index["none"], dtype=np.int16)
        if absent.any():
            return Coded(np.where(absent, vocab.index.get("none", 0), values).astype(np.int16), vocab)
        return Coded(writable(values, np.int16), vocab)
    if column.kind == "string":
        values, missing = read.values, absent
        if _member_id(column):  # few distinct ids ("p1", "p2", …): codes
            return _member_ids(values)
        return Deferred(lambda: np.where(missing, "", values.to_numpy(zero_copy_only=False)).astype(object))
    if not absent.any():
        return writable(read.values, bool if column.kind == "boolean" else I64)
    if column.kind == "boolean":
        return read.values & ~absent
    return np.where(absent, 0, read.values).astype(I64, copy=False)


def _member_id(column: Column) -> bool:
    return column.level == "member" and column.name == "id"


def _member_ids(values: pa.Array) -> Coded:
    encoded = values if pa.types.is_dictionary(values.type) else pc.dictionary_encode(values.cast(pa.string()))
    words = tuple(encoded.dictionary.to_pylist())
    return Coded(ints(encoded.indices, 0, np.int16 if len(words) < 32000 else I64),
                 Vocab(words))


# --- one column, by the kind of its field ------------------------------------------------------------


def _matches(data: pa.Array, pattern: str) -> np.ndarray:
    return flags(pc.match_substring_regex(data, pattern))


def _other_kind(data: pa.Array) -> _Values:
    null = nulls(data)
    return _Values(np.zeros(len(data), dtype=I64), null, ~null)


def _text(data: pa.Array, column: Column) -> _Values:
    if pa.types.is_dictionary(data.type):  # each distinct word checked once
        words = _text(data.dictionary, column)
        null = nulls(data)
        if not len(words.bad):
            return _Values(data if column.allowed is None else np.zeros(len(data), dtype=np.int16), null,
                           np.zeros(len(data), dtype=bool))
        index = raw_ints(data.indices)  # a null's index is undefined: read within range, and masked
        values = data if column.allowed is None else np.take(np.asarray(words.values), index, mode="clip")
        return _Values(values, null, ~null & np.take(words.bad, index, mode="clip") if words.bad.any()
                       else np.zeros(len(data), dtype=bool))
    if not is_text(data):
        read = _other_kind(data)
        if pa.types.is_null(data.type):
            read.values = data.cast(pa.string())
        return read
    null = nulls(data)
    bad = np.zeros(len(data), dtype=bool)
    rules = column.rules
    if rules.get("empty") is False and rules.get("check_with") != "name":  # an empty text is blank too
        bad |= ~null & empty(data)
    if "regex" in rules:  # as cerberus matches: from the start, up to the end or a final newline
        bad |= ~null & ~_each_distinct(data, lambda words: _matches(words, f"^(?:{rules['regex']})\n?$"))
    if rules.get("check_with") == "name":
        bad |= ~null & ~_not_blank(data)
    if column.allowed is not None:  # codes into the allowed values (the vocabulary's first words)
        codes = pc.index_in(data, value_set=pa.array(column.allowed, pa.string()))
        bad |= ~null & np.asarray(codes.is_null(), dtype=bool)
        return _Values(ints(codes, 0, np.int16), null, bad)
    return _Values(data, null, bad)


def _each_distinct(data: pa.Array, test: Callable[[pa.Array], np.ndarray]) -> np.ndarray:
    """``test`` of each value, run once per distinct value when there are far fewer of them than values."""
    if len(data) < 1000:
        return test(data)
    encoded = pc.dictionary_encode(data)
    if not len(encoded.dictionary):
        return np.zeros(len(data), dtype=bool)
    if len(encoded.dictionary) > len(data) // 4:
        return test(data)
    return np.asarray(test(encoded.dictionary)[ints(encoded.indices, 0, None)], dtype=bool)


def _not_blank(data: pa.Array) -> np.ndarray:
    """Texts with a character that ``str.strip`` keeps: a first byte of printable ASCII, or the regex."""
    solid = plainly_solid(data)
    if solid.all():
        return solid
    rest = np.flatnonzero(~solid)
    solid[rest] = _matches(data.take(pa.array(rest)), NOT_BLANK)
    return solid


def _boolean(data: pa.Array, column: Column) -> _Values:
    null = nulls(data)
    if pa.types.is_boolean(data.type):
        return _Values(flags(data), null, np.zeros(len(data), dtype=bool))
    if is_text(data):  # tables: true or false in any case
        lower = pc.utf8_lower(data)
        yes = flags(pc.equal(lower, "true"))
        no = flags(pc.equal(lower, "false"))
        return _Values(yes, null, ~null & ~(yes | no))
    return _other_kind(data)


def _whole(data: pa.Array, column: Column) -> _Values:
    if pa.types.is_decimal(data.type):
        data = data.cast(pa.string())
    if is_text(data):  # tables: digits (a whole number written 2.0, as Excel writes one, too)
        null = nulls(data)
        digits = _matches(data, r"^[0-9]{1,18}(?:\.0*)?$")  # longer ones are beyond any range a field has
        safe = pc.if_else(pa.array(digits), pc.replace_substring_regex(data, r"\.0*$", ""), pa.scalar("0"))
        read = _Values(np.asarray(pc.cast(safe, pa.int64()), dtype=I64), null, ~null & ~digits)
    elif pa.types.is_integer(data.type):
        null = nulls(data)
        read = _Values(raw_ints(data.cast(pa.int64(), safe=False)), null,  # whatever where null: masked
                       np.zeros(len(data), dtype=bool))
        if pa.types.is_uint64(data.type):
            read.bad = ~null & flags(pc.greater(data, 2**62))
    else:
        return _other_kind(data)
    low, high = column.rules.get("min"), column.rules.get("max")
    if low is not None:
        read.bad = read.bad | (~read.null & (read.values < low))
    if high is not None:
        read.bad = read.bad | (~read.null & (read.values > high))
    return read


PLAIN_AMOUNT = r"^[0-9]{1,13}(?:\.[0-9]{1,2})?$"  # at most 13 digits, 2 decimals: read by text_bytes.plain_amounts
_AMOUNT = r"^(?P<sign>-?)0*(?P<whole>[0-9]*)(?:\.(?P<frac>[0-9]+))?$"  # leading zeros dropped


def _money(data: pa.Array, column: Column) -> _Values:
    """Amounts in fen: text as the record validator reads it, decimals, integers, binary floats."""
    if pa.types.is_integer(data.type):
        null = nulls(data)
        values = ints(data.cast(pa.int64(), safe=False), 0)
        wide = pa.types.is_uint64(data.type) and bool(pc.any(pc.greater(data, 2**62)).as_py() or False)
        bad = ~null & ((values < 0) | (values > int(MAX_AMOUNT)) | wide)
        return _Values(np.where(bad, 0, values) * 100, null, bad)
    if pa.types.is_floating(data.type):
        data = pa.array([None if v is None else repr(v) for v in data.to_pylist()], pa.string())
    elif pa.types.is_decimal(data.type) and data.type.scale >= 0:
        data = data.cast(pa.string())
    if not is_text(data):
        return _other_kind(data)
    null = nulls(data)
    if data.null_count == len(data):
        return _Values(np.zeros(len(data), dtype=I64), null, np.zeros(len(data), dtype=bool))
    plain, fen = plain_amounts(data, null)  # the usual amounts (PLAIN_AMOUNT) from their bytes
    bad = fen > MAX_FEN
    other = ~plain & ~null
    if other.any():  # the few others by their text
        rows = np.flatnonzero(other)
        texts = _amount_texts(data_other := data.filter(pa.array(other)), np.zeros(len(data_other), dtype=bool))
        fen[rows], bad[rows] = texts.values, texts.bad
    return _Values(np.where(bad, 0, fen), null, bad)


def _amount_texts(data: pa.Array, null: np.ndarray) -> _Values:
    """Amounts in any text the record validator reads: leading zeros, a minus on zero, too many digits."""
    form = _matches(data, r"^-?[0-9]+(?:\.[0-9]+)?$")
    parts = pc.extract_regex(pc.if_else(pa.array(form), data, pa.scalar("0")), _AMOUNT)
    whole, fraction = pc.struct_field(parts, "whole"), pc.struct_field(parts, "frac")
    fits = np.asarray(pc.less_equal(pc.utf8_length(whole), 13), dtype=bool) & np.asarray(
        pc.less_equal(pc.utf8_length(fraction), 2), dtype=bool)
    whole = pc.if_else(pa.array(fits), whole, pa.scalar("0"))
    fraction = pc.if_else(pa.array(fits), fraction, pa.scalar(""))
    fen = np.asarray(pc.cast(pc.binary_join_element_wise(whole, pc.utf8_rpad(fraction, 2, "0"), ""), pa.int64()),
                     dtype=I64) if len(data) else np.zeros(0, dtype=I64)
    negative = np.asarray(pc.equal(pc.struct_field(parts, "sign"), "-"), dtype=bool) & (fen != 0)
    bad = ~null & (~form | ~fits | negative | (fen > MAX_FEN))
    return _Values(np.where(bad, 0, fen), null, bad)


def _isodate(data: pa.Array, column: Column) -> _Values:
    """Days since 1970 of a real date in the record's range (a date, or text YYYY-MM-DD)."""
    if pa.types.is_date64(data.type):
        data = data.cast(pa.date32())
    null = nulls(data)
    if pa.types.is_date32(data.type):
        days = ints(data.cast(pa.int32()), 0)
        unreal = np.zeros(len(data), dtype=bool)
    elif is_text(data):
        try:  # the usual case: every date real and written YYYY-MM-DD (Arrow's cast is as strict)
            days = raw_ints(pc.cast(data, pa.date32()).cast(pa.int32())).astype(I64)  # masked where null
            bad = ~null & ((days < _EARLIEST) | (days > _LATEST))
            return _Values(np.where(bad, 0, days), null, bad)
        except pa.ArrowInvalid:
            pass
        form = _matches(data, r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
        safe = pc.if_else(pa.array(form), data, pa.scalar("1970-01-01"))
        year, month, day = (np.asarray(pc.cast(pc.utf8_slice_codeunits(safe, a, b), pa.int64()), dtype=I64)
                            for a, b in ((0, 4), (5, 7), (8, 10)))
        days, unreal = make_dates(year, month, day)
        unreal = unreal | ~form
    else:
        return _other_kind(data)
    bad = ~null & (unreal | (days < _EARLIEST) | (days > _LATEST))
    return _Values(np.where(bad, 0, days), null, bad)


READERS: dict[str, Callable[[pa.Array, Column], _Values]] = {
    "string": _text, "boolean": _boolean, "whole": _whole, "money": _money, "isodate": _isodate,
}


# --- lists and the rules that relate fields -------------------------------------------------------


def _list_lengths(level: Level, parent: np.ndarray, parents: int) -> np.ndarray:
    """Rows whose parent has more items than the list allows (or fewer: a household without members)."""
    counts = np.bincount(parent, minlength=parents)
    wrong = counts > level.rules.get("maxlength", len(parent) + 1)
    if not wrong.any():
        return np.zeros(len(parent), dtype=bool)
    return np.asarray(wrong[parent], dtype=bool)
