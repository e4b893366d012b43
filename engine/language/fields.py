"""The household as the rules language sees it: record shapes, names and accessors.

One table per record (member, income, expense, event, request) maps a field name to its
type, a plain accessor ``(record, as_of) -> value`` and how the field is read from the
columns of a batch of households (``column``: a reader of ``engine.language.columns``
columns; without one, the batch column of the field's name, read by its type). The
checker reads the types, the interpreter the accessors, the columnar compiler the column
readers; a derived field (``elderly``) is written once, as a test both forms apply. The
household model itself is ``engine.household.record``.
The kinds and causes are enumerations whose values are a vocabulary's: the module-level
tables carry the bundled vocabulary's, and ``household_fields(vocabulary)`` the same tables
with a policy tree region's kinds (its rules are checked against them).
Absent optional values have explicit encodings: a member without a disability has grade
0 and category ``"none"``; an event without a cause has cause ``"none"``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import numpy as np

from engine.household.record import (
    DISABILITY_CATEGORIES,
    EDUCATION_LEVELS,
    EVENT_CAUSES,
    EVENT_KINDS,
    EXPENSE_KINDS,
    INCOME_KINDS,
    LABOUR_CAPACITIES,
    REQUEST_KINDS,
    TEKUN_SUPPORTS,
    Event,
    Expense,
    Household,
    Member,
)
from engine.household.vocabulary import Vocabulary
from engine.language import column_calendar as cal
from engine.language import columns as c
from engine.language import types as t
from engine.language.builtins import age_on
from engine.language.columns import Col, Columns

Accessor = Callable[[Any, date], object]
ColumnReader = Callable[[Columns], Col]  # a derived field's column at its record's level


class MissingValue(ValueError):
    """A household field read by a rule is not set in the record (e.g. ``status.dibao_since``)."""


@dataclass(frozen=True, slots=True)
class Field:
    type: t.Type
    get: Accessor
    doc: str
    column: ColumnReader | None = None  # None: the batch column of the field's name, read by its type

    def read_column(self, columns: Columns, level: str, name: str) -> Col:
        """The field's column at ``level``; ``name`` is its batch column when it has no reader of its own."""
        if self.column is not None:
            return self.column(columns)
        return c.stored_column(columns, level, name, _column_kind(self.type))


def _column_kind(type_: t.Type) -> str:
    if isinstance(type_, t.Money):
        return "rat"
    kinds: dict[t.Type, str] = {t.BOOL: "bool", t.DATE: "date", t.INT: "int"}
    return kinds.get(type_, "obj")


def _enum(label: str, values: frozenset[str] | tuple[str, ...] | set[str]) -> t.Enum:
    return t.Enum(label, frozenset(values))


INCOME_KIND = _enum("income kind", INCOME_KINDS)
EXPENSE_KIND = _enum("expense kind", EXPENSE_KINDS)
EVENT_KIND = _enum("event kind", EVENT_KINDS)
EVENT_CAUSE = _enum("event cause", {c for causes in EVENT_CAUSES.values() for c in causes} | {"none"})
REQUEST_KIND = _enum("request kind", REQUEST_KINDS)
PER = _enum("period", {"month", "year"})
LABOUR = _enum("labour capacity", LABOUR_CAPACITIES)
CATEGORY = _enum("disability category", set(DISABILITY_CATEGORIES) | {"none"})
CERTIFICATE = _enum("disability certificate", {"second_generation", "other", "none"})
LEVEL = _enum("education level", EDUCATION_LEVELS)
TEKUN_SUPPORT = _enum("tekun support", TEKUN_SUPPORTS)


def _attr(name: str) -> Accessor:
    def get(record: object, _as_of: date) -> object:
        return getattr(record, name)

    get.__name__ = f"get_{name}"
    return get


def _yearly_fen(columns: Columns, level: str) -> tuple[np.ndarray, Any]:
    """Every amount of a level as fen per year (exact: a monthly amount times 12), and the rows that
    could overflow."""
    fen, per = columns.stored(level, "amount"), columns.stored(level, "per")
    return c.choose(per.codes == per.vocab.index["year"], fen, fen * 12), c.guard((fen, 12))


def _per_month_column(level: str) -> ColumnReader:
    def read(columns: Columns) -> Col:
        yearly, bad = _yearly_fen(columns, level)
        return Col("rat", yearly, 1200, bad)  # yuan per month = fen per year / 1200, one denominator for all

    return read


def _per_year_column(level: str) -> ColumnReader:
    def read(columns: Columns) -> Col:
        yearly, bad = _yearly_fen(columns, level)
        return Col("rat", yearly, 100, bad)

    return read


