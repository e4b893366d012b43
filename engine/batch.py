"""Batch: a whole caseload through one region's rules, in chunks, losing nothing.

Households stream in chunks from JSON Lines or from tables (Parquet or CSV: a folder
with ``households``, ``members`` and optional ``incomes``, ``expenses``, ``events``,
``requests`` tables). Each chunk is validated, laid out as columns and evaluated by the
compiled columnar program; households the columnar path marks as not computed (and any
output it does not cover) are evaluated by the interpreter, so both paths answer the
same. A household that cannot be validated or evaluated goes to the errors file with
its id, line or row, and reason: records in = rows out + errors, always.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from engine import exact
from engine import types as t
from engine.caseload import batch_from_households
from engine.columnar import EPOCH, Col, ColumnarProgram, Segments, to_fen
from engine.diagnostics import Diagnostic, DiagnosticError
from engine.household import Household, record_id, validate_household
from engine.interpreter import EvaluationError, Unavailable
from engine.library import PolicyLibrary
from engine.outputs import round_money
from engine.spreadsheets import WriteOptions

CHUNK = 20_000


@dataclass
class Rejected:
    """A record that produced no output row: where it was and why."""

    id: str | None
    line: int
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "line": self.line, "reason": self.reason}


@dataclass
class Chunk:
    """One chunk's answers: canonical columns per output (money in fen, dates in days), and rejections."""

    ids: list[str]
    lines: list[int]
    household: dict[str, np.ndarray]
    member_ids: list[tuple[str, str]]
    member: dict[str, np.ndarray]
    member_rows: np.ndarray  # for each member row, its household row
    keep: np.ndarray  # households answered (False: rejected while evaluating)
    rejected: list[Rejected] = field(default_factory=list)
    unavailable: dict[str, np.ndarray] = field(default_factory=dict)  # output → rows where it is not available

    def rendered(self, name: str, row: int, type_: t.Type) -> Any:
        """A household output of one row as contract JSON (null where it is not available)."""
        missing = self.unavailable.get(name)
        if missing is not None and missing[row]:
            return None
        return render_canonical(self.household[name][row], type_)


@dataclass
class Summary:
    records: int = 0
    rows: int = 0
    errors: int = 0
    eligible: int = 0
    benefit_monthly_fen: int = 0
    seconds: float = 0.0
    digest: str = ""
    version: str = ""
    outputs: list[str] = field(default_factory=list)
    interpreter_only: dict[str, str] = field(default_factory=dict)
    rejected_for: dict[str, int] = field(default_factory=dict)  # what the rejections were about, counted

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def count_rejection(self, reason: str) -> None:
        """Group reasons by what they name: a parameter to supply, a field path (indices dropped)."""
        text = re.sub(r"^household [^:]*: ", "", reason)
        key = re.split(r" \(|: ", text, maxsplit=1)[0]
        key = re.sub(r"\[\d+\]", "[]", key)[:80]
        self.rejected_for[key] = self.rejected_for.get(key, 0) + 1


