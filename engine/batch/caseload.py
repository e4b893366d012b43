"""A caseload chunk as tables, and the columnar batch built from it.

A :class:`Caseload` holds the households of one chunk as Arrow tables, one per level of
the record (``engine.batch.record_layout``): households, members, incomes, expenses, events,
requests. A child table's ``parent`` column gives the row of its parent in this chunk,
and rows are grouped by parent, in parent order. Readers of every input format produce
caseloads; ``engine.batch.column_checks`` validates them column by column and converts their
values (money to integer fen, dates to days since 1970, enumerations to codes), and
:func:`batch_of` lays the households that passed out as the columnar evaluator's
:class:`~engine.batch.column_batch.Batch`. Absent optional values have explicit encodings, exactly
as the interpreter's field table reads them: no disability is grade 0 and category
``"none"``, an event without a cause has cause ``"none"``, a request for no member has
member ``""``, a missing date sets the column's ``*_missing`` flag.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
import pyarrow as pa

from engine.base.diagnostics import Diagnostic, DiagnosticError, FieldPath, Span, field_path_text
from engine.batch.column_batch import Batch, Deferred
from engine.batch.record_layout import LEVELS, Column, ancestors
from engine.household.record import Household, record_id, validate_household
from engine.household.vocabulary import in_force
from engine.language.columns import Coded, Vocab

I64 = np.int64


@dataclass
class Rejected:
    """A record that produced no output row: where it was (its line or row) and why, as diagnostics (the
    record validator's, the evaluation's, or the batch's own)."""

    id: str | None
    line: int
    diagnostics: tuple[Diagnostic, ...]

    @property
    def reason(self) -> str:
        """Every problem's words in one line (the errors file's ``reason``)."""
        return "; ".join(d.message for d in self.diagnostics)

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "line": self.line, "reason": self.reason,
                "diagnostics": [diagnostic_entry(d, self.line) for d in self.diagnostics]}


def rejection(identifier: str | None, line: int, code: str, message: str, path: FieldPath | None = None,
              source: str = "") -> Rejected:
    """A record rejected for one problem."""
    return Rejected(identifier, line, (Diagnostic(code, message, Span(source, line, 1), path=path),))


def diagnostic_entry(diagnostic: Diagnostic, line: int) -> dict[str, Any]:
    """One problem of a rejected record as the errors file holds it: code, message, field path, the record's
    line or row, and the other places involved; the problem's own place where it is not the record (a policy
    file's line), a suggestion and notes where there are."""
    entry: dict[str, Any] = {"code": diagnostic.code, "message": diagnostic.message, "path": diagnostic.path_text,
                             "line": line, "related": [r.as_dict() for r in diagnostic.related]}
    span = diagnostic.span
    if span is not None and span.line != line:
        entry["span"] = {"file": span.file, "line": span.line, "column": span.column}
    if diagnostic.suggestion is not None:
        entry["suggestion"] = diagnostic.suggestion
    if diagnostic.notes:
        entry["notes"] = list(diagnostic.notes)
    return entry


@dataclass
class Caseload:
    """The households of one chunk as tables (see the module's docstring).

    ``lines`` gives each household's line (JSON Lines) or row (tables) in its source;
    ``suspect`` marks households in which the reader saw something only the record
    validator can judge (an explicit ``null`` where none is allowed, say); ``records``
    gives the raw records of some household rows, for the record validator's messages
    and for the interpreter; ``households`` gives validated households when they are
    already known. ``unique_ids`` says that no household id of the chunk appears anywhere
    else in its source (the table reader checks the whole households table first), so the
    batch need not remember the chunk's ids to find repeats.
    """

    tables: dict[str, pa.Table]
    lines: np.ndarray
    suspect: np.ndarray
    records: Callable[[Sequence[int]], list[object]]
    source: str = ""
    known: Sequence[Household] | None = field(default=None, repr=False)
    unique_ids: bool = False

    @property
    def size(self) -> int:
        return len(self.lines)


# --- from validated households ----------------------------------------------------------------------

# As the JSON Lines reader types them, so that both kinds of part make one caseload.
ARROW_TYPES = {"string": pa.string(), "boolean": pa.bool_(), "whole": pa.int64(), "money": pa.string(),
               "isodate": pa.string()}


