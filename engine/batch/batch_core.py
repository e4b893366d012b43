"""One chunk of a caseload through one region's rules, answered as Arrow tables.

:meth:`RegionEvaluator.answer` takes a :class:`~engine.batch.caseload.Caseload` (households as
tables), validates it column by column, words the rejections of the households that break
a rule from the column checks' flags (``engine.batch.rejections``; the record validator
words those the flags cannot describe), evaluates the others with the compiled columnar
program and hands the households it marks as not computed to the interpreter, so both
paths answer the same. The answer is a household table (``id`` and every household
output) and a member table (``household_id``, ``member_id`` and every member output),
typed as the outputs are (money as ``decimal128(20, 2)`` from integer fen), and the
rejected records with their reasons: every household of the chunk is in exactly one of
the two. A failure inside one household's evaluation rejects that household alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from fractions import Fraction
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from engine.base import exact
from engine.base.diagnostics import Diagnostic, DiagnosticError, Span
from engine.batch.caseload import Caseload, Rejected, batch_of, caseload_from_households, one_by_one, record_problem
from engine.batch.column_checks import check
from engine.batch.columnar import EPOCH, Col, ColumnarProgram, ListTable, decoded, outside_calendar, to_fen
from engine.batch.rejections import described
from engine.household.record import Household, validate_household
from engine.language import types as t
from engine.policy.resolve import Unavailable
from engine.runtime.evaluation import EvaluationError
from engine.runtime.library import PolicyLibrary
from engine.runtime.outputs import round_money

I64 = np.int64
INT64_MAX = np.iinfo(I64).max


@dataclass
class Answer:
    """A chunk's answers: one row per household answered, one per member of those, and the rest rejected."""

    household: pa.Table
    member: pa.Table | None
    rejected: list[Rejected] = field(default_factory=list)
    member_counts: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=I64))  # per household row

    @property
    def rows(self) -> int:
        return int(self.household.num_rows)


# Households of a chunk not to evaluate, and why (by chunk row), given which ones are valid records.
Screen = Callable[[Caseload, np.ndarray], dict[int, Diagnostic]]


