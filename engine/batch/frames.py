"""A caseload held in memory (pyarrow Tables or pandas DataFrames) through one region's rules.

Two layouts are accepted, the two ``dibao batch`` reads from disk:

- the caseload tables (docs/batch.md): a mapping ``{"households": …, "members": …}`` with
  optional ``incomes``, ``expenses``, ``events`` and ``requests``, the same columns;
- one table of household records, one row per household, with the record's nested
  columns (``members`` a list of structs), as ``pyarrow.json.read_json`` reads a JSON
  Lines caseload. A null cell is an absent field.

The rows are validated and evaluated exactly as ``dibao batch`` does (the columnar
program with the interpreter beside it); the answer is the outputs table (``id`` and the
outputs), the members table and the rejected rows with their messages: rows in = outputs
+ rejected, always. Tables come back as pyarrow Tables, or DataFrames when given DataFrames.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from engine.base.diagnostics import Diagnostic, DiagnosticError, Span
from engine.batch.batch_core import RegionEvaluator
from engine.batch.caseload import Caseload, Rejected, from_records
from engine.batch.record_layout import LEVELS
from engine.batch.table_files import TableFile
from engine.batch.tables import COLUMNS, check_columns, chunks_of
from engine.batch.writers import empty_tables
from engine.household.vocabulary import using
from engine.runtime.library import PolicyLibrary


@dataclass
class TableResult:
    """What ``engine.evaluate_table`` answers."""

    outputs: Any  # one row per household answered: id, then each output
    members: Any  # one row per member of those households: household_id, member_id, member outputs (or None)
    rejected: Any  # one row per record not answered: id, row (1-based), reason
    policy: dict[str, Any]  # version, digest and the tree used

    @property
    def counts(self) -> dict[str, int]:
        return {"rows": len(self.outputs), "rejected": len(self.rejected)}


def evaluate_frames(table: Any, library: PolicyLibrary, region: str, as_of: date, overrides: dict[str, str],
                    chunk_size: int = 20_000) -> TableResult:
    """Evaluate every row of ``table`` (either layout) for ``region`` on ``as_of`` (its records checked against the
    region's vocabulary)."""
    with using(library.vocabulary_of(region)):
        return _evaluate_frames(table, library, region, as_of, overrides, chunk_size)


def _evaluate_frames(table: Any, library: PolicyLibrary, region: str, as_of: date, overrides: dict[str, str],
                     chunk_size: int) -> TableResult:
    as_pandas = _is_pandas(table) or (isinstance(table, Mapping) and any(_is_pandas(v) for v in table.values()))
    evaluator = RegionEvaluator(library, region, as_of, overrides)
    households: list[pa.Table] = []
    members: list[pa.Table] = []
    rejected: list[Rejected] = []
    for caseload, early in _chunks(table, chunk_size):
        rejected += early
        if caseload.size:
            answer = evaluator.answer(caseload)
            rejected += answer.rejected
            households.append(answer.household)
            if answer.member is not None:
                members.append(answer.member)
    empty_households, empty_members = empty_tables(evaluator)
    outputs = pa.concat_tables(households) if households else empty_households
    member_outputs = pa.concat_tables(members) if members else empty_members
    rejections = pa.table({"id": pa.array([r.id for r in rejected], pa.string()),
                           "row": pa.array([r.line for r in rejected], pa.int64()),
                           "reason": pa.array([r.reason for r in rejected], pa.string())}).sort_by("row")
    policy = {"version": evaluator.resolved.chain.version, "digest": evaluator.resolved.digest,
              "tree": library.tree_info()}
    if as_pandas:
        return TableResult(outputs.to_pandas(), member_outputs.to_pandas() if member_outputs is not None else None,
                           rejections.to_pandas(), policy)
    return TableResult(outputs, member_outputs, rejections, policy)


def _chunks(table: Any, size: int) -> Iterator[tuple[Caseload, list[Rejected]]]:
    """Chunks of households, each with the rows rejected before evaluation, from either layout."""
    if isinstance(table, Mapping):
        yield from chunks_of(_table_files(table), size, "<tables>")
        return
    rows = _rows(table)
    names = [str(c) for c in table.columns] if _is_pandas(table) else table.column_names
    if "members" not in names:
        hint = " (this looks like one of the caseload's tables: pass them all as a mapping)" \
            if "household_id" in names else ""
        raise DiagnosticError([Diagnostic("E-TABLE", "a table of household records has a members column, one row "
                                          "per household; or pass the caseload's tables as a mapping "
                                          f"{{'households': …, 'members': …}}{hint}", Span("<table>", 1, 1))])
    for start in range(0, len(rows), size):
        rejected: list[Rejected] = []
        items = [(row, _without_nulls(record)) for row, record in enumerate(rows[start:start + size], start + 1)]
        yield from_records(items, "<table>", rejected), rejected


def _table_files(tables: Mapping[str, Any]) -> dict[str, TableFile | None]:
    unknown = sorted(str(name) for name in tables if name not in COLUMNS)
    missing = [name for name in ("households", "members") if name not in tables]
    if unknown or missing:
        parts = ([f"missing tables: {', '.join(missing)}"] if missing else []) + (
            [f"unknown tables: {', '.join(unknown)} (the tables are: {', '.join(COLUMNS)})"] if unknown else [])
        raise DiagnosticError([Diagnostic("E-TABLE", "; ".join(parts), Span("<tables>", 1, 1))])
    files: dict[str, TableFile | None] = {}
    for level in LEVELS.values():
        if level.table not in tables:
            files[level.name] = None
            continue
        arrow = _arrow(tables[level.table], f"the {level.table} table")
        check_columns(arrow.column_names, level.table, Span(f"<{level.table} table>", 1, 1))
        files[level.name] = TableFile.of_sheet(Path(f"<{level.table} table>"), level.table, arrow)
    return files


def _arrow(table: Any, what: str) -> pa.Table:
    if isinstance(table, pa.Table):
        return table
    if _is_pandas(table):
        try:
            return pa.Table.from_pandas(table, preserve_index=False)
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError) as error:
            raise DiagnosticError([Diagnostic("E-TABLE", f"{what}: cannot read the DataFrame: {error}",
                                              Span("<table>", 1, 1))]) from None
    raise DiagnosticError([Diagnostic("E-TABLE", f"{what}: give a pyarrow Table or a pandas DataFrame, not "
                                      f"{type(table).__name__}", Span("<table>", 1, 1))])