def _amount_fields(kind: t.Enum, level: str) -> dict[str, Field]:
    return {
        "kind": Field(kind, _attr("kind"), "what the amount is"),
        "amount": Field(t.MONEY_LUMP, _attr("amount"), "the amount as recorded"),
        "per": Field(PER, _attr("per"), "month or year"),
        "monthly": Field(t.MONEY_MONTH, _attr("monthly"), "the amount per month (a yearly amount divided by 12)",
                         _per_month_column(level)),
        "annual": Field(t.MONEY_YEAR, _attr("annual"), "the amount per year (a monthly amount times 12)",
                        _per_year_column(level)),
    }


def _stated_column(level: str, name: str) -> ColumnReader:
    """An enumerated field that may be absent (coded ``none``): the rows without it are bad, as the
    interpreter, which names the record's field, cannot read them either."""
    def read(columns: Columns) -> Col:
        value = columns.stored(level, name)
        return Col("cat", value.codes, value.vocab, value.codes == value.vocab.index["none"])

    return read


def _level(expense: object, _as_of: date) -> object:
    assert isinstance(expense, Expense)
    if expense.level is None:
        what = ("an education expense" if expense.kind == "education"
                else f"a {expense.kind} expense (only education has one)")
        raise MissingValue(f"{expense.path}.level: {what} with no level of schooling (compulsory, high_school, "
                           "vocational, college); this region's rule depends on it: add the level to the record")
    return expense.level


INCOME_FIELDS = _amount_fields(INCOME_KIND, "income")
EXPENSE_FIELDS = {**_amount_fields(EXPENSE_KIND, "expense"),
                  "level": Field(LEVEL, _level, "the level of schooling of an education expense",
                                 _stated_column("expense", "level"))}
INCOME = t.Record("income", tuple((k, f.type) for k, f in INCOME_FIELDS.items()))
EXPENSE = t.Record("expense", tuple((k, f.type) for k, f in EXPENSE_FIELDS.items()))


def _age(member: object, as_of: date) -> int:
    assert isinstance(member, Member)
    return age_on(member.birth_date, as_of)


def _grade(member: object, _as_of: date) -> int:
    assert isinstance(member, Member)
    return member.disability.grade if member.disability else 0


def _ages(columns: Columns) -> Any:
    return columns.cached("age", lambda: cal.age_on(columns.stored("member", "birth_date"), columns.as_of_days))


def _by_age(test: Callable[[Any], Any], doc: str) -> Field:
    """A yes/no field of a member's age; ``test`` is written once and applied to one age or a column of ages."""
    return Field(t.BOOL, lambda m, d: bool(test(_age(m, d))), doc, lambda columns: Col("bool", test(_ages(columns))))


def _by_grade(test: Callable[[Any], Any], doc: str) -> Field:
    """A yes/no field of a member's disability grade (0 without one), written once for both forms."""
    return Field(t.BOOL, lambda m, d: bool(test(_grade(m, d))), doc,
                 lambda columns: Col("bool", test(columns.stored("member", "disability_grade"))))


def _disability(name: str) -> Accessor:
    def get(member: object, _as_of: date) -> object:
        assert isinstance(member, Member)
        return getattr(member.disability, name) if member.disability else "none"

    return get


MEMBER_FIELDS: dict[str, Field] = {
    "id": Field(t.TEXT, _attr("id"), "the member's id in the record"),
    "birth_date": Field(t.DATE, _attr("birth_date"), "date of birth"),
    "age": Field(t.INT, _age, "age in whole years on the evaluation date (the birthday counts)",
                 lambda columns: Col("int", _ages(columns))),
    "elderly": _by_age(lambda age: age >= 60, "60 or older on the evaluation date"),
    "minor": _by_age(lambda age: age < 18, "under 18 on the evaluation date"),
    "adult": _by_age(lambda age: age >= 18, "18 or older on the evaluation date"),
    "disabled": _by_grade(lambda grade: grade > 0, "holds a disability certificate (of grade 1 to 4)"),
    "disability_grade": Field(t.INT, _grade, "1 (most severe) to 4; 0 without a disability"),
    "disability_category": Field(CATEGORY, _disability("category"), "physical, visual, … or none"),
    "disability_certificate": Field(CERTIFICATE, _disability("certificate"), "second_generation, other or none"),
    "severely_disabled": _by_grade(lambda grade: (grade >= 1) & (grade <= 2), "disability grade 1 or 2"),
    "seriously_ill": Field(t.BOOL, _attr("seriously_ill"), "has a recognised serious illness"),
    "labour_capacity": Field(LABOUR, _attr("labour_capacity"), "full, partial or none"),
    "employed": Field(t.BOOL, _attr("employed"), "in work"),
    "applies_single_person": Field(t.BOOL, _attr("applies_single_person"), "applies to be covered as a 单人户"),
    "incomes": Field(t.ListOf(INCOME), _attr("incomes"), "the member's incomes"),
    "expenses": Field(t.ListOf(EXPENSE), _attr("expenses"), "the member's expenses"),
}
MEMBER = t.Record("member", tuple((k, f.type) for k, f in MEMBER_FIELDS.items()))