class RegionEvaluator:
    """One region on one date, compiled for columns, with the interpreter beside it."""

    def __init__(self, library: PolicyLibrary, region: str, as_of: date,
                 overrides: dict[str, str] | None = None) -> None:
        self.library = library
        self.region = region
        self.resolved = library.resolve(region, as_of, overrides)
        self.as_of = as_of
        self.program = library.program(self.resolved)
        chain = self.resolved.chain
        self.outputs = chain.outputs()
        self.types = {n: (chain.rules[n].type if n in chain.rules else chain.parameters[n].type)
                      for n in self.outputs}
        self.member_outputs = [n for n in self.outputs if n in chain.rules and chain.rules[n].scope == "member"]
        self.household_outputs = [n for n in self.outputs if n not in self.member_outputs]
        self.columnar = ColumnarProgram(self.program.rules, self.resolved.values)
        self.availability: dict[str, str] = {  # output → the rule saying for which households it is available
            n: rule.available for n in self.household_outputs
            if (rule := self.program.rules.get(n)) is not None and rule.available is not None}
        self.interpreted_outputs = [n for n in self.outputs if n in self.program.rules and (
            n not in self.columnar.code or self.availability.get(n, n) not in self.columnar.code)]

    # --- the chunk ------------------------------------------------------------------------------

    def answer(self, caseload: Caseload, screen: Screen | None = None) -> Answer:
        """Validate, evaluate and answer every household of a chunk (see the module's docstring)."""
        caseload, checked, keep, rejected = self._admitted(caseload, screen)
        rows = np.flatnonzero(keep)
        batch = batch_of(checked.converted, keep)
        outputs = Outputs(self, len(rows), batch.sizes["member"])
        redo = outputs.compute(batch)
        answered = np.ones(len(rows), dtype=bool)
        if redo.any():
            starts = batch.segments("member").starts
            positions = np.flatnonzero(redo)
            for position, household in zip(positions, _households(caseload, rows[positions]), strict=True):
                line = int(caseload.lines[rows[position]])
                problems = outputs.interpret(household, int(position), int(starts[position]), Span(caseload.source,
                                                                                                    line, 1))
                if problems:
                    answered[position] = False
                    rejected.append(Rejected(household.id, line, problems))
        member_parent = batch.parent["member"]
        member_rows = np.flatnonzero(caseload_members(caseload, keep))
        household, member = outputs.tables(caseload, rows, member_rows, member_parent, answered)
        counts = np.bincount(member_parent, minlength=len(rows))[answered] if len(rows) else np.zeros(0, dtype=I64)
        return Answer(household, member, rejected, counts)

    def _admitted(self, caseload: Caseload, screen: Screen | None) -> tuple[Caseload, Any, np.ndarray, list[Rejected]]:
        """The households to evaluate (valid records the screen lets through) and the rejections of the rest."""
        rejected: list[Rejected] = []
        turned_away: dict[int, Diagnostic] | None = None
        try:
            checked = check(caseload)
            turned_away = screen(caseload, ~checked.bad) if screen is not None else {}
            to_explain = np.flatnonzero(checked.bad & ~_marked(caseload.size, turned_away))
            rejected, to_explain = described(caseload, checked, to_explain)  # from the column checks' flags
            agreed = _explained(caseload, to_explain, rejected)
        except Exception:  # a table the column checks cannot read: the records are checked one by one
            agreed = False
        if not agreed:  # the record validator has the last word; the slow way, with its verdicts
            caseload, checked, turned_away, rejected = self._one_by_one(caseload, turned_away, screen)
        assert turned_away is not None
        rejected += [Rejected(_id_of(caseload, row), int(caseload.lines[row]), (reason,))
                     for row, reason in turned_away.items()]
        return caseload, checked, ~checked.bad & ~_marked(caseload.size, turned_away), rejected

    @staticmethod
    def _one_by_one(caseload: Caseload, turned_away: dict[int, Diagnostic] | None,
                    screen: Screen | None) -> tuple[Caseload, Any, dict[int, Diagnostic], list[Rejected]]:
        """The chunk with every record validated on its own; households already turned away stay so."""
        away_lines = {int(caseload.lines[row]): reason for row, reason in (turned_away or {}).items()}
        rejected: list[Rejected] = []
        rebuilt = one_by_one(caseload, rejected)
        rejected = [r for r in rejected if r.line not in away_lines]
        checked = check(rebuilt)
        checked.bad[:] = False  # every household left passed the record validator
        if turned_away is None:
            again = screen(rebuilt, ~checked.bad) if screen is not None else {}
        else:
            again = {row: away_lines[int(line)] for row, line in enumerate(rebuilt.lines) if int(line) in away_lines}
            rejected += [Rejected(None, line, (reason,)) for line, reason in away_lines.items()
                         if line not in set(int(x) for x in rebuilt.lines)]
        return rebuilt, checked, again, rejected

    def evaluate(self, households: Sequence[Household], lines: Sequence[int] | None = None) -> Answer:
        """Answers for households already validated (their order kept)."""
        numbers = list(lines) if lines is not None else list(range(1, len(households) + 1))
        return self.answer(caseload_from_households(households, numbers))

    def parameter_value(self, name: str) -> Any:
        value = self.resolved.values.get(name)
        return None if name in self.program.rules or isinstance(value, Unavailable) else value


def _marked(size: int, rows: dict[int, Diagnostic]) -> np.ndarray:
    mask = np.zeros(size, dtype=bool)
    mask[list(rows)] = True
    return mask


def _id_of(caseload: Caseload, row: int) -> str | None:
    value = caseload.tables["household"]["id"][row].as_py() if "id" in caseload.tables["household"].column_names \
        else None
    return value if isinstance(value, str) else None


def caseload_members(caseload: Caseload, keep: np.ndarray) -> np.ndarray:
    parent = np.asarray(caseload.tables["member"]["parent"], dtype=I64)
    return keep[parent] if len(parent) else np.zeros(0, dtype=bool)


