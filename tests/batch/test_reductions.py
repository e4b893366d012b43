"""Reductions of child rows into parent rows held to a plain per-parent computation: runs that are empty (first,
last, anywhere), of one row and long, filters that keep some, all or no rows, one value for every row, ties of
min and max, negative values, bad rows, and sums that would leave int64."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
import pytest

from engine.batch.column_batch import Batch
from engine.batch.reductions import empty_rows, reduce
from engine.language import types as t
from engine.language.columns import Col

LAYOUTS = {
    "gaps": [0, 2, 1, 0, 0, 3, 1, 0, 5, 0],
    "every parent": [1, 3, 1, 2, 1, 4],
    "single rows": [1, 1, 0, 1, 1],
    "no children": [0, 0, 0],
    "one long run": [0, 12, 0],
}


def batch_of(counts: list[int]) -> Batch:
    parent = np.repeat(np.arange(len(counts)), counts).astype(np.int64)
    return Batch({"household": len(counts), "member": len(parent)}, {"member": parent}, {})


def runs(counts: list[int]) -> list[range]:
    ends = np.cumsum(counts)
    return [range(int(e - c), int(e)) for c, e in zip(counts, ends, strict=True)]


def column(values: Any, size: int) -> list[Any]:
    return list(np.broadcast_to(np.asarray(values), (size,)))


def expected(kind: str, counts: list[int], values: Col, chosen: Col | None) -> list[Any]:
    """Per parent: the reduction of its kept children (None where there are none to pick from), as exact values."""
    size = sum(counts)
    data, den = column(values.data, size), column(values.den, size)
    keep = column(True if chosen is None else chosen.data, size)
    out: list[Any] = []
    for run in runs(counts):
        kept = [i for i in run if keep[i]]
        exact = [Fraction(int(data[i]), int(den[i])) if values.kind == "rat" else data[i] for i in kept]
        if kind == "count":
            out.append(len(kept))
        elif kind == "any":
            out.append(any(exact))
        elif kind == "all":
            out.append(all(exact))
        elif kind == "sum":
            out.append(sum(exact, Fraction(0) if values.kind == "rat" else 0))
        elif not kept:
            out.append(None)
        elif kind in ("first", "last"):
            out.append(exact[0] if kind == "first" else exact[-1])
        else:
            out.append(min(exact) if kind == "min" else max(exact))
    return out


def got(col: Col, parents: int) -> list[Any]:
    data, den, bad = (column(v, parents) for v in (col.data, col.den, col.bad))
    if col.kind == "rat":
        values: list[Any] = [Fraction(int(n), int(d)) for n, d in zip(data, den, strict=True)]
    else:
        values = [v.item() for v in data]
    return [None if b else v for v, b in zip(values, bad, strict=True)]


def values_for(size: int, seed: int) -> dict[str, Col]:
    rng = np.random.default_rng(seed)
    small = rng.integers(-3, 4, size).astype(np.int64)  # ties and negatives
    return {
        "int": Col("int", small),
        "rat": Col("rat", rng.integers(-10**6, 10**6, size).astype(np.int64), 100),
        "rat by row": Col("rat", small, rng.choice(np.array([1, 3, 4, 12], dtype=np.int64), size)),
        "date": Col("date", rng.integers(-30_000, 30_000, size).astype(np.int64)),
        "bool": Col("bool", small > 0),
        "one int": Col("int", np.asarray(-7, dtype=np.int64)),
        "one rat": Col("rat", np.asarray(3, dtype=np.int64), 100),
        "one bool": Col("bool", np.asarray(True)),
    }


def filters_for(size: int, seed: int) -> dict[str, Col | None]:
    rng = np.random.default_rng(seed + 1)
    return {"none": None, "some": Col("bool", rng.random(size) < 0.5), "all": Col("bool", np.ones(size, dtype=bool)),
            "no row": Col("bool", np.zeros(size, dtype=bool)), "true": Col("bool", np.asarray(True)),
            "false": Col("bool", np.asarray(False))}


KINDS = {"count": ("int", "bool", "one bool"), "any": ("bool", "one bool"), "all": ("bool", "one bool"),
         "sum": ("int", "rat", "rat by row", "one int", "one rat"),
         "first": ("int", "rat", "date", "one int", "rat by row"), "last": ("int", "rat", "date", "one rat"),
         "min": ("int", "rat", "date", "rat by row"), "max": ("int", "rat", "date", "one int")}


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("kind", KINDS)
def test_reductions_match_a_plain_computation(layout: str, kind: str) -> None:
    counts = LAYOUTS[layout]
    batch, size = batch_of(counts), sum(counts)
    for seed in range(3):
        for value_name in KINDS[kind]:
            values = values_for(size, seed)[value_name]
            for filter_name, chosen in filters_for(size, seed).items():
                result = reduce(kind, batch, "member", values, chosen, t.INT)
                assert got(result, len(counts)) == expected(kind, counts, values, chosen), (value_name, filter_name)
                empty = empty_rows(batch, "member", chosen)
                assert column(empty.data, len(counts)) == [
                    not any(column(True if chosen is None else chosen.data, size)[i] for i in run)
                    for run in runs(counts)]


def test_bad_rows_spoil_only_their_parents() -> None:
    counts = LAYOUTS["gaps"]  # parent 1: rows 0-1, parent 8: rows 7-11
    batch, size = batch_of(counts), sum(counts)
    bad = np.zeros(size, dtype=bool)
    bad[[0, 9]] = True
    values = Col("rat", np.arange(size, dtype=np.int64), 100, bad)
    keep = np.ones(size, dtype=bool)
    keep[9] = False  # a bad row the filter drops is never read
    for kind in ("sum", "first", "last", "max", "count"):
        result = reduce(kind, batch, "member", values, Col("bool", keep), t.INT)
        empty = [not c for c in counts]
        spoilt = [i == 1 and kind != "count" for i in range(len(counts))]
        assert column(result.bad, len(counts)) == [s or (e and kind not in ("sum", "count"))
                                                   for s, e in zip(spoilt, empty, strict=True)], kind


@pytest.mark.parametrize("value", [4 * 10**18, -(4 * 10**18), 10**18])
def test_sums_that_could_leave_int64_are_bad(value: int) -> None:
    counts = [3, 0, 5]
    batch, size = batch_of(counts), sum(counts)
    for data in (np.asarray(value, dtype=np.int64), np.full(size, value, dtype=np.int64)):
        for kind in ("int", "rat"):
            result = reduce("sum", batch, "member", Col(kind, data, 1 if kind == "int" else 100), None, t.INT)
            assert np.broadcast_to(result.bad, (3,)).all(), (kind, np.ndim(data))
    small = reduce("sum", batch, "member", Col("int", np.asarray(-5, dtype=np.int64)), None, t.INT)
    assert list(small.data) == [-15, 0, -25] and not np.any(small.bad)


def test_a_run_sum_is_exact_when_it_fits_though_the_running_sum_wraps() -> None:
    from engine.batch.reductions import segment_sum

    big = 4 * 10**18
    values = np.array([big, big, 5 * 10**18, -big, -big, 10**18, 7, -(2**63), 2**63 - 1], dtype=np.int64)
    starts, ends = np.array([0, 2, 2, 3, 6, 7, 9]), np.array([2, 2, 3, 6, 7, 9, 9])
    assert [int(v) for v in segment_sum(values, starts, ends)] == [2 * big, 0, 5 * 10**18, -7 * 10**18, 7, -1, 0]
    assert [int(v) for v in segment_sum(values[:0], np.zeros(2, dtype=np.int64), np.zeros(2, dtype=np.int64))] == \
        [0, 0]


def test_sums_of_runs_that_do_not_tile_the_rows() -> None:
    from engine.batch.reductions import segment_sum

    values = np.array([5, -1, 2, 7, 3], dtype=np.int64)
    assert list(segment_sum(values, np.array([3, 0, 1]), np.array([5, 2, 1]))) == [10, 4, 0]


@pytest.mark.parametrize("layout", LAYOUTS)
def test_collect_keeps_each_parents_kept_values_in_order(layout: str) -> None:
    from engine.language.columns import Vocab

    counts = LAYOUTS[layout]
    batch, size = batch_of(counts), sum(counts)
    words = Vocab(("a", "b", "c"))
    codes = (np.arange(size) % 3).astype(np.int16)
    one = Col("cat", np.asarray(2, np.int16), words)
    for values in (Col("cat", codes, words), Col("obj", words.array[codes]), one):
        for chosen in filters_for(size, 1).values():
            result = reduce("collect", batch, "member", values, chosen, t.INT)
            table = result.den
            lists = [list(table.values[table.offsets[r]:table.offsets[r + 1]]) for r in np.asarray(result.data)]
            keep = column(True if chosen is None else chosen.data, size)
            every = column(words.array[np.asarray(values.data)] if values.kind == "cat" else values.data, size)
            assert lists == [[every[i] for i in run if keep[i]] for run in runs(counts)]