def _rows(table: Any) -> list[dict[str, Any]]:
    """Records as Python objects; a DataFrame's own objects (nested lists and dicts) are kept as they are."""
    if _is_pandas(table):
        return [dict(record) for record in table.to_dict("records")]
    if isinstance(table, pa.Table):
        return list(table.to_pylist())
    raise DiagnosticError([Diagnostic("E-TABLE", "give a pyarrow Table or a pandas DataFrame (or a mapping of the "
                                      f"caseload's tables), not {type(table).__name__}", Span("<table>", 1, 1))])


def _without_nulls(value: Any) -> Any:
    """A null cell (None, or NaN from a DataFrame) is an absent field; nested records likewise."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if not _is_null(v)}
    if isinstance(value, (list, tuple)) or type(value).__name__ == "ndarray":
        return [_without_nulls(v) for v in value]
    return _plain(value)


def _is_null(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _plain(value: Any) -> Any:
    """Cells as the record's JSON would hold them: dates as ISO text, a float from its shortest text."""
    if _is_null(value):
        return None
    if isinstance(value, datetime):  # a DataFrame's Timestamp
        value = value.date()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):  # whole numbers (a DataFrame's int column with gaps) stay whole
        return int(value) if value.is_integer() else repr(value)
    if type(value).__module__ == "numpy" and hasattr(value, "item"):  # numpy scalars from a DataFrame
        return _plain(value.item())
    return value


def _is_pandas(value: Any) -> bool:
    return type(value).__module__.startswith("pandas") and type(value).__name__ == "DataFrame"
