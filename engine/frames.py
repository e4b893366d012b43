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
from typing import Any

import pyarrow as pa

from engine.batch import Chunk, RegionEvaluator, Rejected, validated_chunks
from engine.diagnostics import Diagnostic, DiagnosticError, Span
from engine.household import Household
from engine.library import PolicyLibrary
from engine.tables import COLUMNS, check_columns, join_tables
from engine.writers import chunk_tables, empty_tables


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
    """Evaluate every row of ``table`` (either layout) for ``region`` on ``as_of``."""
    as_pandas = _is_pandas(table) or (isinstance(table, Mapping) and any(_is_pandas(v) for v in table.values()))
    records = _records(table)
    evaluator = RegionEvaluator(library, region, as_of, overrides)
    households: list[pa.Table] = []
    members: list[pa.Table] = []
    rejected: list[Rejected] = []
    for chunk in validated_chunks(records, "<table>", chunk_size):
        rejected += [r for _line, r in chunk if isinstance(r, Rejected)]
        good = [(line, h) for line, h in chunk if isinstance(h, Household)]
        if good:
            answered: Chunk = evaluator.evaluate([h for _, h in good], [line for line, _ in good])
            rejected += answered.rejected
            household_table, member_table = chunk_tables(answered, evaluator)
            households.append(household_table)
            if member_table is not None:
                members.append(member_table)
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


def _records(table: Any) -> Iterator[tuple[int, object]]:
    """(row, raw record) from either layout."""
    if isinstance(table, Mapping):
        return _from_tables(table)
    rows = _rows(table)
    names = [str(c) for c in table.columns] if _is_pandas(table) else table.column_names
    if "members" not in names:
        hint = " (this looks like one of the caseload's tables: pass them all as a mapping)" \
            if "household_id" in names else ""
        raise DiagnosticError([Diagnostic("E-TABLE", "a table of household records has a members column, one row "
                                          "per household; or pass the caseload's tables as a mapping "
                                          f"{{'households': …, 'members': …}}{hint}", Span("<table>", 1, 1))])
    return ((row, _without_nulls(record)) for row, record in enumerate(rows, 1))


def _from_tables(tables: Mapping[str, Any]) -> Iterator[tuple[int, object]]:
    unknown = sorted(str(name) for name in tables if name not in COLUMNS)
    missing = [name for name in ("households", "members") if name not in tables]
    if unknown or missing:
        parts = ([f"missing tables: {', '.join(missing)}"] if missing else []) + (
            [f"unknown tables: {', '.join(unknown)} (the tables are: {', '.join(COLUMNS)})"] if unknown else [])
        raise DiagnosticError([Diagnostic("E-TABLE", "; ".join(parts), Span("<tables>", 1, 1))])
    rows: dict[str, list[dict[str, Any]]] = {}
    for name in COLUMNS:
        if name not in tables:
            rows[name] = []
            continue
        arrow = _arrow(tables[name], f"the {name} table")
        check_columns(arrow.column_names, name, Span(f"<{name} table>", 1, 1))
        rows[name] = [{k: _plain(v) for k, v in row.items()} for row in arrow.to_pylist()]
    return join_tables(rows)


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
