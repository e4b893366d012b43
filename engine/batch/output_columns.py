"""A chunk's outputs as plain columns, and those columns as typed Arrow arrays.

Each output of a region is held in one canonical form while a chunk is answered, whichever
path computed it (the columnar program for the whole chunk, or the interpreter for the
households the program marks as not computed): money in integer fen, dates in days since
1970, true/false as booleans, whole numbers as 64-bit integers, words (enumerations, text,
rates and numbers written as exact decimal text) as codes into a list of words, lists as
``ListColumn``. A value no column can hold exactly is never wrapped: ``store`` refuses it.
``arrow_column`` turns a column into the output's Arrow type (money as ``decimal128(20, 2)``
from the fen, dates as ``date32``, words as text).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from engine.base import exact
from engine.batch.columnar import EPOCH, Col, ListTable, outside_calendar, to_fen
from engine.language import types as t
from engine.runtime.outputs import render, round_money

I64 = np.int64
INT64_MAX = np.iinfo(I64).max


class Unheld(Exception):
    """A value the output's column cannot hold exactly."""


def store(column: Any, row: int, value: Any, type_: t.Type, name: str = "") -> None:
    """One interpreter value into one row of a canonical column."""
    canonical_value = scalar_canonical(value, type_)
    if isinstance(canonical_value, int) and not isinstance(canonical_value, bool) and abs(canonical_value) > INT64_MAX:
        raise Unheld(f"{name}: {render(value, type_)} is beyond what the output's column holds exactly "
                     f"(64-bit integers; money to {fen_limit()} yuan)")
    if isinstance(column, ListColumn):
        column.patches[row] = canonical_value
    else:
        column[row] = canonical_value


def fen_limit() -> str:
    return f"{INT64_MAX // 100:,}"


class ListColumn:
    """A list output: the columnar lists, and the rows the interpreter answered."""

    def __init__(self, ids: np.ndarray, table: ListTable) -> None:
        self.ids = ids
        self.table = table
        self.patches: dict[int, tuple[Any, ...]] = {}

    def __len__(self) -> int:
        return len(self.ids)

    def arrow(self) -> pa.Array:
        starts, ends = self.table.offsets[self.ids], self.table.offsets[self.ids + 1]
        if self.patches:
            lists = [self.patches.get(i, tuple(self.table.values[a:b]))
                     for i, (a, b) in enumerate(zip(starts, ends, strict=True))]
            return pa.array([list(v) for v in lists], pa.list_(pa.string()))
        lengths = ends - starts
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(I64)
        picks = np.repeat(starts - offsets[:-1], lengths) + np.arange(offsets[-1], dtype=I64)
        return pa.ListArray.from_arrays(pa.array(offsets.astype(np.int32)),
                                        pa.array(self.table.values[picks], pa.string()))


class WordColumn:
    """A text output (an enumeration's word, text, an exact decimal's text) as codes into its distinct words:
    a word is written out once per chunk, not once per row. ``None`` among the words is a missing value."""

    def __init__(self, codes: np.ndarray, words: list[str | None]) -> None:
        self.codes = codes
        self.words = words
        self._index: dict[str | None, int] | None = None

    @classmethod
    def of(cls, word: str | None, length: int) -> WordColumn:
        return cls(np.zeros(length, dtype=np.int32), [word])

    @classmethod
    def from_texts(cls, texts: Any) -> WordColumn:
        encoded = pc.dictionary_encode(pa.array(texts, pa.string(), from_pandas=True))
        words = encoded.dictionary.to_pylist()
        codes = np.asarray(encoded.indices.fill_null(len(words)), dtype=np.int32)
        return cls(codes, [*words, None])

    def __len__(self) -> int:
        return len(self.codes)

    def __setitem__(self, rows: Any, word: str | None) -> None:
        if self._index is None:
            self._index = {w: i for i, w in enumerate(self.words)}
        code = self._index.get(word)
        if code is None:
            code = self._index[word] = len(self.words)
            self.words.append(word)
        self.codes[rows] = code

    def arrow(self) -> pa.Array:
        return pa.array(self.words, pa.string()).take(pa.array(self.codes))


def _words(type_: t.Type) -> bool:
    return isinstance(type_, t.Enum) or type_ in (t.TEXT, t.RATE, t.NUMBER)


def empty_column(type_: t.Type, length: int) -> Any:
    if isinstance(type_, t.ListOf):
        return ListColumn(np.zeros(length, dtype=I64), ListTable(np.zeros(2, dtype=I64), np.empty(0, dtype=object)))
    if _words(type_):
        return WordColumn.of(None, length)
    if type_ == t.BOOL:
        return np.zeros(length, dtype=bool)
    return np.zeros(length, dtype=I64)


def constant_column(value: Any, type_: t.Type, length: int) -> tuple[Any, np.ndarray]:
    column = empty_column(type_, length)
    try:
        for row in range(length) if isinstance(column, ListColumn) else ():
            store(column, row, value, type_)
        if not isinstance(column, ListColumn):
            column[:] = scalar_canonical(value, type_)
    except (OverflowError, Unheld):
        return column, np.ones(length, dtype=bool)
    return column, np.zeros(length, dtype=bool)


