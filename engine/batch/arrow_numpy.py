"""Arrow arrays as numpy arrays for the column checks, without a pass where it would change nothing: no
fill where there are no nulls, bitmaps unpacked as they lie (at any offset), integers read in place where
their nulls are masked anyway, and a copy only where a view of an Arrow buffer would be handed on."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

I64 = np.int64


def bitmap(data: pa.Array, buffer: int) -> np.ndarray:
    """One of an array's bitmaps (0: valid, 1: a boolean's values) as numpy booleans."""
    first, skip = divmod(data.offset, 8)
    raw = np.frombuffer(data.buffers()[buffer], dtype=np.uint8)[first:first + (skip + len(data) + 7) // 8]
    return np.unpackbits(raw, bitorder="little")[skip:skip + len(data)].view(bool)


def flags(data: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A boolean array as numpy booleans, null read as false."""
    if isinstance(data, pa.ChunkedArray):
        data = data.combine_chunks()
    if data.null_count == len(data):
        return np.zeros(len(data), dtype=bool)
    if data.null_count == 0:
        return bitmap(data, 1)
    return np.asarray(bitmap(data, 1) & bitmap(data, 0), dtype=bool)


def ints(data: pa.Array, fill: int, dtype: Any = I64) -> np.ndarray:
    """An integer array as numpy integers (of ``dtype``, or without a copy when None), null read as ``fill``."""
    if data.null_count:
        data = pc.fill_null(data, fill)
    return data.to_numpy() if dtype is None else np.array(data, dtype=dtype)


def raw_ints(data: pa.Array) -> np.ndarray:
    """An integer array's values as numpy integers without a copy, whatever they hold where null."""
    if not len(data):
        return np.zeros(0, dtype=data.type.to_pandas_dtype())
    return np.frombuffer(data.buffers()[1], dtype=data.type.to_pandas_dtype())[data.offset:data.offset + len(data)]


def nulls(data: pa.Array) -> np.ndarray:
    """Where an array is null, as numpy booleans."""
    if data.null_count == 0:
        return np.zeros(len(data), dtype=bool)
    if data.null_count == len(data) or data.buffers()[0] is None:  # all null, or a type without a bitmap
        return np.asarray(data.is_null(), dtype=bool)
    return ~bitmap(data, 0)


def writable(values: Any, dtype: Any) -> np.ndarray:
    """``values`` as numpy values of ``dtype`` that the batch may change (not a view of an Arrow buffer)."""
    out = np.asarray(values).astype(dtype, copy=False)
    return out if out.flags.writeable else out.copy()


def column_array(table: pa.Table, name: str, rows: int, words: bool = False) -> pa.Array:
    """A column as one array; dictionary chunks stay dictionaries (unified) only when ``words`` is asked for."""
    if name not in table.column_names:
        return pa.nulls(rows, pa.null())
    column = table[name]
    if pa.types.is_dictionary(column.type):
        if words and pa.types.is_string(column.type.value_type):
            return column.unify_dictionaries().combine_chunks() if column.num_chunks > 1 else column.chunk(0) \
                if column.num_chunks else pa.array([], pa.string())
        column = column.cast(column.type.value_type)
    return column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column


def is_text(data: pa.Array) -> bool:
    return bool(pa.types.is_string(data.type) or pa.types.is_large_string(data.type))


def is_words(data: pa.Array) -> bool:
    return bool(pa.types.is_dictionary(data.type) and is_text(data.dictionary))


def distinct_words(data: pa.Array) -> tuple[np.ndarray, list[str | None]]:
    """Each value's number among the distinct values, and those (the last is null, for the nulls)."""
    encoded = data if pa.types.is_dictionary(data.type) else pc.dictionary_encode(data)
    words = encoded.dictionary.to_pylist()
    return ints(encoded.indices, len(words)), [*words, None]
