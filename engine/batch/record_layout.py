"""The household record laid out as tables: levels, their columns and each column's rules.

Everything here is derived from the one schema of the household record
(``engine.household.record``): a list of objects is a *level* with a table of its own
(``members`` → the ``member`` level, table ``members``), a scalar field is a column, and
the fields of a nested object are columns of their level (``disability.grade`` is the
member column ``disability_grade``; the fields of ``status`` keep their own names). A
child table names its parents by id (``household_id``, ``member_id``). The table reader,
the JSON Lines reader, the column-wise validator and the columnar batch all read this
layout, so a field added to the record schema is a column everywhere without being
listed again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine.household.record import _EARLIEST, _LATEST, _SCHEMA  # one source for every reader of the record
from engine.household.schema import allowed_values

#: The first and last day a date in a record may be.
DATE_RANGE = (_EARLIEST, _LATEST)

#: Nested objects whose fields are columns under their own names (the others are prefixed).
UNPREFIXED = frozenset({"status"})
ROOT = "household"


@dataclass(frozen=True)
class Column:
    """One column of a level: where its value sits in the record and the schema's rules for it."""

    level: str
    name: str
    path: tuple[str, ...]  # inside one record of the level: ("birth_date",), ("disability", "grade")
    rules: Mapping[str, Any]
    group: str | None  # the nested object holding the field, if any

    @property
    def kind(self) -> str:
        return str(self.rules["type"])

    @property
    def required(self) -> bool:
        return bool(self.rules.get("required", False))

    @property
    def nullable(self) -> bool:
        return bool(self.rules.get("nullable", False))

    @property
    def allowed(self) -> tuple[str, ...] | None:
        """The values the field allows; the kinds are the vocabulary's in force (a batch puts its region's)."""
        return allowed_values(self.rules)


@dataclass(frozen=True)
class Level:
    """One list of objects in the record (or the record itself), as one table."""

    name: str  # household, member, income, …
    table: str  # households, members, incomes, …
    field: str | None  # the list's field in the parent record (None for the household)
    parent: str | None
    rules: Mapping[str, Any]  # the list's own rules (maxlength, minlength, required)
    columns: tuple[Column, ...]
    groups: Mapping[str, Mapping[str, Any]]  # nested object → its rules

    @property
    def links(self) -> tuple[str, ...]:
        """The columns naming the parent rows: ``household_id``, then ``member_id`` for a member's rows."""
        return tuple(f"{name}_id" for name in reversed(ancestors(self.name)[1:]))

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    def group_columns(self, group: str) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.group == group)


def _level(name: str, field: str | None, parent: str | None, rules: Mapping[str, Any],
           fields: Mapping[str, Mapping[str, Any]], found: dict[str, Level]) -> None:
    """Add the level and, after it, the levels of its lists (parents before children)."""
    columns: list[Column] = []
    groups: dict[str, Mapping[str, Any]] = {}
    children = [(key, rules) for key, rules in fields.items() if rules["type"] == "array"]
    for key, field_rules in fields.items():
        kind = field_rules["type"]
        if kind == "array":
            continue
        if kind == "dict":
            groups[key] = field_rules
            prefix = "" if key in UNPREFIXED else f"{key}_"
            columns += [Column(name, prefix + sub, (key, sub), sub_rules, key)
                        for sub, sub_rules in field_rules["schema"].items()]
        else:
            columns.append(Column(name, key, (key,), field_rules, None))
    table = "households" if field is None else field
    found[name] = Level(name, table, field, parent, rules, tuple(columns), groups)
    for key, list_rules in children:
        _level(key.removesuffix("s"), key, name, list_rules, list_rules["schema"]["schema"], found)


def _levels() -> dict[str, Level]:
    found: dict[str, Level] = {}
    _level(ROOT, None, None, {}, _SCHEMA, found)
    return found


LEVELS: dict[str, Level] = _levels()
PARENT: dict[str, str] = {name: level.parent for name, level in LEVELS.items() if level.parent is not None}


def ancestors(level: str) -> list[str]:
    """The level and every level above it, nearest first."""
    chain = [level]
    while chain[-1] in PARENT:
        chain.append(PARENT[chain[-1]])
    return chain


def table_columns(level: Level) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A table's (required, optional) columns: the links and the required fields outside nested objects
    are required; every other field may be left out (its value is then absent in every row)."""
    required = [*level.links] + [c.name for c in level.columns if c.required and c.group is None]
    optional = [c.name for c in level.columns if c.name not in required]
    return tuple(required), tuple(optional)


def batch_columns(level: str) -> frozenset[str]:
    """The columns a columnar batch has at a level: the record's fields, and a ``*_missing`` flag for each
    optional date or amount (an absent one has no value to stand in for it)."""
    names = set()
    for column in LEVELS[level].columns:
        names.add(column.name)
        if column.kind in ("isodate", "money") and (not column.required or column.group is not None):
            names.add(f"{column.name}_missing")
    return frozenset(names)


def nullable_keys() -> frozenset[str]:
    """Field names that may be written ``null`` wherever they occur in a record."""
    seen: dict[str, bool] = {}

    def visit(fields: Mapping[str, Mapping[str, Any]]) -> None:
        for key, rules in fields.items():
            seen[key] = seen.get(key, True) and bool(rules.get("nullable", False))
            if rules["type"] == "dict":
                visit(rules["schema"])
            elif rules["type"] == "array":
                visit(rules["schema"]["schema"])

    visit(_SCHEMA)
    return frozenset(key for key, nullable in seen.items() if nullable)