def _full(data: Any, length: int, dtype: Any) -> np.ndarray:
    return np.broadcast_to(np.asarray(data, dtype=dtype), (length,)).copy()


def canonical(col: Col, type_: t.Type, length: int) -> tuple[Any, np.ndarray]:
    """A computed column in canonical form (see the module's docstring), and its rows marked bad."""
    bad = np.broadcast_to(np.asarray(col.bad, dtype=bool), (length,)).copy()
    if col.kind == "bad":
        return empty_column(type_, length), np.ones(length, dtype=bool)
    if isinstance(type_, t.Money):
        fen, rounding_bad = to_fen(col)
        return _full(fen, length, I64), bad | rounding_bad
    if type_ in (t.RATE, t.NUMBER):
        return _decimal_words(col, length, bad), bad
    if type_ == t.BOOL:
        return _full(col.data, length, bool), bad
    if type_ == t.DATE:
        days = _full(col.data, length, I64)
        return days, bad | outside_calendar(days)
    if type_ == t.INT:
        return _full(col.data, length, I64), bad
    if col.kind == "list":
        return ListColumn(_full(col.data, length, I64), col.den), bad
    if col.kind == "cat":
        return WordColumn(_full(col.data, length, np.int32), list(col.den.values)), bad
    return WordColumn.from_texts(np.broadcast_to(np.asarray(col.data, dtype=object), (length,))), bad


def _decimal_words(col: Col, length: int, bad: np.ndarray) -> WordColumn:
    """Exact decimal text per row, written once per distinct value; a bad row (overflowed, its value to be
    recomputed) gives 0."""
    numerators = np.broadcast_to(np.asarray(col.data, dtype=I64), (length,))
    denominators = np.broadcast_to(np.asarray(col.den, dtype=I64), (length,))
    if bad.any():
        numerators, denominators = np.where(bad, 0, numerators), np.where(bad, 1, denominators)
    column = WordColumn.of(None, length)
    if not length:
        return column
    one = (denominators == denominators[0]).all()
    groups = [(int(denominators[0]), slice(None))] if one \
        else [(int(den), np.flatnonzero(denominators == den)) for den in np.unique(denominators)]
    column.words.clear()
    for den, rows in groups:
        distinct = pc.dictionary_encode(pa.array(numerators[rows], pa.int64()))
        codes = np.asarray(distinct.indices, dtype=np.int32) + len(column.words)
        column.words.extend(decimal_text(Fraction(n, den)) for n in distinct.dictionary.to_pylist())
        column.codes[rows] = codes
    return column


def decimal_text(value: exact.Number) -> str:
    return str(render(value, t.RATE))


def scalar_canonical(value: Any, type_: t.Type) -> Any:
    """One interpreter value in the canonical form of ``canonical``."""
    if isinstance(type_, t.Money):
        return int(round_money(value) * 100)
    if type_ in (t.RATE, t.NUMBER):
        return decimal_text(value)
    if type_ == t.DATE:
        return value.toordinal() - EPOCH
    if type_ == t.BOOL:
        return bool(value)
    if type_ == t.INT:
        return int(value)
    if isinstance(value, (list, tuple, frozenset)):
        return tuple(value)
    return value


def money_column(fen: np.ndarray) -> pa.Array:
    """Fen as ``decimal128(20, 2)`` yuan: a decimal of scale 2 holds exactly the fen, as a 128-bit integer."""
    words = np.empty((len(fen), 2), dtype=I64)
    words[:, 0] = fen  # the low 64 bits, then the sign extended into the high ones
    words[:, 1] = fen >> 63
    return pa.Array.from_buffers(pa.decimal128(20, 2), len(fen), [None, pa.py_buffer(words)])


def arrow_column(values: Any, type_: t.Type, missing: np.ndarray | None = None) -> pa.Array:
    """Canonical values as a typed Arrow column (money in fen → decimal(20, 2); days → date32); rows marked
    ``missing`` (an output not available for the household) are null."""
    column = _arrow_values(values, type_)
    if missing is None or not missing.any():
        return column
    return pc.if_else(pa.array(missing, pa.bool_()), pa.nulls(len(column), column.type), column)


def _arrow_values(values: Any, type_: t.Type) -> pa.Array:
    if isinstance(values, (ListColumn, WordColumn)):
        return values.arrow()
    if isinstance(type_, t.Money):
        return money_column(np.asarray(values, dtype=I64))
    if type_ == t.DATE:  # days since 1970 are what date32 holds
        return pa.array(np.asarray(values, dtype=np.int32), pa.int32()).cast(pa.date32())
    if type_ == t.BOOL:
        return pa.array(np.asarray(values, dtype=bool), pa.bool_())
    if type_ == t.INT:
        return pa.array(np.asarray(values, dtype=I64), pa.int64())
    return pa.array(values, pa.string(), from_pandas=True)
