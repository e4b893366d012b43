"""A batch of households as columns: per level, its stored columns and each row's parent row.

:class:`Batch` is what the columnar program evaluates: the households of a chunk laid out
by ``engine.batch.record_layout`` (one table per level, children grouped by parent), with
the maps from a level to its ancestors and the segments of each parent's children that
the compiled program and its reductions share.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from engine.batch.record_layout import LEVELS, PARENT, batch_columns
from engine.language.columns import Col

#: The list fields of each level (``("household", "members")``) and the level of their items.
LIST_FIELDS = {(level.parent, level.field): level.name for level in LEVELS.values()
               if level.parent is not None and level.field is not None}

#: The columns a batch has per level.
BATCH_COLUMNS: dict[str, frozenset[str]] = {level: batch_columns(level) for level in LEVELS}


@dataclass
class Batch:
    """A table of households: per level, its columns and the index of each row's parent row."""

    sizes: dict[str, int]
    parent: dict[str, np.ndarray]
    columns: dict[str, dict[str, Any]]
    _maps: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)
    _segments: dict[str, Segments] = field(default_factory=dict)

    def index(self, upper: str, lower: str) -> np.ndarray:
        """For each row of ``lower``, its row in the ancestor level ``upper``."""
        key = (upper, lower)
        if key not in self._maps:
            index = self.parent[lower]
            level = PARENT[lower]
            while level != upper:
                index = self.parent[level][index]
                level = PARENT[level]
            self._maps[key] = index
        return self._maps[key]

    def segments(self, child: str) -> Segments:
        """Where each parent row's children are; children are stored grouped by parent."""
        if child not in self._segments:
            counts = np.bincount(self.parent[child], minlength=self.sizes[PARENT[child]])
            ends = np.cumsum(counts)
            self._segments[child] = Segments(ends - counts, ends)
        return self._segments[child]


class Segments:
    """Start and end (exclusive) of each parent's run of child rows, and what reductions read of them: each
    run's length (``counts``), which runs have rows (``nonempty``, ``every`` when all do, and the rows of the
    parents that have children, ``filled``), the non-empty runs' starts (``firsts``) and whether each run
    starts where the one before it ends (``tiled``, as a batch's runs do)."""

    def __init__(self, starts: np.ndarray, ends: np.ndarray) -> None:
        self.starts = starts
        self.ends = ends
        self.counts = ends - starts
        self.nonempty = ends > starts
        self.every = bool(self.nonempty.all())
        self.filled = slice(None) if self.every else np.flatnonzero(self.nonempty)
        self.firsts = starts if self.every else starts[self.filled]
        self.tiled = bool((starts[1:] == ends[:-1]).all())

    def __iter__(self) -> Iterator[np.ndarray]:
        return iter((self.starts, self.ends))


def broadcast(col: Col, batch: Batch, upper: str, lower: str) -> Col:
    """A column at ``upper`` seen from its descendant level ``lower``."""
    if upper == lower or (col.scalar() and np.ndim(col.bad) == 0):
        return col
    index = batch.index(upper, lower)
    data = col.data[index] if np.ndim(col.data) else col.data
    den = col.den[index] if np.ndim(col.den) else col.den
    bad = col.bad[index] if np.ndim(col.bad) else col.bad
    return Col(col.kind, data, den, bad)


class Deferred:
    """A batch column made only when a rule reads it (household ids as Python text, for instance)."""

    def __init__(self, make: Callable[[], Any]) -> None:
        self.make = make


def column_values(batch: Batch, level: str, name: str) -> Any:
    """A column of the batch, made now if it was deferred."""
    value = batch.columns[level][name]
    if isinstance(value, Deferred):
        value = batch.columns[level][name] = value.make()
    return value
