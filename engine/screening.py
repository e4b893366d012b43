"""Which households a batch evaluates: each household once, and only those registered in the region.

A caseload may hold the same household id twice (an export run twice, two offices'
lists merged). Evaluating both would count the household twice, so every occurrence
after the first is rejected, naming the line of the first, whatever the first's own
fate. The ids seen so far are kept as 64-bit hashes in sorted runs, with the ids
themselves (as Arrow text) to confirm a match exactly, so memory grows by a few dozen
bytes per household.

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

from engine.caseload import Caseload

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

    def repeats(self, ids: list[str | None], lines: np.ndarray) -> dict[int, int]:
        """For each id met before (in an earlier chunk, or earlier in this one), its first line; the others
        are remembered."""
        usable = np.array([isinstance(i, str) for i in ids], dtype=bool)
        hashes = np.fromiter((hash(i) if isinstance(i, str) else 0 for i in ids), dtype=I64, count=len(ids))
        found: dict[int, int] = {}
        for run in self.runs:
            position = np.clip(np.searchsorted(run.hashes, hashes), 0, len(run.hashes) - 1)
            for row in np.flatnonzero(usable & (run.hashes[position] == hashes)):
                line = _find(run, int(hashes[row]), ids[row])
                if line is not None and row not in found:
                    found[int(row)] = line
        first: dict[tuple[int, str | None], int] = {}
        for row in np.flatnonzero(usable):
            if row in found:
                continue
            key = (int(hashes[row]), ids[row])
            if key in first:
                found[int(row)] = int(lines[first[key]])
            else:
                first[key] = int(row)
        new = np.array(sorted(first.values()), dtype=I64)
        if len(new):
            self._add(hashes[new], lines[new], pa.array([ids[r] for r in new], pa.string()))
        return found

    def _add(self, hashes: np.ndarray, lines: np.ndarray, ids: pa.Array) -> None:
        order = np.argsort(hashes, kind="stable")
        self.runs.append(_Run(hashes[order], lines[order], ids.take(pa.array(order))))
        while len(self.runs) > 1 and len(self.runs[-2].hashes) <= 2 * len(self.runs[-1].hashes):
            low, high = self.runs.pop(), self.runs.pop()
            hashes = np.concatenate([high.hashes, low.hashes])
            order = np.argsort(hashes, kind="stable")
            self.runs.append(_Run(hashes[order], np.concatenate([high.lines, low.lines])[order],
                                  pa.concat_arrays([high.ids, low.ids]).take(pa.array(order))))


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

    def __call__(self, caseload: Caseload, valid: np.ndarray) -> dict[int, str]:
        """Reasons for the households of a chunk that are not to be evaluated (by chunk row)."""
        table = caseload.tables["household"]
        ids = _texts(table, "id")
        reasons: dict[int, str] = {}
        for row, line in self.seen.repeats(ids, caseload.lines).items():
            reasons[row] = f"id: household {ids[row]!r} appears again; it was first at line {line} and is evaluated " \
                           f"once (record {ids[row]})"
        self.repeated += len(reasons)
        if not self.any_hukou and "hukou" in table.column_names:
            hukou = table["hukou"].combine_chunks()
            if pa.types.is_string(hukou.type) or pa.types.is_large_string(hukou.type):
                elsewhere = valid & ~np.asarray(pc.fill_null(pc.equal(hukou, self.home), True), dtype=bool)
                for index in np.flatnonzero(elsewhere):
                    place = int(index)
                    if place not in reasons:
                        self.other_region += 1
                        reasons[place] = (f"hukou: registered in {hukou[place].as_py()!r}, not in {self.home}; "
                                          f"give --any-hukou to evaluate households of other regions "
                                          f"(record {ids[place]})")
        return reasons


def _texts(table: pa.Table, name: str) -> list[str | None]:
    column = table[name].combine_chunks() if name in table.column_names else pa.nulls(table.num_rows)
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        return [None] * len(column)
    return column.to_pylist()