def _value(obj: Any, column: Column) -> Any:
    for part in column.path:
        obj = getattr(obj, part) if obj is not None else None
    if isinstance(obj, Decimal):
        return str(obj)
    if isinstance(obj, date):
        return obj.isoformat()
    return obj


def caseload_from_households(households: Sequence[Household], lines: Sequence[int], source: str = "",
                             records: Sequence[object] | None = None) -> Caseload:
    """Validated households as a caseload (each column typed as the record schema says)."""
    objects: dict[str, list[Any]] = {"household": list(households)}
    parents: dict[str, list[int]] = {}
    for level in list(LEVELS.values())[1:]:
        assert level.parent is not None and level.field is not None
        rows: list[Any] = []
        parent_rows: list[int] = []
        for index, owner in enumerate(objects[level.parent]):
            items = getattr(owner, level.field)
            rows.extend(items)
            parent_rows.extend([index] * len(items))
        objects[level.name], parents[level.name] = rows, parent_rows
    tables = {}
    for name, level in LEVELS.items():
        columns = {c.name: pa.array([_value(o, c) for o in objects[name]], ARROW_TYPES[c.kind])
                   for c in level.columns}
        if name in parents:
            columns["parent"] = pa.array(parents[name], pa.int64())
        tables[name] = pa.table(columns) if columns else pa.table({"parent": pa.array([], pa.int64())})
    kept = list(records) if records is not None else None
    return Caseload(tables, np.asarray(lines, dtype=I64), np.zeros(len(households), dtype=bool),
                    (lambda rows: [kept[r] for r in rows]) if kept is not None else _no_records, source,
                    known=list(households))


def record_problem(raw: object, source: str, line: int) -> Rejected | None:
    """Why the record validator rejects a record (every problem, as ``dibao evaluate`` words them), or None."""
    try:
        validate_household(raw, source=source, line=line)
    except DiagnosticError as error:
        return Rejected(record_id(raw), line, tuple(error.diagnostics))
    except Exception as error:  # the validator failing on a record rejects that record
        return rejection(record_id(raw), line, "E-HOUSEHOLD", f"record: could not be checked ({_words(error)})",
                         (), source)
    surrogate = lone_surrogate(raw)
    if surrogate is not None:
        return rejection(None, line, "E-HOUSEHOLD", f"{field_path_text(surrogate)}: holds a lone surrogate (a half "
                         f"of a UTF-16 pair, such as \\ud800), which is not a character and cannot be written",
                         surrogate, source)
    return None


