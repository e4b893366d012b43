"""Write batch answers: JSON Lines, CSV or Parquet, chosen by the output's suffix.

JSON Lines holds one object per household: ``id``, the contract output names, and the
member outputs under ``members`` (as ``dibao evaluate`` prints them). CSV and Parquet
hold a household table and, beside it, a member table (``<name>.members.csv``).
Parquet keeps types (money as decimal(20, 2), dates as dates) and records the policy's
region, date, version and digest in its metadata.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from engine import types as t
from engine.batch import Chunk, RegionEvaluator, render_canonical
from engine.diagnostics import Diagnostic, DiagnosticError
from engine.spreadsheets import CsvWriter, WriteOptions, write_workbook

CENT = pa.scalar(Decimal("0.01"), pa.decimal128(3, 2))


class Writer(Protocol):
    def write(self, chunk: Chunk) -> None: ...
    def close(self) -> None: ...


def open_writer(out: Path, evaluator: RegionEvaluator, metadata: dict[str, str],
                options: WriteOptions | None = None) -> Writer:
    out.parent.mkdir(parents=True, exist_ok=True)
    options = options or WriteOptions()
    if out.suffix in (".jsonl", ".ndjson"):
        return JsonLinesWriter(out, evaluator)
    if out.suffix == ".csv":
        return TableWriter(out, evaluator, metadata, "csv", options)
    if out.suffix == ".xlsx":
        return XlsxWriter(out, evaluator, metadata, options)
    if out.suffix == ".parquet":
        return TableWriter(out, evaluator, metadata, "parquet")
    raise DiagnosticError([Diagnostic("E-IO", f"{out}: the output's suffix says its format: .jsonl, .csv, .parquet "
                                      "or .xlsx")])


def member_path(out: Path) -> Path:
    return out.with_name(f"{out.stem}.members{out.suffix}")


class JsonLinesWriter:
    def __init__(self, out: Path, evaluator: RegionEvaluator) -> None:
        self.stream = out.open("w", encoding="utf-8")
        self.evaluator = evaluator

    def write(self, chunk: Chunk) -> None:
        types = self.evaluator.types
        household_names = self.evaluator.household_outputs
        member_names = self.evaluator.member_outputs
        by_household: dict[int, dict[str, dict[str, Any]]] = {}
        for index, (_hid, mid) in enumerate(chunk.member_ids):
            row = int(chunk.member_rows[index])
            by_household.setdefault(row, {})[mid] = {
                n: render_canonical(chunk.member[n][index], types[n]) for n in member_names}
        lines = []
        for row, hid in enumerate(chunk.ids):
            if not chunk.keep[row]:
                continue
            record: dict[str, Any] = {"id": hid}
            record.update({n: chunk.rendered(n, row, types[n]) for n in household_names})
            if member_names:
                record["members"] = by_household.get(row, {})
            lines.append(json.dumps(record, ensure_ascii=False, separators=(",", ":")))
        if lines:
            self.stream.write("\n".join(lines) + "\n")

    def close(self) -> None:
        self.stream.close()


class TableWriter:
    """Household and member tables, appended chunk by chunk."""

    def __init__(self, out: Path, evaluator: RegionEvaluator, metadata: dict[str, str], fmt: str,
                 options: WriteOptions | None = None) -> None:
        self.paths = {"household": out, "member": member_path(out)}
        self.evaluator = evaluator
        self.metadata = {k.encode(): v.encode() for k, v in metadata.items()}
        self.fmt = fmt
        self.options = options or WriteOptions()
        self.writers: dict[str, Any] = {}

    def write(self, chunk: Chunk) -> None:
        household, member = chunk_tables(chunk, self.evaluator)
        self._append("household", household)
        if member is not None:
            self._append("member", member)

    def _append(self, which: str, table: pa.Table) -> None:
        if self.fmt == "parquet":
            table = table.replace_schema_metadata(self.metadata)
            if which not in self.writers:
                self.writers[which] = pq.ParquetWriter(self.paths[which], table.schema)
            self.writers[which].write_table(table)
            return
        table = pa.table({label: _csv_column(table[name]) for name, label in
                          zip(table.column_names, self.options.header(table.column_names), strict=True)})
        if which not in self.writers:
            self.writers[which] = CsvWriter(self.paths[which], table.schema, self.options.bom)
        self.writers[which].write_table(table)

    def close(self) -> None:
        if "household" not in self.writers:  # every record was rejected: still write the (empty) tables
            household, member = empty_tables(self.evaluator)
            self._append("household", household)
            if member is not None:
                self._append("member", member)
        for writer in self.writers.values():
            writer.close()


class XlsxWriter(TableWriter):
    """The household and member tables as the two sheets of one workbook, written when the run ends."""

    def __init__(self, out: Path, evaluator: RegionEvaluator, metadata: dict[str, str], options: WriteOptions) -> None:
        super().__init__(out, evaluator, metadata, "xlsx", options)
        self.collected: dict[str, list[pa.Table]] = {"household": [], "member": []}

    def _append(self, which: str, table: pa.Table) -> None:
        self.collected[which].append(table)
        self.writers[which] = True

    def close(self) -> None:
        if "household" not in self.writers:
            household, member = empty_tables(self.evaluator)
            self._append("household", household)
            if member is not None:
                self._append("member", member)
        sheets = {}
        for which, name in (("household", "households"), ("member", "members")):
            if self.collected[which]:
                table = pa.concat_tables(self.collected[which])
                sheets[name] = table.rename_columns(self.options.header(table.column_names))
        write_workbook(self.paths["household"], sheets)


def chunk_tables(chunk: Chunk, evaluator: RegionEvaluator) -> tuple[pa.Table, pa.Table | None]:
    """A chunk's answered households (``id`` and outputs) and their members' outputs (None: no member outputs)."""
    keep = chunk.keep
    household = {"id": pa.array(np.asarray(chunk.ids, dtype=object)[keep], pa.string())}
    for name in evaluator.household_outputs:
        missing = chunk.unavailable.get(name)
        household[name] = arrow_column(chunk.household[name][keep], evaluator.types[name],
                                       None if missing is None else missing[keep])
    if not evaluator.member_outputs:
        return pa.table(household), None
    kept = keep[chunk.member_rows] if len(chunk.member_rows) else np.zeros(0, dtype=bool)
    ids = np.asarray(chunk.member_ids, dtype=object).reshape(-1, 2)[kept] if chunk.member_ids else \
        np.empty((0, 2), dtype=object)
    member = {"household_id": pa.array(ids[:, 0], pa.string()), "member_id": pa.array(ids[:, 1], pa.string())}
    for name in evaluator.member_outputs:
        member[name] = arrow_column(chunk.member[name][kept], evaluator.types[name])
    return pa.table(household), pa.table(member)


def empty_tables(evaluator: RegionEvaluator) -> tuple[pa.Table, pa.Table | None]:
    """The tables ``chunk_tables`` gives, with no rows."""
    def empty(keys: list[str], outputs: list[str]) -> pa.Table:
        columns = {key: pa.array([], pa.string()) for key in keys}
        columns.update({n: arrow_column(np.array([]), evaluator.types[n]) for n in outputs})
        return pa.table(columns)

    members = empty(["household_id", "member_id"], evaluator.member_outputs) if evaluator.member_outputs else None
    return empty(["id"], evaluator.household_outputs), members


def arrow_column(values: np.ndarray, type_: t.Type, missing: np.ndarray | None = None) -> pa.Array:
    """Canonical values as a typed Arrow column (money in fen → decimal(20, 2); days → date32);
    rows marked ``missing`` (an output not available for the household) are null."""
    column = _arrow_values(values, type_)
    if missing is None or not missing.any():
        return column
    return pc.if_else(pa.array(missing, pa.bool_()), pa.nulls(len(column), column.type), column)


def _arrow_values(values: np.ndarray, type_: t.Type) -> pa.Array:
    if isinstance(type_, t.Money):
        fen = pa.array(np.asarray(values, dtype=np.int64), pa.int64()).cast(pa.decimal128(20, 0))
        return pc.multiply(fen, CENT).cast(pa.decimal128(20, 2))
    if type_ == t.DATE:  # days since 1970 are what date32 holds
        return pa.array(np.asarray(values, dtype=np.int32), pa.int32()).cast(pa.date32())
    if type_ == t.BOOL:
        return pa.array(np.asarray(values, dtype=bool), pa.bool_())
    if type_ == t.INT:
        return pa.array(np.asarray(values, dtype=np.int64), pa.int64())
    if isinstance(type_, t.ListOf):
        return pa.array([list(v) if v is not None else None for v in values], pa.list_(pa.string()))
    return pa.array([None if v is None else str(v) for v in values], pa.string())


def _csv_column(column: pa.ChunkedArray) -> pa.ChunkedArray:
    if pa.types.is_list(column.type):
        return pa.chunked_array([pa.array([json.dumps(v, ensure_ascii=False) if v is not None else None
                                           for v in column.to_pylist()], pa.string())])
    return column
