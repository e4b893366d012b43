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
from engine.language.columns import I64, Col, ListTable, NotColumnar, as_rat, decoded, guard, largest, mul, normalise


def empty_rows(batch: Batch, child: str, chosen: Col | None) -> Col:
    """Parent rows whose children (those ``chosen`` keeps) are none: where ``else`` is chosen."""
    segments = batch.segments(child)
    if chosen is None:
        return Col("bool", ~segments.nonempty, 1, False)
    size = batch.sizes[child]
    mask = np.broadcast_to(np.asarray(chosen.data, dtype=bool), (size,)).astype(I64)
    bad = _segment_any(np.broadcast_to(np.asarray(chosen.bad, dtype=bool), (size,)), segments)
    return Col("bool", segment_sum(mask, segments.starts, segments.ends, segments) == 0, 1, bad)


def reduce(kind: str, batch: Batch, child: str, values: Col, chosen: Col | None, result_type: t.Type) -> Col:
    """Aggregate child rows into their parent rows."""
    size = batch.sizes[child]
    segments = batch.segments(child)
    starts, ends = segments
    parent = batch.parent[child]
    mask = np.ones(size, dtype=bool) if chosen is None else np.broadcast_to(
        np.asarray(chosen.data, dtype=bool), (size,))
    row_bad: Any = np.asarray(False)
    if chosen is not None and np.any(chosen.bad):
        row_bad = row_bad | np.broadcast_to(np.asarray(chosen.bad), (size,))
    if kind != "count" and np.any(values.bad):  # the body is read only where the filter holds
        row_bad = row_bad | (np.broadcast_to(np.asarray(values.bad), (size,)) & mask)
    bad = _segment_any(np.broadcast_to(row_bad, (size,)), segments)
    if kind in ("count", "any", "all"):
        flags = np.broadcast_to(np.asarray(values.data, dtype=bool), (size,)) if kind != "count" else mask
        selected = mask & flags if kind != "all" else mask & ~flags
        hits = segment_sum(selected.astype(I64), starts, ends, segments)
        if kind == "count":
            return Col("int", hits, 1, bad)
        return Col("bool", hits > 0 if kind == "any" else hits == 0, 1, bad)
    if kind == "sum":
        if values.kind == "int":
            data = np.asarray(np.where(mask, np.broadcast_to(values.data, (size,)), 0), dtype=I64)
            overflow = guard((largest(data), size))
            return Col("int", segment_sum(data, starts, ends, segments), 1, bad | overflow)
        col = as_rat(values)
        common = _common_denominator(col.den)
        if common is None:
            return Col("rat", np.zeros(len(starts), dtype=I64), 1, np.ones(len(starts), dtype=bool))
        if np.ndim(col.den) == 0:
            scaled = np.broadcast_to(col.data, (size,))
        else:
            scaled = mul(np.broadcast_to(col.data, (size,)), common // col.den)
        if chosen is not None:
            scaled = np.where(mask, scaled, 0)
        overflow = guard((largest(scaled), size))
        return normalise(segment_sum(scaled, starts, ends, segments), common, bad | overflow)
    if kind == "collect":
        data = np.broadcast_to(np.asarray(decoded(values).data, dtype=object), (size,))
        counts = segment_sum(mask.astype(I64), starts, ends, segments)
        table = ListTable(np.concatenate([[0], np.cumsum(counts)]).astype(I64), data[np.flatnonzero(mask)])
        return Col("list", np.arange(len(starts), dtype=I64), table, bad)
    return _pick(kind, values, mask, starts, ends, parent, bad)


def _pick(kind: str, values: Col, mask: np.ndarray, starts: np.ndarray, ends: np.ndarray, parent: np.ndarray,
          bad: Any) -> Col:
    size = len(mask)
    positions = np.arange(size, dtype=I64)
    if kind in ("first", "last"):
        marker = np.where(mask, positions, size if kind == "first" else -1)
        chosen_pos = segment_extreme(marker, starts, ends, kind == "first", size if kind == "first" else -1)
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
        marked = np.where(mask, keys, extreme)
        best = segment_extreme(marked, starts, ends, kind == "min", extreme)
        hit = mask & (marked == best[parent])
        marker = np.where(hit, positions, size)
        chosen_pos = segment_extreme(marker, starts, ends, True, size)
    empty = (chosen_pos < 0) | (chosen_pos >= size)
    safe = np.clip(chosen_pos, 0, max(size - 1, 0))
    data = np.broadcast_to(values.data, (size,))[safe] if size else np.zeros(len(starts), dtype=I64)
    den = np.broadcast_to(values.den, (size,))[safe] if np.ndim(values.den) and size else values.den
    return Col(values.kind, data, den, bad | empty)


def segment_sum(values: np.ndarray, starts: np.ndarray, ends: np.ndarray,
                 segments: Segments | None = None) -> np.ndarray:
    segments = segments or Segments(starts, ends)
    if not len(values) or not segments.nonempty.any():
        return np.zeros(len(starts), dtype=I64)
    # Between one non-empty segment's start and the next there are only its own rows.
    sums = np.add.reduceat(np.asarray(values, dtype=I64), segments.firsts)
    if segments.every:
        return sums
    out = np.zeros(len(starts), dtype=I64)
    out[segments.nonempty] = sums
    return out


def _segment_any(flags: np.ndarray, segments: Segments) -> Any:
    if not flags.any():
        return np.asarray(False)
    return segment_sum(np.asarray(flags, dtype=I64), segments.starts, segments.ends, segments) > 0


def segment_extreme(values: np.ndarray, starts: np.ndarray, ends: np.ndarray, smallest: bool,
                     empty: int) -> np.ndarray:
    out = np.full(len(starts), empty, dtype=I64)
    nonempty = ends > starts
    if len(values) and nonempty.any():
        # Between one non-empty segment's start and the next there are only its own rows.
        ufunc = np.minimum if smallest else np.maximum
        out[nonempty] = ufunc.reduceat(values, starts[nonempty])
    return out


def _common_denominator(den: Any) -> int | None:
    if np.ndim(den) == 0:
        return int(den)
    distinct = np.unique(den)
    common = int(np.lcm.reduce(distinct)) if len(distinct) else 1
    return common if 0 < common < 10**9 else None

