"""Write batch answers: JSON Lines, CSV, Parquet or Excel, chosen by the output's suffix, a chunk at a time.

JSON Lines holds one object per household: ``id``, the contract output names, and the
member outputs under ``members`` (as ``dibao evaluate`` prints them). CSV and Parquet
hold a household table and, beside it, a member table (``<name>.members.csv``); an Excel
workbook holds the two as sheets (written when the run ends). An output not available
for a household is null (an empty cell, ``null`` in JSON).
Parquet keeps types (money as decimal(20, 2), dates as dates) and records the policy's
region, date, version and digest in its metadata; each chunk is a row group. Every
value is rendered column by column with pyarrow: money from ``decimal(20, 2)`` to its
two-decimal text, text escaped for JSON only where it needs it. In CSV, a text cell
that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``, a tab
or a carriage return) is written with a leading ``'``.
"""

from __future__ import annotations

import json
import queue
import threading
from pathlib import Path
from typing import IO, Any, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from engine.base.diagnostics import Diagnostic, DiagnosticError
from engine.batch.batch_core import Answer, RegionEvaluator
from engine.batch.output_columns import arrow_column
from engine.batch.spreadsheets import CsvWriter, WriteOptions, write_workbook

FORMULA = r"^[=+\-@\t\r]"


class Writer(Protocol):
    def write(self, answer: Answer) -> None: ...
    def close(self) -> None: ...


def output_format(out: Path) -> str:
    formats = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet", ".xlsx": "xlsx"}
    if out.suffix not in formats:
        raise DiagnosticError([Diagnostic("E-IO", f"{out}: the output's suffix says its format: .jsonl, .csv, "
                                                  ".parquet or .xlsx")])
    return formats[out.suffix]


def open_writer(fmt: str, paths: dict[str, Path], evaluator: RegionEvaluator, metadata: dict[str, str],
                options: WriteOptions | None = None) -> Writer:
    """A writer of ``fmt`` to ``paths`` (``output``, and ``members`` for tables)."""
    if fmt == "jsonl":
        return JsonLinesWriter(paths["output"], evaluator)
    if fmt == "xlsx":
        return XlsxWriter(paths, evaluator, metadata, options or WriteOptions())
    return TableWriter(paths, evaluator, metadata, fmt, options)


class InBackground:
    """A writer working in a thread, so that encoding and writing one chunk overlaps evaluating the next
    (Parquet and CSV encoding release the interpreter lock); its failure is raised at the next call."""

    def __init__(self, writer: Writer) -> None:
        self.writer = writer
        self.pending: queue.Queue[Answer | None] = queue.Queue(maxsize=2)
        self.failure: BaseException | None = None
        self.thread = threading.Thread(target=self._work, name="dibao-write", daemon=True)
        self.thread.start()

    def _work(self) -> None:
        while (answer := self.pending.get()) is not None:
            if self.failure is None:
                try:
                    self.writer.write(answer)
                except BaseException as error:  # handed to the run at its next call
                    self.failure = error

    def _raise(self) -> None:
        if self.failure is not None:
            raise self.failure

    def write(self, answer: Answer) -> None:
        self._raise()
        self.pending.put(answer)

    def close(self) -> None:
        self.pending.put(None)
        self.thread.join()
        try:
            self._raise()
        finally:
            self.writer.close()


# --- JSON Lines --------------------------------------------------------------------------------------


class JsonLinesWriter:
    def __init__(self, out: Path, evaluator: RegionEvaluator) -> None:
        self.stream: IO[bytes] = out.open("wb")
        self.evaluator = evaluator

    def write(self, answer: Answer) -> None:
        if not answer.household.num_rows:
            return
        household = answer.household
        fields = [_field("id", household["id"])]
        fields += [_field(name, household[name]) for name in self.evaluator.household_outputs]
        if answer.member is not None:
            fields.append(_members(answer, self.evaluator.member_outputs))
        line = _object(fields)
        text = pc.binary_join_element_wise(line, pa.scalar(""), "\n").combine_chunks() \
            if isinstance(line, pa.ChunkedArray) else pc.binary_join_element_wise(line, pa.scalar(""), "\n")
        self.stream.write(_bytes(text))
        self.stream.flush()  # a chunk is on disk (in the temporary file) before the next is read

    def close(self) -> None:
        self.stream.close()


def _bytes(text: pa.Array) -> memoryview:
    """The characters of a string array, end to end (its value buffer between the first and last offset)."""
    text = text.cast(pa.large_string()) if not pa.types.is_large_string(text.type) else text
    offsets = np.frombuffer(text.buffers()[1], dtype=np.int64)[text.offset:text.offset + len(text) + 1]
    data = text.buffers()[2]
    return memoryview(data)[int(offsets[0]):int(offsets[-1])] if data is not None else memoryview(b"")


def _object(fields: list[pa.Array]) -> pa.Array:
    inner = pc.binary_join_element_wise(*fields, ",") if len(fields) > 1 else fields[0]
    return pc.binary_join_element_wise(pa.scalar("{"), inner, pa.scalar("}"), "")


def _field(name: str, values: Any) -> pa.Array:
    return pc.binary_join_element_wise(pa.scalar(json.dumps(name, ensure_ascii=False) + ":"), json_values(values), "")