class RegionEvaluator:
    """One region on one date, compiled for columns, with the interpreter beside it."""

    def __init__(self, library: PolicyLibrary, region: str, as_of: date,
                 overrides: dict[str, str] | None = None) -> None:
        self.library = library
        self.resolved = library.resolve(region, as_of, overrides)
        self.as_of = as_of
        self.program = library.program(self.resolved)
        chain = self.resolved.chain
        self.outputs = chain.outputs()
        self.types = {n: (chain.rules[n].type if n in chain.rules else chain.parameters[n].type)
                      for n in self.outputs}
        self.member_outputs = [n for n in self.outputs if n in chain.rules and chain.rules[n].scope == "member"]
        self.household_outputs = [n for n in self.outputs if n not in self.member_outputs]
        self.columnar = ColumnarProgram(self.program.rules, self.resolved.values,
                                        library.region(region).result.node_types)
        self.availability: dict[str, str] = {
            n: rule.available for n in self.household_outputs
            if (rule := self.program.rules.get(n)) is not None and rule.available is not None}
        self.interpreted_outputs = [n for n in self.outputs if n in self.program.rules and (
            n not in self.columnar.code or self.availability.get(n, n) not in self.columnar.code)]

    def evaluate(self, households: Sequence[Household], lines: Sequence[int]) -> Chunk:
        """Canonical output columns for validated households (their order kept)."""
        batch = batch_from_households(households)
        computed = self.columnar.run(batch, self.as_of, [n for n in [*self.outputs, *self.availability.values()]
                                                         if n in self.columnar.code])
        size, members = len(households), batch.sizes["member"]
        household_cols: dict[str, np.ndarray] = {}
        member_cols: dict[str, np.ndarray] = {}
        unavailable = {name: np.zeros(size, dtype=bool) for name in self.availability}
        redo = np.zeros(size, dtype=bool)
        member_parent = batch.parent["member"]
        for name in self.outputs:
            target, length = (member_cols, members) if name in self.member_outputs else (household_cols, size)
            if name in computed:
                values, bad = canonical(computed[name], self.types[name], length)
            else:
                values, bad = self.parameter_column(name, length)
            condition = self.availability.get(name)
            if condition is not None and condition in computed:
                available, unknown = canonical(computed[condition], t.BOOL, length)
                unavailable[name] = ~available & ~unknown
                bad = (bad & ~unavailable[name]) | unknown
            target[name] = values
            if name in self.member_outputs:
                np.logical_or.at(redo, member_parent, bad)
            else:
                redo |= bad
        if self.interpreted_outputs:
            redo[:] = True
        chunk = Chunk([h.id for h in households], list(lines), household_cols,
                      [(h.id, m.id) for h in households for m in h.members], member_cols, member_parent,
                      np.ones(size, dtype=bool), unavailable=unavailable)
        self.interpret(households, lines, np.flatnonzero(redo), batch.segments("member"), chunk)
        return chunk

    def parameter_column(self, name: str, length: int) -> tuple[np.ndarray, np.ndarray]:
        value = self.resolved.values.get(name)
        if name in self.program.rules or isinstance(value, Unavailable) or value is None:
            return empty_column(self.types[name], length), np.ones(length, dtype=bool)
        return np.full(length, scalar_canonical(value, self.types[name]), dtype=object if _is_object(
            self.types[name]) else None), np.zeros(length, dtype=bool)

    def interpret(self, households: Sequence[Household], lines: Sequence[int], rows: np.ndarray,
                  segments: Segments, chunk: Chunk) -> None:
        """Evaluate some rows with the interpreter; a row that fails is rejected with its reason."""
        starts = segments.starts
        wanted = [n for n in self.outputs if n in self.program.rules]
        for row in rows:
            household = households[row]
            try:
                values, members = self.program.evaluate(household, self.as_of, wanted)
                for name in self.household_outputs:
                    if name in self.availability:
                        chunk.unavailable[name][row] = values[name] is None
                    if name in values and values[name] is not None:
                        chunk.household[name][row] = scalar_canonical(values[name], self.types[name])
                    elif isinstance(self.resolved.values.get(name), Unavailable):
                        raise EvaluationError([Diagnostic("E-EVAL", self.resolved.values[name].message)])
                for offset, member in enumerate(household.members):
                    for name in self.member_outputs:
                        chunk.member[name][starts[row] + offset] = scalar_canonical(members[member.id][name],
                                                                                    self.types[name])
            except DiagnosticError as error:
                chunk.keep[row] = False
                chunk.rejected.append(Rejected(household.id, lines[row], "; ".join(
                    d.message for d in error.diagnostics)))


def _is_object(type_: t.Type) -> bool:
    return isinstance(type_, (t.Enum, t.ListOf)) or type_ in (t.TEXT, t.RATE, t.NUMBER)


def empty_column(type_: t.Type, length: int) -> np.ndarray:
    if _is_object(type_):
        return np.full(length, None, dtype=object)
    if type_ == t.BOOL:
        return np.zeros(length, dtype=bool)
    return np.zeros(length, dtype=np.int64)