def lone_surrogate(value: object, path: FieldPath = ()) -> FieldPath | None:
    """The path of the first text in a record that is not Unicode text (a lone surrogate), if any."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return path
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            found = lone_surrogate(key, path) if isinstance(key, str) else None
            found = found if found is not None else lone_surrogate(item, (*path, str(key)))
            if found is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = lone_surrogate(item, (*path, index))
            if found is not None:
                return found
    return None


def from_records(items: Sequence[tuple[int, object]], source: str, rejected: list[Rejected]) -> Caseload:
    """Records validated one at a time: the valid ones as a caseload, the others added to ``rejected``."""
    households, lines, records = [], [], []
    for line, raw in items:
        problem = record_problem(raw, source, line)
        if problem is not None:
            rejected.append(problem)
            continue
        households.append(validate_household(raw, source=source, line=line))
        lines.append(line)
        records.append(raw)
    return caseload_from_households(households, lines, source, records)


def one_by_one(caseload: Caseload, rejected: list[Rejected]) -> Caseload:
    """A caseload rebuilt from its records, each validated on its own (the record validator's verdicts)."""
    rows = list(range(caseload.size))
    items = list(zip((int(line) for line in caseload.lines), caseload.records(rows), strict=True))
    return from_records(items, caseload.source, rejected)


def _words(error: BaseException) -> str:
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    return text[:200]


def _no_records(rows: Sequence[int]) -> list[object]:
    raise LookupError("these households were given validated; their records are not kept")


def concat(parts: Sequence[Caseload]) -> Caseload:
    """Caseloads one after the other, as one (parent rows renumbered)."""
    if len(parts) == 1:
        return parts[0]
    tables: dict[str, pa.Table] = {}
    for name, level in LEVELS.items():
        pieces, offset = [], 0
        for part in parts:
            table = part.tables[name]
            if level.parent is not None:
                shifted = pa.array(np.asarray(table["parent"], dtype=I64) + offset, pa.int64())
                table = table.set_column(table.schema.get_field_index("parent"), "parent", shifted)
                offset += part.tables[level.parent].num_rows
            pieces.append(table)
        tables[name] = pa.concat_tables(pieces, promote_options="permissive")
    starts = np.cumsum([0] + [p.size for p in parts])

    def records(rows: Sequence[int]) -> list[object]:
        found = []
        for row in rows:
            index = int(np.searchsorted(starts, row, side="right")) - 1
            found.extend(parts[index].records([row - int(starts[index])]))
        return found

    return Caseload(tables, np.concatenate([p.lines for p in parts]), np.concatenate([p.suspect for p in parts]),
                    records, parts[0].source)


# --- the columnar batch --------------------------------------------------------------------------------


def _vocabulary(column: Column) -> Vocab | None:
    if column.allowed is None:
        return None
    optional = not column.required or column.group is not None
    return Vocab(tuple(column.allowed) + (("none",) if optional and "none" not in column.allowed else ()))


_VOCABULARIES: dict[tuple[object, ...], dict[tuple[str, str], Vocab]] = {}


def vocabularies() -> dict[tuple[str, str], Vocab]:
    """Codes for every enumerated column, per (level, column), with the kinds of the vocabulary in force (one
    set of ``Vocab``s per vocabulary); an event's cause is one of its kind's causes (a rule relating two
    fields, so not in the schema's allowed values)."""
    vocabulary = in_force()
    found = _VOCABULARIES.get(vocabulary.signature)
    if found is None:
        found = {(level.name, column.name): vocab for level in LEVELS.values() for column in level.columns
                 if (vocab := _vocabulary(column)) is not None}
        found[("event", "cause")] = Vocab((*sorted(vocabulary.all_causes), "none"))
        found = _VOCABULARIES.setdefault(vocabulary.signature, found)
    return found


@dataclass
class Converted:
    """A caseload's columns in the batch's encodings (every row; meaningless where the row is bad)."""

    columns: dict[str, dict[str, Any]]
    parent: dict[str, np.ndarray]
    sizes: dict[str, int]


def batch_of(converted: Converted, keep: np.ndarray) -> Batch:
    """The batch of the households kept (their children with them), events sorted by date as the
    interpreter sees them."""
    masks = {"household": keep}
    parents: dict[str, np.ndarray] = {}
    for name, level in list(LEVELS.items())[1:]:
        assert level.parent is not None
        upper = masks[level.parent]
        parent = converted.parent[name]
        masks[name] = upper[parent] if len(parent) else np.zeros(0, dtype=bool)
        renumber = None if upper.all() else np.cumsum(upper) - 1
        kept = parent if renumber is None else renumber[parent[masks[name]]]
        parents[name] = kept.astype(I64, copy=False)
    columns = {name: {key: _take(value, masks[name]) for key, value in converted.columns[name].items()}
               for name in LEVELS}
    order = _events_by_date(parents["event"], columns["event"].get("date"))
    if order is not None:
        columns["event"] = {key: _take(value, order) for key, value in columns["event"].items()}
        parents["event"] = parents["event"][order]
    sizes = {name: int(mask.sum()) for name, mask in masks.items()}
    return Batch(sizes, parents, columns)


def _events_by_date(parent: np.ndarray, days: Any) -> np.ndarray | None:
    """The order putting each household's events by date (None when they already are)."""
    if days is None or len(parent) < 2:
        return None
    step = np.diff(parent)
    if bool(((step > 0) | ((step == 0) & (np.diff(days) >= 0))).all()):
        return None
    return np.lexsort((days, parent))  # stable: events of one day keep their order


def _take(value: Any, rows: np.ndarray) -> Any:
    """The column's values at ``rows`` (a mask or row numbers); the column itself when a mask keeps every row."""
    if rows.dtype == bool and rows.all():
        return value
    if isinstance(value, Coded):
        return Coded(value.codes[rows], value.vocab)
    if isinstance(value, Deferred):
        make = value.make
        return Deferred(lambda: make()[rows])
    return value[rows]


def household_rows(parent: dict[str, np.ndarray], level: str, households: int) -> np.ndarray:
    """For each row of a level, its household row."""
    if level == "household":
        return np.arange(households, dtype=I64)
    index = parent[level]
    for upper in ancestors(level)[1:-1]:
        index = parent[upper][index]
    return index
