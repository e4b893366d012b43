"""Types of the rules language and the rules that combine them.

Money carries a period (``month``, ``year``, or none for a lump sum such as a requested
amount); mixing periods is an error whose message says how to convert. Text may be an
enumeration (its allowed values known), which lets the checker catch misspelt codes.
Lists and records describe the household: members, incomes, events.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Type:
    """Base of all types."""

    def __str__(self) -> str:
        return self.name()

    def name(self) -> str:
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class Money(Type):
    period: str = ""  # "month", "year" or "" (a lump sum)

    def name(self) -> str:
        return f"money/{self.period}" if self.period else "money"


@dataclass(frozen=True, slots=True)
class Scalar(Type):
    """int, number (exact decimal), rate, bool, date, text."""

    kind: str

    def name(self) -> str:
        return self.kind


@dataclass(frozen=True, slots=True)
class Duration(Type):
    unit: str  # months, days, working_days

    def name(self) -> str:
        return f"duration({self.unit.replace('_', ' ')})"


@dataclass(frozen=True, slots=True)
class Enum(Type):
    """Text restricted to a set of values, named for messages (e.g. ``income kind``)."""

    label: str  # "" for the type of a text literal: it prints as text
    values: frozenset[str]

    def name(self) -> str:
        return f"enum({self.label})" if self.label else "text"


@dataclass(frozen=True, slots=True)
class ListOf(Type):
    element: Type

    def name(self) -> str:
        return f"list({self.element.name()})"


@dataclass(frozen=True, slots=True)
class SetOf(Type):
    element: Type

    def name(self) -> str:
        return f"set({self.element.name()})"


@dataclass(frozen=True, slots=True)
class Record(Type):
    """A household record shape (member, income, event…): field name → type."""

    label: str
    fields: tuple[tuple[str, Type], ...] = field(default=())

    def name(self) -> str:
        return self.label

    def field_type(self, name: str) -> Type | None:
        for key, value in self.fields:
            if key == name:
                return value
        return None


MONEY_MONTH = Money("month")
MONEY_YEAR = Money("year")
MONEY_LUMP = Money("")
INT = Scalar("int")
NUMBER = Scalar("number")
RATE = Scalar("rate")
BOOL = Scalar("bool")
DATE = Scalar("date")
TEXT = Scalar("text")
ANY = Scalar("any")  # only for an empty set literal and error recovery
NUMERIC = (INT, NUMBER, RATE)


def is_numeric(t: Type) -> bool:
    return t in NUMERIC


def is_text(t: Type) -> bool:
    return t == TEXT or isinstance(t, Enum)


def numeric_result(left: Type, right: Type) -> Type:
    """int∘int → int, rate∘rate → rate, anything else numeric → number."""
    if left == right:
        return left
    return NUMBER


def unify(left: Type, right: Type) -> Type | None:
    """The type both branches of an ``if`` or a table share, or None."""
    if left == right:
        return left
    if left == ANY:
        return right
    if right == ANY:
        return left
    if is_numeric(left) and is_numeric(right):
        return NUMBER
    if is_text(left) and is_text(right):
        if isinstance(left, Enum) and isinstance(right, Enum):
            return Enum(left.label or right.label, left.values | right.values)
        return TEXT  # an enumeration and any text: any text
    if isinstance(left, ListOf) and isinstance(right, ListOf):
        inner = unify(left.element, right.element)
        return ListOf(inner) if inner else None
    if isinstance(left, SetOf) and isinstance(right, SetOf):
        inner = unify(left.element, right.element)
        return SetOf(inner) if inner else None
    return None


def assignable(value: Type, target: Type) -> bool:
    """Can a value of type ``value`` stand where ``target`` is declared?"""
    if value in (target, ANY) or target == ANY:
        return True
    if target == NUMBER and value in (INT, RATE):
        return True
    if target == RATE and value in (INT, NUMBER):
        return True
    if target == TEXT and isinstance(value, Enum):
        return True
    if isinstance(target, Enum) and isinstance(value, Enum):
        return value.values <= target.values
    if isinstance(target, ListOf) and isinstance(value, ListOf):
        return assignable(value.element, target.element)
    if isinstance(target, SetOf) and isinstance(value, SetOf):
        return assignable(value.element, target.element)
    return False


_TYPE_NAMES: dict[str, Type] = {
    "money/month": MONEY_MONTH,
    "money/year": MONEY_YEAR,
    "money": MONEY_LUMP,
    "int": INT,
    "integer": INT,
    "number": NUMBER,
    "decimal": NUMBER,
    "rate": RATE,
    "bool": BOOL,
    "date": DATE,
    "text": TEXT,
    "duration(months)": Duration("months"),
    "duration(days)": Duration("days"),
    "duration(working days)": Duration("working_days"),
}
_ENUM = re.compile(r"^enum\(\s*([A-Za-z0-9_]+(\s*,\s*[A-Za-z0-9_]+)*)\s*\)$")
_LIST = re.compile(r"^list\((.+)\)$")
_SET = re.compile(r"^set\((.+)\)$")

TYPE_SYNTAX = [*sorted(_TYPE_NAMES), "enum(a, b, …)", "list(T)", "set(T)"]


def parse_type(text: str) -> Type | None:
    """A type written in a policy file (``money/year``, ``enum(township, county)``…), or None."""
    text = text.strip()
    if text in _TYPE_NAMES:
        return _TYPE_NAMES[text]
    enum = _ENUM.match(text)
    if enum:
        values = frozenset(v.strip() for v in enum.group(1).split(","))
        return Enum("/".join(sorted(values)), values)
    inner = _LIST.match(text)
    if inner:
        element = parse_type(inner.group(1))
        return ListOf(element) if element is not None else None
    inner = _SET.match(text)
    if inner:
        element = parse_type(inner.group(1))
        return SetOf(element) if element is not None else None
    return None


def period_hint(left: Type, right: Type) -> str:
    """How to convert when two money periods meet."""
    if isinstance(left, Money) and isinstance(right, Money):
        if "" in (left.period, right.period):
            return "a lump sum has no period; compare it with another lump sum"
        return "convert one side with per_month(...) or per_year(...)"
    return ""