def canonical(col: Col, type_: t.Type, length: int) -> tuple[np.ndarray, np.ndarray]:
    """A computed column as plain values: money in fen, dates in days, decimals as exact text."""
    bad = np.broadcast_to(np.asarray(col.bad, dtype=bool), (length,)).copy()
    if col.kind == "bad":
        return empty_column(type_, length), np.ones(length, dtype=bool)
    if isinstance(type_, t.Money):
        fen, rounding_bad = to_fen(col)
        return np.broadcast_to(np.asarray(fen, dtype=np.int64), (length,)).copy(), bad | rounding_bad
    if type_ in (t.RATE, t.NUMBER):
        return _decimal_texts(col, length, bad), bad
    if type_ == t.BOOL:
        return np.broadcast_to(np.asarray(col.data, dtype=bool), (length,)).copy(), bad
    if type_ in (t.INT, t.DATE):
        return np.broadcast_to(np.asarray(col.data, dtype=np.int64), (length,)).copy(), bad
    values = np.empty(length, dtype=object)
    values[:] = np.broadcast_to(np.asarray(col.data, dtype=object), (length,))
    return values, bad


def _decimal_texts(col: Col, length: int, bad: np.ndarray) -> np.ndarray:
    """Exact decimal texts of a rational column; a bad row (overflowed, its value to be recomputed) gives 0."""
    numerators = np.where(bad, 0, np.broadcast_to(np.asarray(col.data, dtype=np.int64), (length,)))
    denominators = np.where(bad, 1, np.broadcast_to(np.asarray(col.den, dtype=np.int64), (length,)))
    pairs, inverse = np.unique(np.stack([numerators, denominators]), axis=1, return_inverse=True)
    texts = np.array([decimal_text(Fraction(int(n), int(d))) for n, d in pairs.T] or [""], dtype=object)
    return texts[np.asarray(inverse).reshape(-1)] if length else np.empty(0, dtype=object)


def decimal_text(value: exact.Number) -> str:
    from engine.outputs import render

    return str(render(value, t.RATE))


def scalar_canonical(value: Any, type_: t.Type) -> Any:
    """One interpreter value in the canonical form of ``canonical``."""
    if isinstance(type_, t.Money):
        return int(round_money(value) * 100)
    if type_ in (t.RATE, t.NUMBER):
        return decimal_text(value)
    if type_ == t.DATE:
        return value.toordinal() - EPOCH
    if type_ == t.BOOL:
        return bool(value)
    if type_ == t.INT:
        return int(value)
    if isinstance(value, (list, tuple, frozenset)):
        return tuple(value)
    return value


# --- reading -----------------------------------------------------------------------------------


Record = tuple[int, Household | list[Diagnostic], object]


def read_jsonl_chunks(path: Path, size: int) -> Iterator[list[tuple[int, Household | Rejected]]]:
    """Chunks of (line, household or rejection) from a JSON Lines file (``-``: standard input)."""
    from engine.household import read_households

    return validated_chunks(read_households(path, fmt="jsonl"), str(path), size)


def validated_chunks(records: Iterator[tuple[int, object]], source: str,
            size: int) -> Iterator[list[tuple[int, Household | Rejected]]]:
    """Validated records in chunks of ``size``, each with its line (or row)."""
    chunk: list[tuple[int, Household | Rejected]] = []
    for line, raw in records:
        chunk.append((line, _validated(raw, source, line)))
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _validated(raw: object, source: str, line: int) -> Household | Rejected:
    from engine.household import Unreadable
    from engine.tables import Orphan

    if isinstance(raw, Orphan):
        return Rejected(None if raw.household_id is None else str(raw.household_id), line, raw.reason)
    if isinstance(raw, Unreadable):
        return Rejected(None, line, "; ".join(d.message for d in raw.diagnostics))
    try:
        return validate_household(raw, source=source, line=line)
    except DiagnosticError as error:
        return Rejected(record_id(raw), line, "; ".join(d.message for d in error.diagnostics))


def read_table_chunks(folder: Path, size: int, encoding: str | None = None
                      ) -> Iterator[list[tuple[int, Household | Rejected]]]:
    """Chunks from a folder of tables (Parquet or CSV) or a workbook; the line of a household is its row (1-based)."""
    from engine.tables import records_from_tables

    return validated_chunks(records_from_tables(folder, encoding), str(folder), size)