def _income_change(name: str) -> Accessor:
    """The yearly household income before or after an income_fell event (a monthly amount times 12)."""
    def get(event: object, _as_of: date) -> object:
        assert isinstance(event, Event)
        amount = getattr(event, name)
        if amount is None:
            raise MissingValue(f"a {event.kind} event of {event.date} has no {name} (only income_fell events "
                               f"have one); select income_fell events first")
        return amount * 12 if event.per == "month" else amount

    get.__name__ = f"get_{name}"
    return get


def _income_change_column(name: str) -> ColumnReader:
    """An income_fell event's household income per year (a monthly amount times 12), in fen; rows of
    events without one are bad (the interpreter words why)."""
    def read(columns: Columns) -> Col:
        fen, per = columns.stored("event", name), columns.stored("event", "per")
        monthly = per.codes == per.vocab.index["month"]
        return Col("rat", c.choose(monthly, fen * 12, fen), 100, columns.missing("event", name))

    return read


EVENT_FIELDS: dict[str, Field] = {
    "kind": Field(EVENT_KIND, _attr("kind"), "what happened"),
    "date": Field(t.DATE, _attr("date"), "when it happened"),
    "cause": Field(EVENT_CAUSE, lambda e, d: e.cause or "none", "why (none when not given)"),
    "income_before": Field(t.MONEY_YEAR, _income_change("income_before"),
                           "income_fell: the household's income per year before the fall",
                           _income_change_column("income_before")),
    "income_after": Field(t.MONEY_YEAR, _income_change("income_after"),
                          "income_fell: the household's income per year after the fall",
                          _income_change_column("income_after")),
}
EVENT = t.Record("event", tuple((k, f.type) for k, f in EVENT_FIELDS.items()))

REQUEST_FIELDS: dict[str, Field] = {
    "kind": Field(REQUEST_KIND, _attr("kind"), "temporary_assistance or medical_assistance"),
    "amount": Field(t.MONEY_LUMP, _attr("amount"), "the amount requested"),
    "member": Field(t.TEXT, lambda r, d: r.member or "", "the member it is for (empty when none)"),
}
REQUEST = t.Record("request", tuple((k, f.type) for k, f in REQUEST_FIELDS.items()))

RECORD_FIELDS: dict[str, dict[str, Field]] = {
    "member": MEMBER_FIELDS,
    "income": INCOME_FIELDS,
    "expense": EXPENSE_FIELDS,
    "event": EVENT_FIELDS,
    "request": REQUEST_FIELDS,
}


def _status(name: str) -> Accessor:
    def get(household: object, _as_of: date) -> object:
        assert isinstance(household, Household)
        return getattr(household.status, name)

    return get


def _status_optional(name: str, guard: str) -> Accessor:
    def get(household: object, _as_of: date) -> object:
        assert isinstance(household, Household)
        value = getattr(household.status, name)
        if value is None:
            raise MissingValue(f"status.{name} is not set in household {household.id!r}; {guard}")
        return value

    return get


def _status_date(name: str) -> Accessor:
    def get(household: object, _as_of: date) -> object:
        assert isinstance(household, Household)
        value = getattr(household.status, name)
        if value is None:
            raise MissingValue(f"status.{name} is not set in household {household.id!r}; "
                               f"guard the rule with status.{'on_dibao' if name == 'dibao_since' else 'monitored'}")
        return value

    return get


def _stated_date(name: str) -> ColumnReader:
    """Whether the household's optional date ``name`` is set."""
    return lambda columns: Col("bool", ~np.asarray(columns.missing("household", name), dtype=bool))


