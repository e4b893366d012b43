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
from typing import Any

import numpy as np
import pyarrow as pa

from engine.base.diagnostics import Diagnostic, DiagnosticError, Span
from engine.batch.caseload import Caseload, Rejected, batch_of, caseload_from_households, one_by_one, record_problem
from engine.batch.column_checks import check
from engine.batch.columnar import ColumnarProgram
from engine.batch.output_columns import Unheld, arrow_column, canonical, constant_column, empty_column, store
from engine.batch.rejections import described
from engine.household.record import Household, validate_household
from engine.language import types as t
from engine.policy.resolve import Unavailable
from engine.runtime.evaluation import EvaluationError
from engine.runtime.library import PolicyLibrary

I64 = np.int64


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
                    store(self.values[name], row, values[name], evaluator.types[name], name)
                elif isinstance(evaluator.resolved.values.get(name), Unavailable):
                    raise EvaluationError([Diagnostic("E-EVAL", evaluator.resolved.values[name].message)])
            for offset, member in enumerate(household.members):
                for name in evaluator.member_outputs:
                    store(self.values[name], first_member + offset, members[member.id][name], evaluator.types[name],
                           name)
        except DiagnosticError as error:
            return tuple(d if d.span is not None else replace(d, span=place) for d in error.diagnostics)
        except Unheld as problem:
            return (Diagnostic("E-EVAL", str(problem), place),)
        except Exception as error:  # one household's failure is its own rejection, never its chunk's
            return (Diagnostic("E-EVAL", f"could not be evaluated: {_words(error)}", place),)
        return ()

    def tables(self, caseload: Caseload, rows: np.ndarray, member_rows: np.ndarray, member_parent: np.ndarray,
               answered: np.ndarray) -> tuple[pa.Table, pa.Table | None]:
        evaluator = self.evaluator
        ids = _rows_of(_text_column(caseload.tables["household"], "id"), rows)
        kept = _kept(answered)
        household = {"id": kept(ids)}
        for name in evaluator.household_outputs:
            household[name] = kept(arrow_column(self.values[name], evaluator.types[name], self.unavailable.get(name)))
        if not evaluator.member_outputs:
            return pa.table(household), None
        kept = _kept(answered[member_parent] if len(member_parent) else np.zeros(0, dtype=bool))
        member = {"household_id": kept(ids.take(pa.array(member_parent, pa.int64()))),
                  "member_id": kept(_rows_of(_text_column(caseload.tables["member"], "id"), member_rows))}
        for name in evaluator.member_outputs:
            member[name] = kept(arrow_column(self.values[name], evaluator.types[name]))
        return pa.table(household), pa.table(member)


def _rows_of(column: pa.Array, rows: np.ndarray) -> pa.Array:
    """The column's values at ``rows`` (increasing row numbers): the column itself when they are all of it."""
    return column if len(rows) == len(column) else column.take(pa.array(rows, pa.int64()))


def _kept(mask: np.ndarray) -> Callable[[pa.Array], pa.Array]:
    """A filter keeping the rows marked in ``mask`` (nothing to do when every row is kept)."""
    if mask.all():
        return lambda column: column
    arrow_mask = pa.array(mask)
    return lambda column: column.filter(arrow_mask)


def _text_column(table: pa.Table, name: str) -> pa.Array:
    column = table[name].combine_chunks()
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    return column if pa.types.is_string(column.type) else column.cast(pa.string())