def _explained(caseload: Caseload, rows: np.ndarray, rejected: list[Rejected]) -> bool:
    """The record validator's reasons for the households the column checks found bad; False when it
    accepts one of them (the two validators disagree)."""
    if not len(rows):
        return True
    for row, raw in zip(rows, caseload.records([int(r) for r in rows]), strict=True):
        problem = record_problem(raw, caseload.source, int(caseload.lines[row]))
        if problem is None:
            return False
        rejected.append(problem)
    return True


def _households(caseload: Caseload, rows: np.ndarray) -> list[Household]:
    if caseload.known is not None:
        return [caseload.known[int(r)] for r in rows]
    return [validate_household(raw) for raw in caseload.records([int(r) for r in rows])]


def _words(error: BaseException) -> str:
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    return text[:200]


# --- outputs -------------------------------------------------------------------------------------


class Outputs:
    """A chunk's outputs in canonical columns (money in fen, dates in days), then as Arrow tables."""

    def __init__(self, evaluator: RegionEvaluator, households: int, members: int) -> None:
        self.evaluator = evaluator
        self.size = {"household": households, "member": members}
        self.values: dict[str, Any] = {}
        self.unavailable = {name: np.zeros(households, dtype=bool) for name in evaluator.availability}

    def level(self, name: str) -> str:
        return "member" if name in self.evaluator.member_outputs else "household"

    def compute(self, batch: Any) -> np.ndarray:
        """Run the columnar program; the households it could not answer (to ask the interpreter)."""
        evaluator = self.evaluator
        redo = np.zeros(self.size["household"], dtype=bool)
        if evaluator.interpreted_outputs:
            redo[:] = True
        try:
            wanted = [*evaluator.outputs, *evaluator.availability.values()]
            computed = evaluator.columnar.run(batch, evaluator.as_of,
                                              [n for n in wanted if n in evaluator.columnar.code])
        except Exception:  # a construct met only at run time, or a failure: the interpreter answers every household
            computed, redo[:] = {}, True
        for name in evaluator.outputs:
            level = self.level(name)
            length = self.size[level]
            type_ = evaluator.types[name]
            if name in computed:
                values, bad = canonical(computed[name], type_, length)
            elif evaluator.parameter_value(name) is not None:
                values, bad = constant_column(evaluator.parameter_value(name), type_, length)
            else:
                values, bad = empty_column(type_, length), np.ones(length, dtype=bool)
            condition = evaluator.availability.get(name)
            if condition is not None and condition in computed:  # not available: null, whatever its value
                available, unknown = canonical(computed[condition], t.BOOL, length)
                self.unavailable[name] = ~available & ~unknown
                bad = (bad & ~self.unavailable[name]) | unknown
            self.values[name] = values
            if level == "member":
                if bad.any():
                    redo[batch.parent["member"][bad]] = True
            else:
                redo |= bad
        return redo

    def interpret(self, household: Household, row: int, first_member: int,
                  place: Span | None = None) -> tuple[Diagnostic, ...]:
        """One household by the interpreter, into its rows; the problems when it cannot be answered (at ``place``,
        the household's line or row, where they have no place of their own)."""
        evaluator = self.evaluator
        wanted = [n for n in evaluator.outputs if n in evaluator.program.rules]
        try:
            values, members = evaluator.program.evaluate(household, evaluator.as_of, wanted)
            for name in evaluator.household_outputs:
                if name in evaluator.availability:
                    self.unavailable[name][row] = name in values and values[name] is None
                if name in values and values[name] is not None:
                    _store(self.values[name], row, values[name], evaluator.types[name], name)
                elif isinstance(evaluator.resolved.values.get(name), Unavailable):
                    raise EvaluationError([Diagnostic("E-EVAL", evaluator.resolved.values[name].message)])
            for offset, member in enumerate(household.members):
                for name in evaluator.member_outputs:
                    _store(self.values[name], first_member + offset, members[member.id][name], evaluator.types[name],
                           name)
        except DiagnosticError as error:
            return tuple(d if d.span is not None else replace(d, span=place) for d in error.diagnostics)
        except _Unheld as problem:
            return (Diagnostic("E-EVAL", str(problem), place),)
        except Exception as error:  # one household's failure is its own rejection, never its chunk's
            return (Diagnostic("E-EVAL", f"could not be evaluated: {_words(error)}", place),)
        return ()

    def tables(self, caseload: Caseload, rows: np.ndarray, member_rows: np.ndarray, member_parent: np.ndarray,
               answered: np.ndarray) -> tuple[pa.Table, pa.Table | None]:
        evaluator = self.evaluator
        ids = _text_column(caseload.tables["household"], "id").take(pa.array(rows, pa.int64()))
        household = {"id": ids.filter(pa.array(answered))}
        for name in evaluator.household_outputs:
            household[name] = arrow_column(self.values[name], evaluator.types[name],
                                           self.unavailable.get(name)).filter(pa.array(answered))
        if not evaluator.member_outputs:
            return pa.table(household), None
        kept = answered[member_parent] if len(member_parent) else np.zeros(0, dtype=bool)
        member_ids = _text_column(caseload.tables["member"], "id").take(pa.array(member_rows, pa.int64()))
        member = {"household_id": ids.take(pa.array(member_parent, pa.int64())).filter(pa.array(kept)),
                  "member_id": member_ids.filter(pa.array(kept))}
        for name in evaluator.member_outputs:
            member[name] = arrow_column(self.values[name], evaluator.types[name]).filter(pa.array(kept))
        return pa.table(household), pa.table(member)


