"""Which households a batch evaluates: each household once, and only those registered in the region.

A caseload may hold the same household id twice (an export run twice, two offices'
lists merged). Evaluating both would count the household twice, so every occurrence
after the first is rejected, naming the line of the first, whatever the first's own
fate. The ids seen so far are kept as 64-bit hashes in sorted runs, with the ids
themselves (as Arrow text) to confirm a match exactly, so memory grows by a few dozen
bytes per household. A folder of tables needs none of this: its reader finds every
repeated id in the households table before the first chunk (``engine.batch.tables``), and
its chunks say so (``Caseload.unique_ids``).

A household registered (``hukou``) in another region is not this region's to answer:
it is rejected with that reason unless the run is asked to evaluate every household
(``--any-hukou``). A sub-region (``inner_mongolia/hinggan``) answers the households of
its region (``inner_mongolia``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from engine.base.diagnostics import Diagnostic, Span
from engine.batch.caseload import Caseload

I64 = np.int64


@dataclass
class _Run:
    hashes: np.ndarray  # sorted
    lines: np.ndarray
    ids: pa.Array


class SeenIds:
    """Household ids met so far, and the line each was first met on."""

    def __init__(self) -> None:
        self.runs: list[_Run] = []

    def repeats(self, ids: pa.Array, lines: np.ndarray) -> dict[int, int]:
        """For each id met before (in an earlier chunk, or earlier in this one), its first line; the others
        are remembered. Only rows whose hash matches are compared as text."""
        usable = ~np.asarray(ids.is_null(), dtype=bool)
        hashes = text_hashes(ids)
        rows = np.flatnonzero(usable)
        order = rows[np.argsort(hashes[rows], kind="stable")]
        ordered = hashes[order]  # sorted: looked up in the runs in order, which is fast
        found: dict[int, int] = {}
        for run in self.runs:
            position = np.clip(np.searchsorted(run.hashes, ordered), 0, len(run.hashes) - 1)
            for row in order[run.hashes[position] == ordered]:
                line = _find(run, int(hashes[row]), ids[int(row)].as_py())
                if line is not None and int(row) not in found:
                    found[int(row)] = line
        same = np.flatnonzero(hashes[order[1:]] == hashes[order[:-1]])
        candidates = sorted({int(order[i]) for i in same} | {int(order[i + 1]) for i in same})
        first: dict[str, int] = {}
        for row in candidates:
            text = ids[row].as_py()
            if row in found:
                continue
            if text in first and first[text] < row:
                found[row] = int(lines[first[text]])
            else:
                first.setdefault(text, row)
        fresh = usable.copy()
        fresh[list(found)] = False
        new = order[fresh[order]]  # in hash order
        if len(new):
            self._add(_Run(hashes[new], lines[new], ids.take(pa.array(new))))
        return found

    def _add(self, run: _Run) -> None:
        self.runs.append(run)
        while len(self.runs) > 1 and len(self.runs[-2].hashes) <= 2 * len(self.runs[-1].hashes):
            low, high = self.runs.pop(), self.runs.pop()
            hashes = np.concatenate([high.hashes, low.hashes])
            order = np.argsort(hashes, kind="stable")
            self.runs.append(_Run(hashes[order], np.concatenate([high.lines, low.lines])[order],
                                  pa.concat_arrays([high.ids, low.ids]).take(pa.array(order))))


_PRIME = np.uint64(0x100000001B3)
_SPREAD = np.uint64(0x9E3779B97F4A7C15)
_PREFIX = 64  # bytes of an id that are hashed (longer ids differ in their length, or are compared as text)
_POWERS = np.array([pow(int(_PRIME), k, 1 << 64) for k in range(_PREFIX)], dtype=np.uint64)


def text_hashes(values: pa.Array) -> np.ndarray:
    """A 64-bit hash of each text (its first bytes and its length), computed with NumPy over Arrow's buffers."""
    values = values.cast(pa.large_string())
    buffers = values.buffers()
    offsets = np.frombuffer(buffers[1], dtype=np.int64)[values.offset:values.offset + len(values) + 1]
    if not len(values) or buffers[2] is None:
        return np.zeros(len(values), dtype=I64)
    data = np.frombuffer(buffers[2], dtype=np.uint8)[int(offsets[0]):int(offsets[-1])]
    lengths = np.diff(offsets)
    starts = offsets[:-1] - offsets[0]
    position = np.arange(len(data), dtype=I64) - np.repeat(starts, lengths)
    kept = position < _PREFIX
    with np.errstate(over="ignore"):
        terms = np.where(kept, (data.astype(np.uint64) + np.uint64(1)) * _POWERS[np.minimum(position, _PREFIX - 1)],
                         np.uint64(0))
        sums = np.zeros(len(values), dtype=np.uint64)
        nonempty = lengths > 0
        if nonempty.any():
            sums[nonempty] = np.add.reduceat(terms, starts[nonempty])
        mixed = sums * _SPREAD + lengths.astype(np.uint64)
        mixed ^= mixed >> np.uint64(31)
    return mixed.view(I64)


def _find(run: _Run, hashed: int, identifier: str | None) -> int | None:
    position = int(np.searchsorted(run.hashes, hashed))
    while position < len(run.hashes) and run.hashes[position] == hashed:
        if run.ids[position].as_py() == identifier:
            return int(run.lines[position])
        position += 1
    return None


class Screen:
    """Turns away repeated households, and households of other regions unless every one is wanted."""

    def __init__(self, region: str, any_hukou: bool = False) -> None:
        self.home = region.split("/")[0]
        self.any_hukou = any_hukou
        self.seen = SeenIds()
        self.other_region = 0
        self.repeated = 0

    def __call__(self, caseload: Caseload, valid: np.ndarray) -> dict[int, Diagnostic]:
        """Why the households of a chunk that are not to be evaluated are not (by chunk row)."""
        table = caseload.tables["household"]
        ids = _texts(table, "id")
        reasons: dict[int, Diagnostic] = {}
        repeats = {} if caseload.unique_ids else self.seen.repeats(ids, caseload.lines)
        for row, line in repeats.items():
            name = ids[row].as_py()
            reasons[row] = Diagnostic(
                "E-REPEATED", f"id: household {name!r} appears again; it was first at line {line} and is evaluated "
                f"once (record {name})", Span(caseload.source, int(caseload.lines[row]), 1), path=("id",))
        self.repeated += len(reasons)
        if not self.any_hukou and "hukou" in table.column_names:
            hukou = table["hukou"].combine_chunks()
            if pa.types.is_string(hukou.type) or pa.types.is_large_string(hukou.type):
                elsewhere = valid & ~np.asarray(pc.fill_null(pc.equal(hukou, self.home), True), dtype=bool)
                for index in np.flatnonzero(elsewhere):
                    place = int(index)
                    if place not in reasons:
                        self.other_region += 1
                        reasons[place] = Diagnostic(
                            "E-HUKOU", f"hukou: registered in {hukou[place].as_py()!r}, not in {self.home}; give "
                            f"--any-hukou to evaluate households of other regions (record {ids[place].as_py()})",
                            Span(caseload.source, int(caseload.lines[place]), 1), path=("hukou",))
        return reasons


def _texts(table: pa.Table, name: str) -> pa.Array:
    """A column as text; values of another type are no text (null)."""
    column = table[name].combine_chunks() if name in table.column_names else pa.nulls(table.num_rows, pa.string())
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        return column.cast(pa.string())
    return pa.nulls(len(column), pa.string())
