"""Rejections built from the column checks' flags, in the record validator's words.

The column checks (``engine.batch.column_checks``) say which cells break a rule of their
field alone: a value of the wrong kind, not among the allowed values, not a real date, a
negative amount, a required field left empty. For a household whose every problem is
such a cell, this module writes the diagnostics the record validator
(``engine.household.record``) would write, from those cells alone: the same code, the
same message (the field path, the record validator's words for the value, the record's
id), the same suggestion, in the same order. A household with a problem no cell
describes (a list too long, a rule relating two fields, something only the reader saw),
or a cell whose value the record validator's words do not reject, is left to the record
validator. A test holds the two to the same diagnostics on the bad-input corpus and on
generated records.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from engine.base.diagnostics import Diagnostic, FieldPath, Span
from engine.batch.caseload import Caseload, Rejected, household_rows
from engine.batch.column_checks import Checked
from engine.batch.record_layout import LEVELS, Column, ancestors
from engine.batch.tables import cell_value

# The record validator's words, from the one place they are written (see the module's docstring).
from engine.household.model import CODE
from engine.household.problems import (
    id_words,
    not_in_form,
    out_of_range,
    path_key,
    record_id,
    unknown_value,
    wrong_type,
)
from engine.household.schema import RecordValidator
from engine.household.values import Invalid, check_name, parse_amount, parse_date

I64 = np.int64
_PARSERS = {"money": parse_amount, "isodate": parse_date}


def described(caseload: Caseload, checked: Checked, rows: np.ndarray) -> tuple[list[Rejected], np.ndarray]:
    """The rejections of the bad households ``rows`` that the flags describe, and the rows left to the record
    validator."""
    if not len(rows) or not checked.cells:
        return [], rows
    wanted = np.zeros(caseload.size, dtype=bool)
    wanted[rows] = True
    wanted &= ~checked.opaque
    problems: dict[int, list[tuple[FieldPath, str, str | None]]] = {}
    undescribed = np.zeros(caseload.size, dtype=bool)
    said: dict[tuple[str, str], dict[tuple[type, Any], tuple[str, str | None] | None]] = {}
    parents = checked.converted.parent
    for name, flags in checked.cells.items():
        owners = household_rows(parents, name, caseload.size)
        for column, what, flagged in flags:
            cells = np.flatnonzero(flagged & wanted[owners])
            if not len(cells):
                continue
            paths = _paths(name, cells, parents, column)
            values = _values(caseload.tables[name], column, cells) if what == "value" else [None] * len(cells)
            for cell, path, value in zip(cells, paths, values, strict=True):
                owner = int(owners[cell])
                key = (type(value), value)  # a caseload's bad values repeat: each is worded once
                if what == "required":
                    words: tuple[str, str | None] | None = ("is required", None)
                elif key in said.setdefault((name, column.name), {}):
                    words = said[name, column.name][key]
                else:
                    words = said[name, column.name][key] = value_problem(column, value)
                if words is None:
                    undescribed[owner] = True
                else:
                    problems.setdefault(owner, []).append((path, *words))
    ids = _ids(caseload, rows)
    rejected, left = [], []
    for row, identifier in zip(rows, ids, strict=True):
        row = int(row)
        if not wanted[row] or undescribed[row] or row not in problems:
            left.append(row)
            continue
        line = int(caseload.lines[row])
        usable = record_id({"id": identifier})
        rejected.append(Rejected(usable, line, _diagnostics(problems[row], usable, Span(caseload.source, line, 1))))
    return rejected, np.asarray(left, dtype=I64)


def value_problem(column: Column, value: Any) -> tuple[str, str | None] | None:
    """The record validator's words for a value of a field (and its suggestion), or None when it has none."""
    if value is None:
        return None
    definition = RecordValidator.types_mapping[column.kind]  # the record validator's own type table
    if not isinstance(value, definition.included_types) or isinstance(value, definition.excluded_types):
        return wrong_type(column.kind, value), None
    rules = column.rules
    if column.kind == "string":
        return _text_problem(rules, str(value))
    if column.kind == "whole":
        low, high = rules.get("min"), rules.get("max")
        if (low is not None and value < low) or (high is not None and value > high):
            return out_of_range(low, high, value), None
        return None
    if column.kind in _PARSERS:
        try:
            _PARSERS[column.kind](value)
        except Invalid as problem:
            return str(problem.args[0]), None
    return None


def _text_problem(rules: Any, value: str) -> tuple[str, str | None] | None:
    if rules.get("empty") is False and value == "":
        return "must not be empty", None
    allowed = rules.get("allowed")
    if allowed is not None and value not in allowed:
        return unknown_value(value, tuple(allowed))
    if "regex" in rules and not re.match(f"(?:{rules['regex']})$", value):
        return not_in_form(rules, value), None
    if rules.get("check_with") == "name":
        try:
            check_name(value)
        except Invalid as problem:
            return str(problem.args[0]), None
    return None


def _diagnostics(problems: list[tuple[FieldPath, str, str | None]], usable: str | None, span: Span) -> tuple[
        Diagnostic, ...]:
    """As the record validator orders and words them: by path, then message; the record's id after each."""
    tail = f" (record {id_words(usable)})" if usable is not None else ""
    ordered = sorted(problems, key=lambda p: (path_key(p[0]), p[1])) if len(problems) > 1 else problems
    return tuple(Diagnostic(CODE, f"{_path_text(path)}: {message}{tail}", span, suggestion=suggestion,
                            path=path) for path, message, suggestion in ordered)


def _path_text(path: FieldPath) -> str:
    """``members[1].birth_date`` (as ``field_path_text`` writes it: every key of the layout is a plain name)."""
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in path).lstrip(".")


def _values(table: pa.Table, column: Column, cells: np.ndarray) -> list[Any]:
    """The cells as the record holds them."""
    if column.name not in table.column_names:
        return [None] * len(cells)
    taken = table[column.name].take(pa.array(cells, pa.int64())).to_pylist()
    return [cell_value(value, column) for value in taken]


def _paths(level: str, cells: np.ndarray, parents: dict[str, np.ndarray], column: Column) -> list[FieldPath]:
    """Each cell's field path in its record: ``("members", 1, "incomes", 0, "amount")``."""
    steps: list[tuple[str, np.ndarray]] = []
    rows = cells.astype(I64)
    for name in ancestors(level)[:-1]:  # from the level up to (not including) the household
        parent = parents[name]
        first = np.searchsorted(parent, parent[rows], side="left")  # rows are grouped by parent, in order
        field_name = LEVELS[name].field
        assert field_name is not None
        steps.append((field_name, rows - first))
        rows = parent[rows]
    steps.reverse()
    return [tuple(part for key, index in steps for part in (key, int(index[i]))) + column.path
            for i in range(len(cells))]


def _ids(caseload: Caseload, rows: Sequence[int] | np.ndarray) -> list[Any]:
    table = caseload.tables["household"]
    if "id" not in table.column_names:
        return [None] * len(rows)
    column = LEVELS["household"].column("id")
    return [cell_value(v, column) for v in table["id"].take(pa.array(np.asarray(rows, dtype=I64))).to_pylist()]