HOUSEHOLD_NAMES: dict[str, Field] = {
    "as_of": Field(t.DATE, lambda h, d: d, "the evaluation date"),
    "members": Field(t.ListOf(MEMBER), lambda h, d: h.members, "the household's members"),
    "events": Field(t.ListOf(EVENT), lambda h, d: h.events, "events, oldest first"),
    "requests": Field(t.ListOf(REQUEST), lambda h, d: h.requests, "requests for assistance"),
    "household.id": Field(t.TEXT, _attr("id"), "the record's id"),
    "household.hukou": Field(t.TEXT, _attr("hukou"), "where the household is registered"),
    "household.size": Field(t.INT, lambda h, d: len(h.members), "number of members (at least 1)",
                            lambda columns: Col("int", columns.children("member"))),
    "status.registered_poor": Field(t.BOOL, _status("registered_poor"), "in the poverty register (建档立卡)"),
    "status.lifted_out": Field(t.BOOL, _status("lifted_out"), "lifted out of poverty"),
    "status.tekun": Field(t.BOOL, _status("tekun"), "extreme-poverty person (特困)"),
    "status.children_support_sufficient": Field(t.BOOL, _status("children_support_sufficient"),
                                                "children can sufficiently support the household"),
    "status.on_dibao": Field(t.BOOL, lambda h, d: h.status.dibao_since is not None,
                             "a current dibao recipient (dibao_since is set)", _stated_date("dibao_since")),
    "status.dibao_since": Field(t.DATE, _status_date("dibao_since"), "dibao since (guard with status.on_dibao)"),
    "status.monitored": Field(t.BOOL, lambda h, d: h.status.monitored_since is not None,
                              "currently monitored (monitored_since is set)", _stated_date("monitored_since")),
    "status.monitored_since": Field(t.DATE, _status_date("monitored_since"),
                                    "monitored since (guard with status.monitored)"),
    "status.tekun_support": Field(TEKUN_SUPPORT, _status_optional(
        "tekun_support", "this region's rule needs it for a tekun household: add dispersed (分散供养) or "
        "centralised (集中供养) to the record"), "how a tekun person is supported (read only when tekun)",
        _stated_column("household", "tekun_support")),
    "status.current_benefit_monthly": Field(t.MONEY_MONTH, _status_optional(
        "current_benefit_monthly", "the benefit is not available without the payment the household "
        "receives now: add it to the record"), "the dibao payment the household receives now"),
}

# Names whose value is never zero, so dividing by them needs no guard.
POSITIVE_NAMES = frozenset({"household.size"})


@dataclass(frozen=True)
class HouseholdFields:
    """The names the rules language reads in a household, with their types, for one vocabulary."""

    names: dict[str, Field]  # household-level names: members, events, status.…
    records: dict[str, dict[str, Field]]  # record label → field name → field
    member: t.Record


BUNDLED_FIELDS = HouseholdFields(HOUSEHOLD_NAMES, RECORD_FIELDS, MEMBER)
_BY_VOCABULARY: dict[tuple[object, ...], HouseholdFields] = {}
_LOCK = threading.Lock()


def household_fields(vocabulary: Vocabulary | None = None) -> HouseholdFields:
    """The field tables with the kinds and causes of ``vocabulary`` (the bundled tables when None)."""
    if vocabulary is None:
        return BUNDLED_FIELDS
    found = _BY_VOCABULARY.get(vocabulary.signature)
    if found is None:
        with _LOCK:
            found = _BY_VOCABULARY.setdefault(vocabulary.signature, _fields_for(vocabulary))
    return found


def _fields_for(vocabulary: Vocabulary) -> HouseholdFields:
    kinds: dict[t.Type, t.Type] = {
        INCOME_KIND: _enum(INCOME_KIND.label, vocabulary.income_kinds),
        EXPENSE_KIND: _enum(EXPENSE_KIND.label, vocabulary.expense_kinds),
        EVENT_KIND: _enum(EVENT_KIND.label, vocabulary.event_kinds),
        EVENT_CAUSE: _enum(EVENT_CAUSE.label, {*vocabulary.all_causes, "none"}),
    }
    if all(old == new for old, new in kinds.items()):
        return BUNDLED_FIELDS

    def typed(found: t.Type) -> t.Type:
        if found in kinds:
            return kinds[found]
        if isinstance(found, t.ListOf):
            return t.ListOf(typed(found.element))
        if isinstance(found, t.SetOf):
            return t.SetOf(typed(found.element))
        if isinstance(found, t.Record):
            return t.Record(found.label, tuple((name, typed(inner)) for name, inner in found.fields))
        return found

    def table(fields: dict[str, Field]) -> dict[str, Field]:
        return {name: replace(each, type=typed(each.type)) for name, each in fields.items()}

    member = typed(MEMBER)
    assert isinstance(member, t.Record)
    return HouseholdFields(table(HOUSEHOLD_NAMES), {label: table(f) for label, f in RECORD_FIELDS.items()}, member)