def _members(answer: Answer, names: list[str]) -> pa.Array:
    member = answer.member
    assert member is not None
    inner = [json_values(member[name]) for name in names]
    fields = [pc.binary_join_element_wise(pa.scalar(json.dumps(n, ensure_ascii=False) + ":"), v, "")
              for n, v in zip(names, inner, strict=True)]
    body = _object(fields) if fields else pa.array(["{}"] * member.num_rows, pa.string())
    entries = pc.binary_join_element_wise(_quoted(member["member_id"]), body, ":")
    offsets = np.concatenate([[0], np.cumsum(answer.member_counts)]).astype(np.int32)
    grouped = pa.ListArray.from_arrays(pa.array(offsets), _flat(entries))
    joined = pc.binary_join(grouped, ",")
    return pc.binary_join_element_wise(pa.scalar('"members":{'), joined, pa.scalar("}"), "")


def _flat(values: Any) -> pa.Array:
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values


def json_values(values: Any, separator: str = ",") -> pa.Array:
    """Each value as JSON text, as ``dibao evaluate`` writes it (money and decimals as text); list items are
    joined by ``separator``."""
    values = _flat(values)
    kind = values.type
    if pa.types.is_boolean(kind):
        text = pc.if_else(values, pa.scalar("true"), pa.scalar("false"))
    elif pa.types.is_integer(kind):
        text = values.cast(pa.string())
    elif pa.types.is_decimal(kind) or pa.types.is_date(kind):
        text = _quoted(values.cast(pa.string()))
    elif pa.types.is_list(kind):
        quoted = _quoted(pc.list_flatten(values))
        offsets = values.offsets
        text = pc.binary_join_element_wise(pa.scalar("["), pc.binary_join(
            pa.ListArray.from_arrays(offsets, _flat(quoted)), separator), pa.scalar("]"), "")
    else:
        text = _quoted(values.cast(pa.string()))
    return pc.fill_null(text, pa.scalar("null"))


def _quoted(values: Any) -> pa.Array:
    """Text as JSON strings; only values with a quote, backslash or control character go through ``json``."""
    values = _flat(values)
    if not len(values):
        return pa.array([], pa.string())
    plain = pc.binary_join_element_wise(pa.scalar('"'), values, pa.scalar('"'), "")
    special = pc.fill_null(pc.match_substring_regex(values, r'[\x00-\x1f"\\]'), False)
    if not pc.any(special).as_py():
        return plain
    escaped = pa.array([json.dumps(v, ensure_ascii=False) if v is not None else None for v in values.to_pylist()],
                       pa.string())
    return pc.if_else(special, escaped, plain)


# --- tables ------------------------------------------------------------------------------------------


class TableWriter:
    """Household and member tables, appended chunk by chunk (a Parquet row group per chunk)."""

    def __init__(self, paths: dict[str, Path], evaluator: RegionEvaluator, metadata: dict[str, str], fmt: str,
                 options: WriteOptions | None = None) -> None:
        self.paths = {"household": paths["output"], "member": paths.get("members")}
        self.evaluator = evaluator
        self.metadata = {k.encode(): v.encode() for k, v in metadata.items()}
        self.fmt = fmt
        self.options = options or WriteOptions()
        self.writers: dict[str, Any] = {}

    def write(self, answer: Answer) -> None:
        self._append("household", answer.household)
        if answer.member is not None:
            self._append("member", answer.member)

    def _append(self, which: str, table: pa.Table) -> None:
        path = self.paths[which]
        assert path is not None
        if self.fmt == "parquet":
            table = table.replace_schema_metadata(self.metadata)
            if which not in self.writers:
                self.writers[which] = pq.ParquetWriter(path, table.schema)
            self.writers[which].write_table(table)
            return
        table = pa.table({label: csv_column(table[name]) for name, label in
                          zip(table.column_names, self.options.header(table.column_names), strict=True)})
        if which not in self.writers:
            self.writers[which] = CsvWriter(path, table.schema, self.options.bom)
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

    def __init__(self, paths: dict[str, Path], evaluator: RegionEvaluator, metadata: dict[str, str],
                 options: WriteOptions) -> None:
        super().__init__(paths, evaluator, metadata, "xlsx", options)
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
        path = self.paths["household"]
        assert path is not None
        write_workbook(path, sheets)


def empty_tables(evaluator: RegionEvaluator) -> tuple[pa.Table, pa.Table | None]:
    """The tables of an answer, with no rows."""
    def empty(keys: list[str], outputs: list[str]) -> pa.Table:
        columns = {key: pa.array([], pa.string()) for key in keys}
        columns.update({n: arrow_column(np.array([]), evaluator.types[n]) for n in outputs})
        return pa.table(columns)

    members = empty(["household_id", "member_id"], evaluator.member_outputs) if evaluator.member_outputs else None
    return empty(["id"], evaluator.household_outputs), members


def csv_column(column: Any) -> pa.Array:
    """A column for CSV: lists as JSON text; text that a spreadsheet would take for a formula defused."""
    column = _flat(column)
    if pa.types.is_list(column.type):
        column = pc.if_else(pc.is_null(column), pa.scalar(None, pa.string()), json_values(column, ", "))
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)) or not len(column):
        return column
    risky = pc.fill_null(pc.match_substring_regex(column, FORMULA), False)
    return pc.if_else(risky, pc.binary_join_element_wise(pa.scalar("'"), column, ""), column)