def _text_column(table: pa.Table, name: str) -> pa.Array:
    column = table[name].combine_chunks()
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    return column if pa.types.is_string(column.type) else column.cast(pa.string())


class _Unheld(Exception):
    """A value the output's column cannot hold exactly."""


def _store(column: Any, row: int, value: Any, type_: t.Type, name: str = "") -> None:
    canonical_value = scalar_canonical(value, type_)
    if isinstance(canonical_value, int) and not isinstance(canonical_value, bool) and abs(canonical_value) > INT64_MAX:
        from engine.runtime.outputs import render

        raise _Unheld(f"{name}: {render(value, type_)} is beyond what the output's column holds exactly "
                      f"(64-bit integers; money to {fen_limit()} yuan)")
    if isinstance(column, ListColumn):
        column.patches[row] = canonical_value
    else:
        column[row] = canonical_value


def fen_limit() -> str:
    return f"{INT64_MAX // 100:,}"


class ListColumn:
    """A list output: the columnar lists, and the rows the interpreter answered."""

    def __init__(self, ids: np.ndarray, table: ListTable) -> None:
        self.ids = ids
        self.table = table
        self.patches: dict[int, tuple[Any, ...]] = {}

    def __len__(self) -> int:
        return len(self.ids)

    def arrow(self) -> pa.Array:
        starts, ends = self.table.offsets[self.ids], self.table.offsets[self.ids + 1]
        if self.patches:
            lists = [self.patches.get(i, tuple(self.table.values[a:b]))
                     for i, (a, b) in enumerate(zip(starts, ends, strict=True))]
            return pa.array([list(v) for v in lists], pa.list_(pa.string()))
        lengths = ends - starts
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(I64)
        picks = np.repeat(starts - offsets[:-1], lengths) + np.arange(offsets[-1], dtype=I64)
        return pa.ListArray.from_arrays(pa.array(offsets.astype(np.int32)),
                                        pa.array(self.table.values[picks], pa.string()))


def _is_object(type_: t.Type) -> bool:
    return isinstance(type_, (t.Enum, t.ListOf)) or type_ in (t.TEXT, t.RATE, t.NUMBER)


def empty_column(type_: t.Type, length: int) -> Any:
    if isinstance(type_, t.ListOf):
        return ListColumn(np.zeros(length, dtype=I64), ListTable(np.zeros(2, dtype=I64), np.empty(0, dtype=object)))
    if _is_object(type_):
        return np.full(length, None, dtype=object)
    if type_ == t.BOOL:
        return np.zeros(length, dtype=bool)
    return np.zeros(length, dtype=I64)


def constant_column(value: Any, type_: t.Type, length: int) -> tuple[Any, np.ndarray]:
    column = empty_column(type_, length)
    try:
        for row in range(length) if isinstance(column, ListColumn) else ():
            _store(column, row, value, type_)
        if not isinstance(column, ListColumn):
            column[:] = scalar_canonical(value, type_)
    except (OverflowError, _Unheld):
        return column, np.ones(length, dtype=bool)
    return column, np.zeros(length, dtype=bool)


