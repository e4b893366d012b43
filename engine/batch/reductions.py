"""Reductions: child rows aggregated into their parent rows (sum, count, any, all, min, max, first,
last, collect), exactly.

Children are stored grouped by parent (``engine.batch.column_batch``), so each parent's
children are one run of rows and every reduction is a NumPy ``reduceat`` over the runs'
starts; a run that is empty gets the reduction's empty value (and the ``else`` of the
aggregation, chosen by the compiler). Sums of money are taken over one common
denominator and guarded against int64 overflow; a row the sum cannot hold exactly is bad.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from engine.batch.column_batch import Batch, Segments
from engine.language import types as t
from engine.language.columns import (
    I64,
    Col,
    ListTable,
    NotColumnar,
    as_rat,
    choose,
    decoded,
    guard,
    largest,
    mul,
    normalise,
)


def empty_rows(batch: Batch, child: str, chosen: Col | None) -> Col:
    """Parent rows whose children (those ``chosen`` keeps) are none: where ``else`` is chosen."""
    segments = batch.segments(child)
    if chosen is None:
        return Col("bool", ~segments.nonempty, 1, False)
    size = batch.sizes[child]
    bad = _segment_any(np.broadcast_to(np.asarray(chosen.bad, dtype=bool), (size,)), segments)
    return Col("bool", segment_count(np.asarray(chosen.data, dtype=bool), segments) == 0, 1, bad)


def reduce(kind: str, batch: Batch, child: str, values: Col, chosen: Col | None, result_type: t.Type) -> Col:
    """Aggregate child rows into their parent rows."""
    size = batch.sizes[child]
    segments = batch.segments(child)
    mask = _kept(chosen)
    row_bad: Any = np.asarray(False)
    if chosen is not None and np.any(chosen.bad):
        row_bad = row_bad | np.broadcast_to(np.asarray(chosen.bad), (size,))
    if kind != "count" and np.any(values.bad):  # the body is read only where the filter holds
        read = np.broadcast_to(np.asarray(values.bad), (size,))
        row_bad = row_bad | (read if mask is None else read & mask)
    bad = _segment_any(np.broadcast_to(row_bad, (size,)), segments)
    if kind in ("count", "any", "all"):
        selected: Any = True if mask is None else mask
        if kind != "count":
            flags = np.asarray(values.data, dtype=bool)
            selected = selected & (flags if kind == "any" else ~flags)
        hits = segment_count(selected, segments)
        if kind == "count":
            return Col("int", hits, 1, bad)
        return Col("bool", hits > 0 if kind == "any" else hits == 0, 1, bad)
    if kind == "sum":
        return _sum(values, mask, size, segments, bad)
    if kind == "collect":
        kept = np.ones(size, dtype=bool) if mask is None else np.broadcast_to(mask, (size,))
        counts = segment_count(kept, segments)
        rows = np.flatnonzero(kept)
        if values.kind == "cat":  # only the kept rows' codes become text
            items = values.den.array[np.broadcast_to(np.asarray(values.data), (size,))[rows]]
        else:
            items = np.broadcast_to(np.asarray(decoded(values).data, dtype=object), (size,))[rows]
        table = ListTable(np.concatenate([[0], np.cumsum(counts)]).astype(I64), items)
        return Col("list", np.arange(len(segments.starts), dtype=I64), table, bad)
    return _pick(kind, values, mask, segments, batch.parent[child], bad)


def _kept(chosen: Col | None) -> Any:
    """The rows a filter keeps: None for every row (no filter, or one that holds everywhere), else a bool
    array (or a 0-d False)."""
    if chosen is None:
        return None
    mask = np.asarray(chosen.data, dtype=bool)
    return None if mask.ndim == 0 and bool(mask) else mask


def segment_count(flags: Any, segments: Segments) -> np.ndarray:
    """How many rows of each run hold (``flags``: a bool array, or one value for every row)."""
    if np.ndim(flags) == 0:
        return segments.counts.copy() if bool(flags) else np.zeros(len(segments.starts), dtype=I64)
    return segment_sum(flags.view(np.int8) if flags.dtype == bool else flags, segments.starts, segments.ends,
                       segments)


def _sum(values: Col, mask: Any, size: int, segments: Segments, bad: Any) -> Col:
    """Sums of int or rational child values, exact: a sum that could leave int64 makes every row bad."""
    col = values if values.kind == "int" else as_rat(values)
    common = _common_denominator(col.den)
    if common is None:
        return Col("rat", np.zeros(len(segments.starts), dtype=I64), 1, np.ones(len(segments.starts), dtype=bool))
    if np.ndim(col.data) == 0 and np.ndim(col.den) == 0:  # the same value in every row: value × count
        counts = segment_count(True if mask is None else mask, segments)
        value = int(col.data)
        overflow = guard((abs(value) if counts.any() else 0, size))
        total = mul(np.asarray(value, dtype=I64), counts)
    else:
        if np.ndim(col.den) == 0:
            scaled = np.broadcast_to(col.data, (size,))
        else:
            scaled = mul(np.broadcast_to(col.data, (size,)), common // col.den)
        if mask is not None:
            scaled = choose(mask, scaled, 0)
        overflow = guard((largest(scaled), size))
        total = segment_sum(scaled, segments.starts, segments.ends, segments)
    if values.kind == "int":
        return Col("int", total, 1, bad | overflow)
    return normalise(total, common, bad | overflow)


def _pick(kind: str, values: Col, mask: Any, segments: Segments, parent: np.ndarray, bad: Any) -> Col:
    """first, last, min, max: the row each parent's value is taken from (min and max: the first row holding
    the extreme value), and empty parents marked bad."""
    size = len(parent)
    if kind in ("first", "last"):
        chosen_pos = _edge_rows(mask, segments, parent, kind == "first")
    else:
        if values.kind == "rat":
            common = _common_denominator(values.den)
            if common is None:
                raise NotColumnar("min/max over mixed denominators")
            keys = mul(np.broadcast_to(values.data, (size,)), common // np.broadcast_to(values.den, (size,)))
        elif values.kind in ("int", "date"):
            keys = np.broadcast_to(np.asarray(values.data, dtype=I64), (size,))
        else:
            raise NotColumnar(f"{kind} of {values.kind}")
        extreme = np.iinfo(I64).max if kind == "min" else np.iinfo(I64).min
        marked = keys if mask is None else choose(mask, keys, extreme)
        best = segment_extreme(marked, segments.starts, segments.ends, kind == "min", extreme, segments)
        hit = marked == best[parent]
        chosen_pos = _edge_rows(hit if mask is None else hit & mask, segments, parent, True)
    empty = chosen_pos < 0
    safe = np.clip(chosen_pos, 0, max(size - 1, 0))
    if not size:  # no child rows at all: every parent is empty
        return Col(values.kind, np.zeros(len(segments.starts), dtype=I64), 1 if np.ndim(values.den) else values.den,
                   bad | empty)
    data = np.broadcast_to(values.data, (size,))[safe]
    den = np.broadcast_to(values.den, (size,))[safe] if np.ndim(values.den) else values.den
    return Col(values.kind, data, den, bad | empty)


def _edge_rows(mask: Any, segments: Segments, parent: np.ndarray, first: bool) -> np.ndarray:
    """Each parent's first (or last) child row that ``mask`` keeps (None: every row), or -1 where none is.
    Children are grouped by parent in parent order, so the kept rows of one parent are consecutive among all
    kept rows: a parent's first is where the parent changes from the row before, its last where it changes to
    the row after."""
    if mask is None:
        return np.where(segments.nonempty, segments.starts if first else segments.ends - 1, -1)
    out = np.full(len(segments.starts), -1, dtype=I64)
    rows = np.flatnonzero(np.broadcast_to(mask, (len(parent),)))
    if len(rows):
        owners = parent[rows]
        edge = np.empty(len(rows), dtype=bool)
        if first:
            edge[0] = True
            np.not_equal(owners[1:], owners[:-1], out=edge[1:])
        else:
            edge[-1] = True
            np.not_equal(owners[1:], owners[:-1], out=edge[:-1])
        out[owners[edge]] = rows[edge]
    return out


def segment_sum(values: np.ndarray, starts: np.ndarray, ends: np.ndarray,
                 segments: Segments | None = None) -> np.ndarray:
    """Each run's sum in int64: differences of the running sum at the runs' ends and starts. int64 addition
    wraps modulo 2**64 and a difference undoes the wrap, so a run's sum is exact whenever it fits in int64
    itself (the callers guard that), whatever the running sum passes through."""
    segments = segments or Segments(starts, ends)
    running = np.empty(len(values) + 1, dtype=I64)
    running[0] = 0
    sums: np.ndarray
    with np.errstate(over="ignore"):
        np.cumsum(values, dtype=I64, out=running[1:])
        if not segments.tiled:
            sums = running[segments.ends] - running[segments.starts]
            return sums
        # Each run starts where the one before it ends: one read of the running sum per run.
        at = running[segments.ends]
        sums = np.empty_like(at)
        if len(at):
            sums[0] = at[0] - running[segments.starts[0]]
            np.subtract(at[1:], at[:-1], out=sums[1:])
    return sums


def _segment_any(flags: np.ndarray, segments: Segments) -> Any:
    if not flags.any():
        return np.asarray(False)
    return segment_count(np.ascontiguousarray(flags, dtype=bool), segments) > 0


def segment_extreme(values: np.ndarray, starts: np.ndarray, ends: np.ndarray, smallest: bool,
                     empty: int, segments: Segments | None = None) -> np.ndarray:
    segments = segments or Segments(starts, ends)
    out = np.full(len(starts), empty, dtype=I64)
    if len(values) and segments.nonempty.any():
        # Between one non-empty segment's start and the next there are only its own rows.
        ufunc = np.minimum if smallest else np.maximum
        out[segments.filled] = ufunc.reduceat(values, segments.firsts)
    return out


def _common_denominator(den: Any) -> int | None:
    if np.ndim(den) == 0:
        return int(den)
    distinct = np.unique(den)
    common = int(np.lcm.reduce(distinct)) if len(distinct) else 1
    return common if 0 < common < 10**9 else None