def input_chunks(path: Path, size: int, encoding: str | None = None
                 ) -> Iterator[list[tuple[int, Household | Rejected]]]:
    if path.is_dir() or path.suffix.lower() == ".xlsx":
        return read_table_chunks(path, size, encoding)
    if str(path) == "-" or path.suffix in (".jsonl", ".ndjson"):
        return read_jsonl_chunks(path, size)
    raise DiagnosticError([Diagnostic("E-IO", f"{path}: give a JSON Lines file (.jsonl), a folder of tables "
                                      "(households and members as .parquet or .csv) or an Excel workbook (.xlsx)")])


# --- the run ------------------------------------------------------------------------------------


def run_batch(library: PolicyLibrary, region: str, as_of: date, source: Path, out: Path, errors: Path | None = None,
              overrides: dict[str, str] | None = None, chunk_size: int = CHUNK,
              progress: Callable[[int], None] | None = None, *, encoding: str | None = None,
              options: WriteOptions | None = None) -> Summary:
    """Evaluate every household of ``source`` and write ``out`` (by its suffix) and the errors file."""
    import time

    from engine.writers import open_writer

    started = time.perf_counter()
    evaluator = RegionEvaluator(library, region, as_of, overrides)
    summary = Summary(digest=evaluator.resolved.digest, version=evaluator.resolved.chain.version,
                      outputs=evaluator.outputs, interpreter_only={
                          n: evaluator.columnar.unsupported.get(n, "") for n in evaluator.interpreted_outputs})
    errors = errors or default_errors_path(out)
    metadata = {"dibao.region": region, "dibao.date": as_of.isoformat(), "dibao.version": summary.version,
                "dibao.digest": summary.digest, "dibao.tree": json.dumps(library.tree_info(), ensure_ascii=False)}
    writer = open_writer(out, evaluator, metadata, options)
    try:
        with errors.open("w", encoding="utf-8") as error_file:
            for chunk in input_chunks(source, chunk_size, encoding):
                summary.records += len(chunk)
                good = [(line, h) for line, h in chunk if isinstance(h, Household)]
                rejected = [r for _line, r in chunk if isinstance(r, Rejected)]
                if good:
                    answered = evaluator.evaluate([h for _, h in good], [line for line, _ in good])
                    rejected += answered.rejected
                    writer.write(answered)
                    summary.rows += len(good) - len(answered.rejected)
                    _tally(summary, answered)
                for item in sorted(rejected, key=lambda r: r.line):
                    error_file.write(json.dumps(item.as_dict(), ensure_ascii=False) + "\n")
                    summary.count_rejection(item.reason)
                summary.errors += len(rejected)
                if progress is not None:
                    progress(len(chunk))
    finally:
        writer.close()
    summary.seconds = time.perf_counter() - started
    sidecar = out.with_name(out.name + ".meta.json")
    sidecar.write_text(json.dumps({**metadata, "dibao.tree": library.tree_info(), "summary": summary.as_dict()},
                                  ensure_ascii=False, indent=2) + "\n",
                       encoding="utf-8")
    return summary


def _tally(summary: Summary, chunk: Chunk) -> None:
    """Eligible households and the monthly benefit they are paid (rounded to the fen, as paid)."""
    if "dibao.eligible" in chunk.household:
        summary.eligible += int(np.asarray(chunk.household["dibao.eligible"], dtype=bool)[chunk.keep].sum())
    if "dibao.benefit_monthly" in chunk.household:
        summary.benefit_monthly_fen += int(np.asarray(chunk.household["dibao.benefit_monthly"],
                                                      dtype=np.int64)[chunk.keep].sum())


def default_errors_path(out: Path) -> Path:
    """Beside the output, named after it: ``result.parquet`` → ``result.errors.jsonl``."""
    return out.with_name(out.stem + ".errors.jsonl")


def fen_text(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def day_text(days: int) -> str:
    return date.fromordinal(int(days) + EPOCH).isoformat()


def render_canonical(value: Any, type_: t.Type) -> Any:
    """A canonical value as contract JSON."""
    if isinstance(type_, t.Money):
        return fen_text(int(value))
    if type_ == t.DATE:
        return day_text(int(value))
    if type_ == t.BOOL:
        return bool(value)
    if type_ == t.INT:
        return int(value)
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, Decimal):
        return str(value)
    return value