def canonical(col: Col, type_: t.Type, length: int) -> tuple[Any, np.ndarray]:
    """A computed column as plain values: money in fen, dates in days, decimals as exact text."""
    bad = np.broadcast_to(np.asarray(col.bad, dtype=bool), (length,)).copy()
    if col.kind == "bad":
        return empty_column(type_, length), np.ones(length, dtype=bool)
    if isinstance(type_, t.Money):
        fen, rounding_bad = to_fen(col)
        return np.broadcast_to(np.asarray(fen, dtype=I64), (length,)).copy(), bad | rounding_bad
    if type_ in (t.RATE, t.NUMBER):
        return _decimal_texts(col, length, bad), bad
    if type_ == t.BOOL:
        return np.broadcast_to(np.asarray(col.data, dtype=bool), (length,)).copy(), bad
    if type_ == t.DATE:
        days = np.broadcast_to(np.asarray(col.data, dtype=I64), (length,)).copy()
        return days, bad | outside_calendar(days)
    if type_ == t.INT:
        return np.broadcast_to(np.asarray(col.data, dtype=I64), (length,)).copy(), bad
    if col.kind == "list":
        return ListColumn(np.broadcast_to(np.asarray(col.data, dtype=I64), (length,)).copy(), col.den), bad
    values = np.empty(length, dtype=object)
    values[:] = np.broadcast_to(np.asarray(decoded(col).data, dtype=object), (length,))
    return values, bad


def _decimal_texts(col: Col, length: int, bad: np.ndarray) -> np.ndarray:
    """Exact decimal text per row, worked out once per distinct value; a bad row (overflowed, its value to be
    recomputed) gives 0."""
    numerators = np.where(bad, 0, np.broadcast_to(np.asarray(col.data, dtype=I64), (length,)))
    denominators = np.where(bad, 1, np.broadcast_to(np.asarray(col.den, dtype=I64), (length,)))
    texts = np.empty(length, dtype=object)
    for den in np.unique(denominators) if length else ():
        rows = np.flatnonzero(denominators == den)
        distinct, inverse = np.unique(numerators[rows], return_inverse=True)
        words = np.array([decimal_text(Fraction(int(n), int(den))) for n in distinct], dtype=object)
        texts[rows] = words[np.asarray(inverse).reshape(-1)]
    return texts


def decimal_text(value: exact.Number) -> str:
    from engine.runtime.outputs import render

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


def money_column(fen: np.ndarray) -> pa.Array:
    """Fen as ``decimal128(20, 2)`` yuan: a decimal of scale 2 holds exactly the fen, as a 128-bit integer."""
    words = np.empty((len(fen), 2), dtype=I64)
    words[:, 0] = fen  # the low 64 bits, then the sign extended into the high ones
    words[:, 1] = fen >> 63
    return pa.Array.from_buffers(pa.decimal128(20, 2), len(fen), [None, pa.py_buffer(words)])


def arrow_column(values: Any, type_: t.Type, missing: np.ndarray | None = None) -> pa.Array:
    """Canonical values as a typed Arrow column (money in fen → decimal(20, 2); days → date32); rows marked
    ``missing`` (an output not available for the household) are null."""
    column = _arrow_values(values, type_)
    if missing is None or not missing.any():
        return column
    return pc.if_else(pa.array(missing, pa.bool_()), pa.nulls(len(column), column.type), column)


def _arrow_values(values: Any, type_: t.Type) -> pa.Array:
    if isinstance(values, ListColumn):
        return values.arrow()
    if isinstance(type_, t.Money):
        return money_column(np.asarray(values, dtype=I64))
    if type_ == t.DATE:  # days since 1970 are what date32 holds
        return pa.array(np.asarray(values, dtype=np.int32), pa.int32()).cast(pa.date32())
    if type_ == t.BOOL:
        return pa.array(np.asarray(values, dtype=bool), pa.bool_())
    if type_ == t.INT:
        return pa.array(np.asarray(values, dtype=I64), pa.int64())
    return pa.array(values, pa.string(), from_pandas=True)
