"""Household records: validate the raw record, normalise it into frozen dataclasses.

This stage takes a household record as parsed from JSON, JSON Lines or YAML (see the
household record in the project contract and ``docs/households.md``) and either returns
a :class:`Household` or reports every problem it found as ``E-HOUSEHOLD`` diagnostics.

Contract of the stage
---------------------
* ``validate_household(record)`` returns a ``Household`` or raises ``DiagnosticError``
  carrying *all* problems, sorted by field path. ``household_errors(record)`` returns the
  same diagnostics without raising. No input, however malformed, produces any other
  exception.
* Every message starts with the field path, e.g.
  ``members[1].incomes[0].amount: must not be negative``; a problem with the record as a
  whole uses the path ``record``. The diagnostic's ``path`` holds the same path as data
  (``("members", 1, "incomes", 0, "amount")``; the empty tuple for the whole record), so
  no caller parses it back out of the message. When the record's ``id`` is a usable string the
  message ends with ``(record <id>)`` so a batch run can name it. Read from a file,
  the span is the line and column where the value (or its key) is written; a record
  handed in as Python data is placed at ``Span(source, line or 1, 1)``.
* Structure (types, required fields, allowed values, unknown fields) is checked by a
  cerberus schema built once per thread; values (amounts, dates, names) by small
  ``check_with`` functions; cross-field rules (duplicate member ids, request member
  references, event causes) by small functions over the raw record.
* Money is exact: amounts become ``decimal.Decimal``. JSON is parsed with
  ``parse_float=Decimal``, and YAML by the strict loader policy files use
  (``engine.base.yaml_source``): a number is plain decimal digits or it stays text, so
  ``0750`` is the amount 750 and ``0x2EE`` or ``1_000`` are rejected, never converted, and
  no binary float is involved. A Python ``float`` handed in directly is read from its shortest
  ``repr`` (``267.5`` -> ``Decimal("267.5")``), then checked like any other amount.
* Dates become ``datetime.date``; YAML dates are kept as their text and parsed
  here, so an impossible date is a located error rather than a loader crash.

Defaults (each one documented, none silent)
-------------------------------------------
* member ``disability``: absent or ``null`` means no disability (``None``).
* member ``seriously_ill``, ``employed``, ``applies_single_person``: ``false``.
* member ``incomes``, ``expenses``: empty.
* ``status``: absent means every flag below at its default; inside it the booleans
  ``registered_poor``, ``lifted_out``, ``tekun``, ``children_support_sufficient``
  default to ``false`` and the dates ``dibao_since``, ``monitored_since`` to ``null``.
* ``events``, ``requests``: empty. ``events[].cause`` and ``requests[].member``: ``null``
  (a cause is required exactly for the event kinds that have causes).
* An explicit ``null`` is accepted only where the default is ``null``; a ``null``
  boolean, list or object is an error (leave the field out to get its default).

Value rules
-----------
* Amounts: a decimal string (``"1200"``, ``"267.50"``; digits, an optional ``-`` and an
  optional fraction, nothing else) or a JSON number; finite, not negative, at most 2
  decimal places (yuan.fen), at most 1,000,000,000,000. Booleans are not numbers.
* Dates: ``YYYY-MM-DD`` text (or a ``date`` object), a real calendar day, between
  1900-01-01 and 2100-12-31.
* Ids (household, member) are non-blank strings; ``hukou`` is a lower-case region
  name (``hebi``, ``inner_mongolia``: letters, digits, ``_`` or ``-``).
* Sizes, so that one record's cost is bounded: at most 50 members, 50 incomes and 50
  expenses per member, 200 events and 50 requests; longer lists are reported and only
  their first items checked.

Readers
-------
``read_households(path)`` yields ``(line, raw_record)`` pairs; a line that cannot be
read becomes an :class:`Unreadable` carrying its diagnostics (``E-JSON``, ``E-YAML``),
so no record is ever lost. ``load_households(path)`` yields, per record, a ``Household``
or the list of its diagnostics. ``.json`` holds one object, ``.yaml``/``.yml`` one
mapping, ``.jsonl`` one object per line (blank lines skipped). The path ``-`` reads
standard input (JSON Lines for the batch readers, one JSON object for
``load_household``). Problems with the file itself raise ``DiagnosticError`` (``E-IO``).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Context, Decimal
from fractions import Fraction
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar, NamedTuple

import cerberus
import cerberus.errors

from engine.base import exact
from engine.base.diagnostics import Diagnostic, DiagnosticError, FieldPath, Related, Span, did_you_mean
from engine.base.json_source import JsonPositions
from engine.base.yaml_source import load_yaml_text

__all__ = [
    "CERTIFICATES",
    "DISABILITY_CATEGORIES",
    "EDUCATION_LEVELS",
    "EVENT_CAUSES",
    "EVENT_KINDS",
    "EXPENSE_KINDS",
    "INCOME_KINDS",
    "LABOUR_CAPACITIES",
    "MAX_AMOUNT",
    "MAX_EVENTS",
    "MAX_FLOWS",
    "MAX_MEMBERS",
    "MAX_REQUESTS",
    "PERIODS",
    "REQUEST_KINDS",
    "TEKUN_SUPPORTS",
    "Disability",
    "Event",
    "Expense",
    "Household",
    "Income",
    "Member",
    "Request",
    "Status",
    "Unreadable",
    "household_errors",
    "load_household",
    "load_households",
    "parse_household_text",
    "read_household_text",
    "read_households",
    "record_id",
    "validate_household",
]

# --------------------------------------------------------------------------------------
# The vocabulary of the record (order as in the contract; used in messages)

_INCOME_ORDER = (
    "wages", "business", "agriculture", "property", "private_transfer", "dividends",
    "industry_support", "basic_pension_base", "basic_pension_other", "honour_allowance",
    "survivor_compensation", "preferential_payment", "student_living_allowance",
    "student_hardship_subsidy", "land_compensation", "reward_subsidy", "social_assistance", "other",
)
_EXPENSE_ORDER = ("medical", "education", "employment_cost", "disability", "other")
_EVENT_ORDER = ("income_exceeded", "monitoring_application", "shock", "expenditure_resolved", "income_fell")
_CAUSE_ORDER: dict[str, tuple[str, ...]] = {
    "income_exceeded": (
        "flexible_employment", "migrant_work", "self_employment", "industry_support",
        "dividends", "death", "voluntary_exit", "land_compensation", "concealment", "other",
    ),
    "monitoring_application": (),
    "shock": ("illness", "schooling", "disaster", "epidemic", "accident"),
    "expenditure_resolved": (),
    "income_fell": (),
}
#: Event kinds that record an amount of household income before and after the event.
_INCOME_CHANGE_KINDS = ("income_fell",)
_INCOME_CHANGE_KEYS = ("income_before", "income_after", "per")
_CATEGORY_ORDER = (
    "physical", "visual", "hearing", "speech", "intellectual", "mental", "multiple",
)
_CAPACITY_ORDER = ("full", "partial", "none")
_REQUEST_ORDER = ("temporary_assistance", "medical_assistance")
_CERTIFICATE_ORDER = ("second_generation", "other")
_PERIOD_ORDER = ("month", "year")
_LEVEL_ORDER = ("compulsory", "high_school", "vocational", "college")
_TEKUN_SUPPORT_ORDER = ("dispersed", "centralised")

INCOME_KINDS: frozenset[str] = frozenset(_INCOME_ORDER)
EXPENSE_KINDS: frozenset[str] = frozenset(_EXPENSE_ORDER)
EVENT_KINDS: frozenset[str] = frozenset(_EVENT_ORDER)
#: Causes allowed per event kind; kinds without causes map to an empty set.
EVENT_CAUSES: Mapping[str, frozenset[str]] = MappingProxyType(
    {kind: frozenset(causes) for kind, causes in _CAUSE_ORDER.items()}
)
DISABILITY_CATEGORIES: frozenset[str] = frozenset(_CATEGORY_ORDER)
LABOUR_CAPACITIES: frozenset[str] = frozenset(_CAPACITY_ORDER)
REQUEST_KINDS: frozenset[str] = frozenset(_REQUEST_ORDER)
CERTIFICATES: frozenset[str] = frozenset(_CERTIFICATE_ORDER)
PERIODS: frozenset[str] = frozenset(_PERIOD_ORDER)
#: Levels of schooling an education expense may name (compulsory = 义务教育).
EDUCATION_LEVELS: frozenset[str] = frozenset(_LEVEL_ORDER)
#: How a tekun person is supported: 分散供养 (dispersed) or 集中供养 (centralised).
TEKUN_SUPPORTS: frozenset[str] = frozenset(_TEKUN_SUPPORT_ORDER)

#: The largest amount accepted, in yuan.
MAX_AMOUNT = Decimal(10**12)
#: Size limits that bound the work one record can cause (no real household comes near).
MAX_MEMBERS = 50
MAX_FLOWS = 50  # incomes, and separately expenses, per member
MAX_EVENTS = 200
MAX_REQUESTS = 50
_WHOLE = re.compile(r"\s*([+-]?\d+)(?:\.0*)?\s*")
_EARLIEST = dt.date(1900, 1, 1)
_LATEST = dt.date(2100, 12, 31)
_CODE = "E-HOUSEHOLD"

# --------------------------------------------------------------------------------------
# The normalised record


class _Flow:
    """What incomes and expenses share: an ``amount`` in yuan ``per`` month or year, read either way."""

    __slots__ = ()
    amount: Decimal
    per: str

    @property
    def monthly(self) -> Decimal | Fraction:
        """The amount per month (a yearly amount divided by 12, not rounded)."""
        return self.amount if self.per == "month" else exact.div(self.amount, 12)

    @property
    def annual(self) -> Decimal:
        """The amount per year (a monthly amount times 12)."""
        return self.amount * 12 if self.per == "month" else self.amount


@dataclass(frozen=True, slots=True)
class Income(_Flow):
    """One income of a member: ``amount`` yuan per ``month`` or per ``year``."""

    kind: str
    amount: Decimal
    per: str


@dataclass(frozen=True, slots=True)
class Expense(_Flow):
    """One expense of a member: ``amount`` yuan per ``month`` or per ``year``; an education
    expense may name its ``level``. ``path`` is where it stands in the record (for messages)."""

    kind: str
    amount: Decimal
    per: str
    level: str | None = None
    path: str = field(default="", compare=False)


@dataclass(frozen=True, slots=True)
class Disability:
    """A disability certificate: grade 1 (most severe) to 4, category, certificate type."""

    grade: int
    category: str
    certificate: str


@dataclass(frozen=True, slots=True)
class Member:
    """One member of the household."""

    id: str
    birth_date: dt.date
    disability: Disability | None
    seriously_ill: bool
    labour_capacity: str
    employed: bool
    applies_single_person: bool
    incomes: tuple[Income, ...]
    expenses: tuple[Expense, ...]


@dataclass(frozen=True, slots=True)
class Status:
    """What the household already is: registered poor, on dibao since, monitored since."""

    registered_poor: bool
    lifted_out: bool
    dibao_since: dt.date | None
    tekun: bool
    monitored_since: dt.date | None
    children_support_sufficient: bool
    tekun_support: str | None = None
    current_benefit_monthly: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Event:
    """Something that happened on a date; ``cause`` for the kinds that have causes.

    An ``income_fell`` event records the household's income before and after the fall
    (``income_before``, ``income_after``, yuan per ``per``); other kinds have none.
    """

    kind: str
    date: dt.date
    cause: str | None
    income_before: Decimal | None = None
    income_after: Decimal | None = None
    per: str | None = None


@dataclass(frozen=True, slots=True)
class Request:
    """An application for assistance, optionally for one member."""

    kind: str
    amount: Decimal | None
    member: str | None


@dataclass(frozen=True, slots=True)
class Household:
    """A validated household; ``events`` are sorted by date (stable)."""

    id: str
    hukou: str
    members: tuple[Member, ...]
    status: Status
    events: tuple[Event, ...]
    requests: tuple[Request, ...]


@dataclass(frozen=True, slots=True)
class Unreadable:
    """Stands in for a record that could not be parsed; carries why."""

    diagnostics: tuple[Diagnostic, ...]


# --------------------------------------------------------------------------------------
# Values: amounts, dates, names. Each parser raises _Invalid with the message part.


class _Invalid(Exception):
    """A value is wrong; ``args[0]`` is the message after the path."""


_AMOUNT_TEXT = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_DATE_TEXT = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_HUKOU_TEXT = r"[a-z][a-z0-9_-]*"
_EXACT = Context(prec=40)
_ONE = Decimal(1)


def _parse_amount(value: object) -> Decimal:
    """An exact, finite, non-negative amount with at most 2 decimal places."""
    if isinstance(value, str):
        if not _AMOUNT_TEXT.fullmatch(value):
            raise _Invalid(
                f'must be a decimal amount such as "1200" or "267.50", not {_show(value)}'
            )
        amount = Decimal(value)
    elif isinstance(value, bool):
        raise _Invalid(f"must be an amount, not true/false ({_show(value)})")
    elif isinstance(value, (int, Decimal)):
        amount = Decimal(value)
    elif isinstance(value, float):
        amount = Decimal(repr(value))
    else:
        raise _Invalid(f"must be an amount, not {_kind_of(value)}{_shown_after(value)}")
    if not amount.is_finite():
        raise _Invalid(f"must be a finite amount, not {_show(value)}")
    if amount < 0:
        raise _Invalid(f"must not be negative, not {_show(value)}")
    if amount > MAX_AMOUNT:
        raise _Invalid(f"must not exceed {MAX_AMOUNT} yuan, not {_show(value)}")
    exponent = amount.as_tuple().exponent
    assert isinstance(exponent, int)  # finite
    if exponent < -2:
        raise _Invalid(f"must have at most 2 decimal places (yuan.fen), not {_show(value)}")
    if exponent > 0:
        amount = amount.quantize(_ONE, context=_EXACT)
    return abs(amount) if amount.is_zero() else amount


def _parse_date(value: object) -> dt.date:
    """A real calendar day between 1900-01-01 and 2100-12-31."""
    if isinstance(value, dt.datetime):
        raise _Invalid("must be a date written YYYY-MM-DD, not a date and time")
    if isinstance(value, dt.date):
        day = value
    elif isinstance(value, str):
        match = _DATE_TEXT.fullmatch(value)
        if match is None:
            raise _Invalid(f"must be a date written YYYY-MM-DD, not {_show(value)}")
        try:
            day = dt.date(*(int(part) for part in match.groups()))
        except ValueError:
            raise _Invalid(f"not a real date: {value}") from None
    else:
        raise _Invalid(f"must be a date written YYYY-MM-DD, not {_kind_of(value)}{_shown_after(value)}")
    if not _EARLIEST <= day <= _LATEST:
        raise _Invalid(f"must be between {_EARLIEST} and {_LATEST}, not {day}")
    return day


def _check_name(value: object) -> None:
    """Ids must contain something besides spaces."""
    if isinstance(value, str) and value and not value.strip():
        raise _Invalid(f"must not be blank, not {_show(value)}")


# --------------------------------------------------------------------------------------
# The cerberus schema (structure only; values go through the parsers above)


def _obj(fields: dict[str, dict[str, Any]], **rules: Any) -> dict[str, Any]:
    return {"type": "dict", "schema": fields, **rules}


def _list_of(item: dict[str, Any], **rules: Any) -> dict[str, Any]:
    return {"type": "array", "schema": item, **rules}


def _one_of(values: tuple[str, ...], **rules: Any) -> dict[str, Any]:
    return {"type": "string", "allowed": values, **rules}


_NAME = {"type": "string", "required": True, "empty": False, "check_with": "name"}
_MONEY = {"type": "money", "required": True, "check_with": "amount"}
_DATE = {"type": "isodate", "check_with": "date"}
_FLAG = {"type": "boolean"}


def _flow(kinds: tuple[str, ...]) -> dict[str, Any]:
    fields = {
        "kind": _one_of(kinds, required=True),
        "amount": _MONEY,
        "per": _one_of(_PERIOD_ORDER, required=True),
    }
    if kinds == _EXPENSE_ORDER:
        fields["level"] = _one_of(_LEVEL_ORDER)
    return _obj(fields)


_MEMBER = _obj({
    "id": _NAME,
    "birth_date": {**_DATE, "required": True},
    "disability": _obj(
        {
            "grade": {"type": "whole", "required": True, "min": 1, "max": 4},
            "category": _one_of(_CATEGORY_ORDER, required=True),
            "certificate": _one_of(_CERTIFICATE_ORDER, required=True),
        },
        nullable=True,
    ),
    "seriously_ill": _FLAG,
    "labour_capacity": _one_of(_CAPACITY_ORDER, required=True),
    "employed": _FLAG,
    "applies_single_person": _FLAG,
    "incomes": _list_of(_flow(_INCOME_ORDER), maxlength=MAX_FLOWS),
    "expenses": _list_of(_flow(_EXPENSE_ORDER), maxlength=MAX_FLOWS),
})

_STATUS = _obj({
    "registered_poor": _FLAG,
    "lifted_out": _FLAG,
    "dibao_since": {**_DATE, "nullable": True},
    "tekun": _FLAG,
    "monitored_since": {**_DATE, "nullable": True},
    "children_support_sufficient": _FLAG,
    "tekun_support": _one_of(_TEKUN_SUPPORT_ORDER, nullable=True),
    "current_benefit_monthly": {**_MONEY, "required": False, "nullable": True},
})

_EVENT = _obj({
    "kind": _one_of(_EVENT_ORDER, required=True),
    "date": {**_DATE, "required": True},
    "cause": {"type": "string", "nullable": True},
    "income_before": {**_MONEY, "required": False},
    "income_after": {**_MONEY, "required": False},
    "per": _one_of(_PERIOD_ORDER),
})

_REQUEST = _obj({
    "kind": _one_of(_REQUEST_ORDER, required=True),
    "amount": _MONEY,
    "member": {"type": "string", "nullable": True, "empty": False},
})

_SCHEMA: dict[str, dict[str, Any]] = {
    "id": _NAME,
    "hukou": {
        "type": "string",
        "required": True,
        "empty": False,
        "regex": _HUKOU_TEXT,
        "meta": {
            "regex": "must be a lower-case region name such as 'hebi' "
            "(letters, digits, '_' or '-')"
        },
    },
    "members": _list_of(_MEMBER, required=True, minlength=1, maxlength=MAX_MEMBERS),
    "status": _STATUS,
    "events": _list_of(_EVENT, maxlength=MAX_EVENTS),
    "requests": _list_of(_REQUEST, maxlength=MAX_REQUESTS),
}
_ROOT = _obj(_SCHEMA)

_TYPE_WORDS = {
    "string": "must be a string",
    "dict": "must be an object",
    "array": "must be a list",
    "boolean": "must be true or false",
    "whole": "must be a whole number",
    "money": 'must be an amount (a decimal string such as "267.50", or a number)',
    "isodate": "must be a date written YYYY-MM-DD",
}


class _Validator(cerberus.Validator):  # type: ignore[misc, unused-ignore]
    """Cerberus with the record's own types and value checks."""

    types_mapping: ClassVar[dict[str, Any]] = {
        **cerberus.Validator.types_mapping,
        "array": cerberus.TypeDefinition("array", (list, tuple), ()),
        "whole": cerberus.TypeDefinition("whole", (int,), (bool,)),
        "money": cerberus.TypeDefinition("money", (str, int, Decimal, float), (bool,)),
        "isodate": cerberus.TypeDefinition("isodate", (str, dt.date), (dt.datetime,)),
    }

    def _error(self, *args: Any) -> None:
        """As cerberus does, but without sorting every error so far on each addition, nor keeping
        the error trees this module never reads (both quadratic on a record full of errors);
        problems are sorted once, by path, when they are reported."""
        if len(args) == 1:
            self._errors.extend(args[0])
            for error in args[0]:
                self.error_handler.emit(error)
        else:
            super()._error(*args)

    def _check_with_amount(self, field: object, value: object) -> None:
        self._report(field, _parse_amount, value)

    def _check_with_date(self, field: object, value: object) -> None:
        self._report(field, _parse_date, value)

    def _check_with_name(self, field: object, value: object) -> None:
        self._report(field, _check_name, value)

    def _report(self, field: object, check: Callable[[object], object], value: object) -> None:
        if value is None:  # allowed only where nullable; cerberus reports it otherwise
            return
        try:
            check(value)
        except _Invalid as problem:
            self._error(field, str(problem.args[0]))


class _Leaves(cerberus.errors.BaseErrorHandler):  # type: ignore[misc, unused-ignore]
    """An error handler that flattens cerberus's error tree into its leaf errors."""

    def __call__(self, errors: Iterable[Any]) -> list[Any]:
        leaves: list[Any] = []
        pending = list(errors)
        while pending:
            error = pending.pop()
            if error.is_group_error:
                pending.extend(error.child_errors)
            else:
                leaves.append(error)
        return leaves


_local = threading.local()


def _validator() -> _Validator:
    """One validator per thread (a cerberus validator keeps state while it runs)."""
    validator = getattr(_local, "validator", None)
    if validator is None:
        validator = _Validator(_SCHEMA, error_handler=_Leaves())
        _local.validator = validator
    return validator


# --------------------------------------------------------------------------------------
# Problems: a path (tuple of keys and indices) and the words after it


class _Problem(NamedTuple):
    path: tuple[object, ...]
    message: str
    suggestion: str | None = None
    notes: tuple[str, ...] = ()
    related: tuple[tuple[tuple[object, ...], str], ...] = ()  # other fields involved: path, label


def _problems(record: object) -> list[_Problem]:
    """Every problem in the record, structural and cross-field."""
    if not isinstance(record, Mapping):
        notes: tuple[str, ...] = ()
        if isinstance(record, (list, tuple)):
            notes = ("a .json or YAML file holds one household; put many in a .jsonl file",)
        return [_Problem((), f"must be an object, not {_kind_of(record)}", None, notes)]
    problems: list[_Problem] = []
    document = _prepared(record, _ROOT, (), problems)
    validator = _validator()
    if not validator.validate(document, normalize=False):
        problems.extend(_from_cerberus(error) for error in validator.errors)
    for check in (_duplicate_member_ids, _request_members, _event_causes, _levels, _status_details, _event_incomes):
        problems.extend(check(record))
    return problems


def _prepared(
    value: object, rules: dict[str, Any] | None, path: tuple[object, ...], problems: list[_Problem]
) -> object:
    """The part of the record cerberus will see, made safe for it.

    Keys that are not strings are reported and dropped (cerberus sorts its errors by
    path and cannot compare, say, ``None`` with a string). Lists longer than their
    ``maxlength`` are reported and cut, so a small YAML file full of aliases cannot make
    validation take minutes. Values are copied only when something changes.
    """
    if rules is None or "schema" not in rules:
        return value
    inner = rules["schema"]
    if rules["type"] == "dict" and isinstance(value, Mapping):
        kept: dict[str, object] = {}
        changed = type(value) is not dict  # cerberus copies what it checks: plain dicts only
        for key, item in value.items():
            if not isinstance(key, str):
                problems.append(_Problem((*path, key), "unknown field (field names must be text)"))
                changed = True
                continue
            new = _prepared(item, inner.get(key), (*path, key), problems)
            changed = changed or new is not item
            kept[key] = new
        return kept if changed else value
    if rules["type"] == "array" and isinstance(value, (list, tuple)):
        limit = rules["maxlength"]
        if len(value) > limit:
            problems.append(_Problem(path, f"must have at most {limit} items, not {len(value)}"))
            value = value[:limit]
        items = [_prepared(item, inner, (*path, index), problems) for index, item in enumerate(value)]
        if any(new is not old for new, old in zip(items, value, strict=True)):
            return items
    return value


def _rules_at(path: tuple[object, ...]) -> dict[str, Any] | None:
    """The schema rules for the value at ``path``, or None where the schema has none."""
    rules: dict[str, Any] | None = _ROOT
    for part in path:
        if rules is None or "schema" not in rules:
            return None
        inner = rules["schema"]
        rules = inner.get(part) if rules["type"] == "dict" else inner
    return rules


def _from_cerberus(error: Any) -> _Problem:
    """One cerberus leaf error in our words."""
    path = tuple(error.document_path)
    code = error.code
    rules = _rules_at(path) or {}
    value = error.value
    if code == cerberus.errors.CUSTOM.code:
        return _Problem(path, str(error.info[0]))
    if code == cerberus.errors.REQUIRED_FIELD.code:
        return _Problem(path, "is required")
    if code == cerberus.errors.UNKNOWN_FIELD.code:
        parent = _rules_at(path[:-1]) or {}
        fields = sorted(parent.get("schema", {}))
        key = path[-1] if path else ""
        hint = did_you_mean(key, fields) if isinstance(key, str) else None
        return _Problem(path, "unknown field", hint, (f"allowed fields: {', '.join(fields)}",))
    if code in (cerberus.errors.BAD_TYPE.code, cerberus.errors.NOT_NULLABLE.code):
        words = _TYPE_WORDS.get(rules.get("type", ""), "has the wrong type")
        return _Problem(path, f"{words}, not {_kind_of(value)}{_shown_after(value)}")
    if code == cerberus.errors.UNALLOWED_VALUE.code:
        allowed = tuple(rules.get("allowed", ()))
        hint = did_you_mean(value, allowed) if isinstance(value, str) else None
        return _Problem(path, f"unknown value {_show(value)} (allowed: {', '.join(allowed)})", hint)
    if code in (cerberus.errors.MIN_VALUE.code, cerberus.errors.MAX_VALUE.code):
        return _Problem(
            path, f"must be between {rules.get('min')} and {rules.get('max')}, not {_show(value)}"
        )
    if code == cerberus.errors.MIN_LENGTH.code:
        if path == ("members",):
            return _Problem(path, "must have at least one member")
        return _Problem(path, "must not be empty")
    if code == cerberus.errors.EMPTY_NOT_ALLOWED.code:
        return _Problem(path, "must not be empty")
    if code == cerberus.errors.REGEX_MISMATCH.code:
        words = rules.get("meta", {}).get("regex", "is not in the expected form")
        return _Problem(path, f"{words}, not {_show(value)}")
    return _Problem(path, f"is not valid ({error.rule or 'rule'})")


# --------------------------------------------------------------------------------------
# Cross-field checks: each looks only where the structure is right (cerberus reports
# the rest) and yields its problems.


def _items(record: Mapping[Any, Any], field: str) -> list[tuple[int, Mapping[Any, Any]]]:
    """The objects in a top-level list, up to the list's limit (the rest is reported)."""
    items = record.get(field)
    if not isinstance(items, (list, tuple)):
        return []
    limit = _SCHEMA[field]["maxlength"]
    return [(i, item) for i, item in enumerate(items[:limit]) if isinstance(item, Mapping)]


def _duplicate_member_ids(record: Mapping[Any, Any]) -> Iterator[_Problem]:
    first: dict[str, int] = {}
    for index, member in _items(record, "members"):
        member_id = member.get("id")
        if not isinstance(member_id, str) or not member_id.strip():
            continue
        if member_id in first:
            yield _Problem(
                ("members", index, "id"),
                f"duplicate member id {_show(member_id)} (also members[{first[member_id]}])",
                related=((("members", first[member_id], "id"), "the first member with this id"),),
            )
        else:
            first[member_id] = index


def _request_members(record: Mapping[Any, Any]) -> Iterator[_Problem]:
    members = record.get("members")
    if not isinstance(members, (list, tuple)) or not 0 < len(members) <= MAX_MEMBERS:
        return  # reported as a problem with members
    known = [m.get("id") for _, m in _items(record, "members") if isinstance(m.get("id"), str)]
    if len(known) != len(members):
        return  # some member has no usable id: a reference might be meant for it
    for index, request in _items(record, "requests"):
        member = request.get("member")
        if isinstance(member, str) and member and member not in known:
            listed = ", ".join(_show(k) for k in known[:10]) or "none"
            yield _Problem(
                ("requests", index, "member"),
                f"no member has id {_show(member)} (member ids: {listed})",
                did_you_mean(member, [str(k) for k in known]),
            )


def _event_causes(record: Mapping[Any, Any]) -> Iterator[_Problem]:
    for index, event in _items(record, "events"):
        kind = event.get("kind")
        if not isinstance(kind, str) or kind not in EVENT_CAUSES:
            continue
        causes = _CAUSE_ORDER[kind]
        cause = event.get("cause")
        path = ("events", index, "cause")
        if causes and cause is None:
            yield _Problem(path, f"is required for {kind} events (allowed: {', '.join(causes)})")
        elif not causes and cause is not None:
            yield _Problem(path, f"not allowed for {kind} events (they have no causes)")
        elif causes and isinstance(cause, str) and cause not in causes:
            yield _Problem(
                path,
                f"unknown cause {_show(cause)} for {kind} events (allowed: {', '.join(causes)})",
                did_you_mean(cause, causes),
            )


def _levels(record: Mapping[Any, Any]) -> Iterator[_Problem]:
    """Only an education expense names a level of schooling."""
    for m, member in _items(record, "members"):
        expenses = member.get("expenses")
        if not isinstance(expenses, (list, tuple)):
            continue
        for e, expense in enumerate(expenses[:MAX_FLOWS]):
            if isinstance(expense, Mapping) and expense.get("level") is not None and expense.get("kind") != "education":
                yield _Problem(("members", m, "expenses", e, "level"), "only an education expense has a level")


def _status_details(record: Mapping[Any, Any]) -> Iterator[_Problem]:
    """The tekun support arrangement needs a tekun household; a current payment needs one on dibao."""
    status = record.get("status")
    if not isinstance(status, Mapping):
        return
    if status.get("tekun_support") is not None and status.get("tekun") is not True:
        yield _Problem(("status", "tekun_support"),
                       "only a tekun household (status.tekun true) has a support arrangement")
    if status.get("current_benefit_monthly") is not None and status.get("dibao_since") is None:
        yield _Problem(("status", "current_benefit_monthly"),
                       "only a household on dibao (status.dibao_since set) has a current payment")
def _event_incomes(record: Mapping[Any, Any]) -> Iterator[_Problem]:
    """income_fell events carry income_before, income_after and per, with a fall; others none."""
    for index, event in _items(record, "events"):
        kind = event.get("kind")
        if not isinstance(kind, str) or kind not in EVENT_CAUSES:
            continue
        if kind not in _INCOME_CHANGE_KINDS:
            for key in _INCOME_CHANGE_KEYS:
                if key in event:
                    yield _Problem(("events", index, key), f"not allowed for {kind} events (only income_fell has it)")
            continue
        missing = [key for key in _INCOME_CHANGE_KEYS if event.get(key) is None]
        for key in missing:
            yield _Problem(("events", index, key), f"is required for {kind} events "
                           "(the household's income before and after the fall, per month or per year)")
        if not missing:
            try:
                before, after = _parse_amount(event["income_before"]), _parse_amount(event["income_after"])
            except _Invalid:
                continue  # reported by the schema
            if after >= before:
                yield _Problem(("events", index, "income_after"),
                               f"must be below income_before ({before}) in an income_fell event, not {after}")


# --------------------------------------------------------------------------------------
# Words for values and paths


_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _show(value: object) -> str:
    """A short, safe rendering of a value for a message (never a huge repr)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value) if value.bit_length() <= 64 else "a very large integer"
    if isinstance(value, (Decimal, float)):
        text = str(value)
        return text if len(text) <= 40 else text[:40] + "…"
    if isinstance(value, str):
        return repr(value) if len(value) <= 40 else repr(value[:40]) + "…"
    return _kind_of(value)


def _shown_after(value: object) -> str:
    """`` (the value)`` after the words for its kind, for a value short enough to show; else nothing."""
    if value is None or isinstance(value, (Mapping, list, tuple)):
        return ""
    return f" ({_show(value)})"


def _kind_of(value: object) -> str:
    """What a value is, in the words of JSON."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, (float, Decimal)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, (list, tuple)):
        return "a list"
    return f"a {type(value).__name__}"


def _path_text(record: object, path: tuple[object, ...]) -> str:
    """``members[1].incomes[0].amount``; the empty path is ``record``."""
    text = ""
    node: object = record
    for part in path:
        if isinstance(node, (list, tuple)) and isinstance(part, int):
            text += f"[{part}]"
            node = node[part] if -len(node) <= part < len(node) else None
            continue
        if isinstance(part, str) and _PLAIN_KEY.fullmatch(part):
            text += f".{part}" if text else part
        else:
            text += f"[{_show(part)}]"
        try:
            node = node.get(part) if isinstance(node, Mapping) else None
        except TypeError:
            node = None
    return text or "record"


def _field_path(record: object, path: tuple[object, ...]) -> FieldPath:
    """The path as data: list indices as ints, every key of an object as text."""
    found: list[str | int] = []
    node: object = record
    for part in path:
        if isinstance(node, (list, tuple)) and isinstance(part, int) and not isinstance(part, bool):
            found.append(part)
            node = node[part] if -len(node) <= part < len(node) else None
            continue
        found.append(part if isinstance(part, str) else _show(part))
        try:
            node = node.get(part) if isinstance(node, Mapping) else None
        except TypeError:
            node = None
    return tuple(found)


def _path_key(path: tuple[object, ...]) -> tuple[tuple[int, Any], ...]:
    """Sort key: indices numerically, names alphabetically, anything else last."""
    key: list[tuple[int, Any]] = []
    for part in path:
        if isinstance(part, int) and not isinstance(part, bool):
            key.append((0, part))
        elif isinstance(part, str):
            key.append((1, part))
        else:
            key.append((2, _show(part)))
    return tuple(key)


def record_id(record: object) -> str | None:
    """The record's ``id`` when it is a usable string, for naming it in batch errors."""
    if isinstance(record, Mapping):
        try:
            value = record.get("id")
        except TypeError:
            return None
        if isinstance(value, str) and value.strip():
            return value
    return None


def _id_words(identifier: str) -> str:
    if identifier.isprintable() and len(identifier) <= 60:
        return identifier
    return _show(identifier)


def _diagnostics(
    record: object, problems: list[_Problem], source: str, line: int | None, locate: Locate | None = None
) -> list[Diagnostic]:
    span = Span(source, line or 1, 1)
    identifier = record_id(record)
    tail = f" (record {_id_words(identifier)})" if identifier is not None else ""
    ordered = sorted(problems, key=lambda p: (_path_key(p.path), p.message))
    return [
        Diagnostic(
            _CODE,
            f"{_path_text(record, p.path)}: {p.message}{tail}",
            _place(locate, p.path, span),
            notes=p.notes,
            suggestion=p.suggestion,
            path=_field_path(record, p.path),
            related=_related(locate, p.related),
        )
        for p in ordered
    ]


def _related(locate: Locate | None, related: tuple[tuple[tuple[object, ...], str], ...]) -> tuple[Related, ...]:
    """The other fields a problem involves, where the record is read from a file (so has places)."""
    if locate is None:
        return ()
    found = []
    for path, label in related:
        try:
            found.append(Related(locate(path), label))
        except Exception:  # a locator is a reading aid: the problem is still reported
            continue
    return tuple(found)


def _place(locate: Locate | None, path: tuple[object, ...], fallback: Span) -> Span:
    if locate is None:
        return fallback
    try:
        return locate(path)
    except Exception:  # a locator is a reading aid: the problem is still reported at its record
        return fallback


# --------------------------------------------------------------------------------------
# Public entry points: validate and normalise


def household_errors(
    record: object, *, source: str = "<household>", line: int | None = None, locate: Locate | None = None
) -> list[Diagnostic]:
    """Every problem in ``record`` as ``E-HOUSEHOLD`` diagnostics; empty when it is valid."""
    record = _whole_numbers(record)
    return _diagnostics(record, _problems(record), source, line, locate)


def whole_number_text(value: Any) -> Any:
    """``2``, ``"2"``, ``2.0`` or ``"2.0"`` as the whole number 2; anything else unchanged (to be reported)."""
    if isinstance(value, bool):
        return value
    if (isinstance(value, float) and value.is_integer()) or (isinstance(value, Decimal) and value.is_finite() \
            and value == value.to_integral_value()):
        return int(value)
    if isinstance(value, str):
        found = _WHOLE.fullmatch(value)
        if found:
            return int(found.group(1))
    return value


def _whole_numbers(record: object) -> object:
    """The record with a whole number written ``2.0`` (as Excel and pandas write one) read as ``2``."""
    members = record.get("members") if isinstance(record, Mapping) else None
    if not isinstance(members, list) or not any(
            isinstance(m, Mapping) and isinstance(m.get("disability"), Mapping)
            and isinstance(m["disability"].get("grade"), (float, Decimal)) for m in members):
        return record
    copied = dict(record)  # type: ignore[call-overload]
    copied["members"] = [
        {**m, "disability": {**m["disability"], "grade": whole_number_text(m["disability"]["grade"])}}
        if isinstance(m, Mapping) and isinstance(m.get("disability"), Mapping) else m for m in members]
    return copied


def validate_household(
    record: object, *, source: str = "<household>", line: int | None = None, locate: Locate | None = None
) -> Household:
    """The normalised household, or ``DiagnosticError`` with all of its problems.

    A record that plainly follows every rule takes a fast path (``_plainly_valid``); any
    other goes through the full validator, which names each problem. Both give the same
    household for a record they accept (a test keeps them so).
    """
    if _plainly_valid(record):
        assert isinstance(record, Mapping)
        return _household(record)
    record = _whole_numbers(record)
    problems = _problems(record)
    if problems:
        raise DiagnosticError(_diagnostics(record, problems, source, line, locate))
    assert isinstance(record, Mapping)
    return _household(record)


_PLAIN_AMOUNT = re.compile(r"(?:0|[1-9][0-9]{0,11})(?:\.[0-9]{1,2})?")
_RECORD_KEYS = frozenset({"id", "hukou", "members", "status", "events", "requests"})
_MEMBER_KEYS = frozenset({"id", "birth_date", "disability", "seriously_ill", "labour_capacity", "employed",
                          "applies_single_person", "incomes", "expenses"})
_STATUS_FLAGS = ("registered_poor", "lifted_out", "tekun", "children_support_sufficient")
_STATUS_KEYS = frozenset({*_STATUS_FLAGS, "dibao_since", "monitored_since", "tekun_support",
                          "current_benefit_monthly"})
_FLOW_KEYS = frozenset({"kind", "amount", "per"})


def _plainly_valid(record: object) -> bool:
    """True only for a record that certainly passes every rule, written in the plain way
    (amounts as decimal strings, dates as ISO strings, every list within its limits)."""
    try:
        return _plain_record(record)
    except (KeyError, TypeError, ValueError, AttributeError):
        return False


def _plain_record(record: object) -> bool:
    if type(record) is not dict or not record.keys() <= _RECORD_KEYS:
        return False
    if not (_plain_name(record.get("id")) and type(record.get("hukou")) is str
            and re.fullmatch(_HUKOU_TEXT, record["hukou"])):
        return False
    members = record.get("members")
    if type(members) is not list or not 0 < len(members) <= MAX_MEMBERS:
        return False
    ids = [m.get("id") if type(m) is dict else None for m in members]
    if len(set(ids)) != len(ids) or not all(_plain_member(m) for m in members):
        return False
    status = record.get("status", {})
    if type(status) is not dict or not status.keys() <= _STATUS_KEYS:
        return False
    if not all(type(status.get(flag, False)) is bool for flag in _STATUS_FLAGS):
        return False
    if not all(status.get(name) is None or _plain_date(status[name]) for name in ("dibao_since", "monitored_since")):
        return False
    if status.get("tekun_support") is not None and not (status["tekun_support"] in TEKUN_SUPPORTS
                                                          and status.get("tekun") is True):
        return False
    if status.get("current_benefit_monthly") is not None and not (
            _plain_amount(status["current_benefit_monthly"]) and status.get("dibao_since") is not None):
        return False
    events = record.get("events", [])
    requests = record.get("requests", [])
    return (type(events) is list and len(events) <= MAX_EVENTS and all(_plain_event(e) for e in events)
            and type(requests) is list and len(requests) <= MAX_REQUESTS
            and all(_plain_request(r, ids) for r in requests))


def _plain_name(value: object) -> bool:
    return type(value) is str and bool(value.strip())


def _plain_date(value: object) -> bool:
    if type(value) is not str or not _DATE_TEXT.fullmatch(value):
        return False
    day = dt.date(*(int(part) for part in value.split("-")))
    return _EARLIEST <= day <= _LATEST


def _plain_amount(value: object) -> bool:
    return type(value) is str and _PLAIN_AMOUNT.fullmatch(value) is not None and Decimal(value) <= MAX_AMOUNT


def _plain_member(member: object) -> bool:
    if type(member) is not dict or not member.keys() <= _MEMBER_KEYS:
        return False
    if not (_plain_name(member.get("id")) and _plain_date(member.get("birth_date"))
            and member.get("labour_capacity") in LABOUR_CAPACITIES):
        return False
    if not all(type(member.get(flag, False)) is bool for flag in ("seriously_ill", "employed",
                                                                    "applies_single_person")):
        return False
    disability = member.get("disability")
    if disability is not None and not (
            type(disability) is dict and disability.keys() == {"grade", "category", "certificate"}
            and type(disability["grade"]) is int and 1 <= disability["grade"] <= 4
            and disability["category"] in DISABILITY_CATEGORIES and disability["certificate"] in CERTIFICATES):
        return False
    incomes, expenses = member.get("incomes", []), member.get("expenses", [])
    return (type(incomes) is list and len(incomes) <= MAX_FLOWS and all(_plain_flow(f, INCOME_KINDS) for f in incomes)
            and type(expenses) is list and len(expenses) <= MAX_FLOWS
            and all(_plain_expense(f) for f in expenses))


def _plain_flow(flow: object, kinds: frozenset[str]) -> bool:
    return (type(flow) is dict and flow.keys() == _FLOW_KEYS and flow["kind"] in kinds
            and flow["per"] in ("month", "year") and _plain_amount(flow["amount"]))


def _plain_expense(flow: object) -> bool:
    if type(flow) is dict and "level" in flow:
        return (flow["kind"] == "education" and flow["level"] in EDUCATION_LEVELS
                and _plain_flow({k: v for k, v in flow.items() if k != "level"}, EXPENSE_KINDS))
    return _plain_flow(flow, EXPENSE_KINDS)


def _plain_event(event: object) -> bool:
    if type(event) is not dict:
        return False
    kind = event.get("kind")
    if kind in _INCOME_CHANGE_KINDS:
        return (event.keys() == {"kind", "date", *_INCOME_CHANGE_KEYS} and _plain_date(event.get("date"))
                and event["per"] in ("month", "year") and _plain_amount(event["income_before"])
                and _plain_amount(event["income_after"]) and _plain_fall(event))
    if not event.keys() <= {"kind", "date", "cause"}:
        return False
    if type(kind) is not str or kind not in EVENT_CAUSES or not _plain_date(event.get("date")):
        return False
    causes = EVENT_CAUSES[kind]
    cause = event.get("cause")
    return cause in causes if causes else cause is None


def _plain_fall(event: dict[str, Any]) -> bool:
    return bool(_parse_amount(event["income_after"]) < _parse_amount(event["income_before"]))


def _plain_request(request: object, ids: list[object]) -> bool:
    if type(request) is not dict or not request.keys() <= {"kind", "amount", "member"}:
        return False
    member = request.get("member")
    return (request.get("kind") in REQUEST_KINDS and _plain_amount(request.get("amount"))
            and (member is None or (type(member) is str and member in ids)))


def _event(event: Mapping[str, Any]) -> Event:
    if event["kind"] not in _INCOME_CHANGE_KINDS:
        return Event(event["kind"], _parse_date(event["date"]), event.get("cause"))
    return Event(event["kind"], _parse_date(event["date"]), None, _parse_amount(event["income_before"]),
                 _parse_amount(event["income_after"]), event["per"])


def _household(record: Mapping[str, Any]) -> Household:
    status = record.get("status") or {}
    events = [_event(e) for e in record.get("events", ())]
    events.sort(key=lambda event: event.date)
    return Household(
        id=record["id"],
        hukou=record["hukou"],
        members=tuple(_member(m, index) for index, m in enumerate(record["members"])),
        status=Status(
            registered_poor=status.get("registered_poor", False),
            lifted_out=status.get("lifted_out", False),
            dibao_since=_optional_date(status.get("dibao_since")),
            tekun=status.get("tekun", False),
            monitored_since=_optional_date(status.get("monitored_since")),
            children_support_sufficient=status.get("children_support_sufficient", False),
            tekun_support=status.get("tekun_support"),
            current_benefit_monthly=_optional_amount(status.get("current_benefit_monthly")),
        ),
        events=tuple(events),
        requests=tuple(
            Request(r["kind"], _parse_amount(r["amount"]), r.get("member"))
            for r in record.get("requests", ())
        ),
    )


def _member(member: Mapping[str, Any], index: int) -> Member:
    disability = member.get("disability")
    return Member(
        id=member["id"],
        birth_date=_parse_date(member["birth_date"]),
        disability=None if disability is None else Disability(
            disability["grade"], disability["category"], disability["certificate"]
        ),
        seriously_ill=member.get("seriously_ill", False),
        labour_capacity=member["labour_capacity"],
        employed=member.get("employed", False),
        applies_single_person=member.get("applies_single_person", False),
        incomes=tuple(
            Income(i["kind"], _parse_amount(i["amount"]), i["per"])
            for i in member.get("incomes", ())
        ),
        expenses=tuple(
            Expense(e["kind"], _parse_amount(e["amount"]), e["per"], e.get("level"), f"members[{index}].expenses[{n}]")
            for n, e in enumerate(member.get("expenses", ()))
        ),
    )


def _optional_date(value: object) -> dt.date | None:
    return None if value is None else _parse_date(value)


def _optional_amount(value: object) -> Decimal | None:
    return None if value is None else _parse_amount(value)


# --------------------------------------------------------------------------------------
# Reading: JSON, JSON Lines, YAML, all with exact numbers


class _DuplicateKey(ValueError):
    pass


def _no_duplicate_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(f"duplicate key {_show(key)}")
            seen.add(key)
    return result


def _json(text: str) -> object:
    """JSON with every number exact: floats, NaN and Infinity become Decimal."""
    return json.loads(
        text,
        parse_float=Decimal,
        parse_constant=Decimal,
        object_pairs_hook=_no_duplicate_keys,
    )


_FORMATS = {".json": "json", ".jsonl": "jsonl", ".yaml": "yaml", ".yml": "yaml"}
_PARSE_FAILURES = (ValueError, RecursionError, ArithmeticError)
Locate = Callable[[tuple[object, ...]], Span]  # where the value at a path of the record is written


def _io_error(source: str, message: str) -> DiagnosticError:
    return DiagnosticError([Diagnostic("E-IO", message, Span(source, 1, 1))])


def _format_of(path: Path, fmt: str | None) -> str:
    if fmt is not None:
        if fmt not in ("json", "jsonl", "yaml"):
            raise _io_error(str(path), f"unknown household format {fmt!r} (use json, jsonl or yaml)")
        return fmt
    found = _FORMATS.get(path.suffix.lower())
    if found is None:
        raise _io_error(
            str(path),
            f"cannot tell the format of {path.name!r}: use a .json, .jsonl, .yaml or .yml file",
        )
    return found


def _unreadable(code: str, message: str, source: str, line: int, column: int = 1) -> Unreadable:
    return Unreadable((Diagnostic(code, message, Span(source, line, max(1, column))),))


def _jsonl_record(raw: bytes | str, source: str, line: int) -> object:
    """One JSON Lines record, or an ``Unreadable`` naming the line."""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            return _unreadable("E-JSON", f"not valid UTF-8 text: {error.reason}", source, line)
    if line == 1:
        raw = raw.removeprefix("\ufeff")
    try:
        return _json(raw)
    except json.JSONDecodeError as error:
        return _unreadable(
            "E-JSON", f"not valid JSON: {error.msg} (column {error.colno})", source, line
        )
    except _PARSE_FAILURES as error:
        return _unreadable("E-JSON", f"not valid JSON: {_reason(error)}", source, line)


def _reason(error: BaseException) -> str:
    if isinstance(error, RecursionError):
        return "nested too deeply"
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    return text[:200]


def read_household_text(text: str, *, fmt: str, source: str) -> Iterator[tuple[int, object]]:
    """``(line, raw_record)`` for each record in ``text`` (``Unreadable`` if unparsable)."""
    for line, raw, _locate in _located_records(text, fmt=fmt, source=source):
        yield line, raw


def _located_records(text: str, *, fmt: str, source: str) -> Iterator[tuple[int, object, Locate | None]]:
    """Each record with where its values are written (found only when a record has a problem)."""
    fmt = _format_of(Path(source), fmt)
    if fmt == "jsonl":
        for number, raw in enumerate(text.split("\n"), 1):
            if raw.strip():
                yield number, _jsonl_record(raw, source, number), _json_locator(raw, source, number)
    elif fmt == "json":
        text = text.removeprefix("\ufeff")
        yield 1, _json_document(text, source), _json_locator(text, source, 1)
    else:
        yield _yaml_document(text.removeprefix("\ufeff"), source)


def _json_locator(text: str | bytes, source: str, line: int) -> Locate:
    def locate(path: tuple[object, ...]) -> Span:
        decoded = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
        return JsonPositions(decoded.removeprefix("\ufeff"), source, line).span(path)

    return locate


def _json_document(text: str, source: str) -> object:
    try:
        return _json(text)
    except json.JSONDecodeError as error:
        return _unreadable("E-JSON", f"not valid JSON: {error.msg}", source, error.lineno, error.colno)
    except _PARSE_FAILURES as error:
        return _unreadable("E-JSON", f"not valid JSON: {_reason(error)}", source, 1)


def _yaml_document(text: str, source: str) -> tuple[int, object, Locate | None]:
    """One YAML document, read by the same strict loader as policy files: numbers are exact
    (``0750``, ``0x2EE`` and ``1_000`` stay the text they are, never an octal, hexadecimal or
    grouped number), dates stay text, tags and merge keys are refused."""
    try:
        loaded = load_yaml_text(text, source)
    except DiagnosticError as error:
        return 1, Unreadable(tuple(error.diagnostics)), None

    def locate(path: tuple[object, ...]) -> Span:
        return loaded.span(tuple(part for part in path if isinstance(part, (str, int))))

    return 1, loaded.data, locate


def _stdin_text() -> str:
    data = sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else sys.stdin.read()
    if isinstance(data, bytes):
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise _io_error("<stdin>", f"standard input is not UTF-8 text: {error.reason}") from None
    return data


def read_households(path: Path | str, *, fmt: str | None = None) -> Iterator[tuple[int, object]]:
    """``(line, raw_record)`` for every record in a file; ``-`` reads standard input.

    JSON Lines files are streamed line by line; blank lines are skipped; an unparsable
    line yields an ``Unreadable`` so that nothing is lost. Raises ``DiagnosticError``
    (``E-IO``) when the file itself cannot be read or its format is unknown.
    """
    for line, raw, _locate in _read_located(path, fmt=fmt):
        yield line, raw


def _read_located(path: Path | str, *, fmt: str | None = None) -> Iterator[tuple[int, object, Locate | None]]:
    path = Path(path)
    if str(path) == "-":
        yield from _located_records(_stdin_text(), fmt=fmt or "jsonl", source="<stdin>")
        return
    source = str(path)
    fmt = _format_of(path, fmt)
    try:
        if fmt == "jsonl":
            with path.open("rb") as stream:
                for number, raw in enumerate(stream, 1):
                    if raw.strip():
                        yield number, _jsonl_record(raw, source, number), _json_locator(raw, source, number)
            return
        data = path.read_bytes()
    except OSError as error:
        raise _io_error(source, f"cannot read {source}: {error.strerror or error}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        code = "E-YAML" if fmt == "yaml" else "E-JSON"
        yield 1, _unreadable(code, f"not valid UTF-8 text: {error.reason}", source, 1), None
        return
    yield from _located_records(text, fmt=fmt, source=source)


def _checked(line: int, raw: object, source: str, locate: Locate | None = None) -> Household | list[Diagnostic]:
    if isinstance(raw, Unreadable):
        return list(raw.diagnostics)
    try:
        return validate_household(raw, source=source, line=line, locate=locate)
    except DiagnosticError as error:
        return list(error.diagnostics)


def parse_household_text(
    text: str, *, fmt: str, source: str
) -> Iterator[Household | list[Diagnostic]]:
    """For each record in ``text``: the ``Household``, or the list of its diagnostics."""
    for line, raw, locate in _located_records(text, fmt=fmt, source=source):
        yield _checked(line, raw, source, locate)


def load_households(
    path: Path | str, *, fmt: str | None = None
) -> Iterator[Household | list[Diagnostic]]:
    """For each record in a file: the ``Household``, or the list of its diagnostics.

    Exactly one item per record (per non-blank line of a JSON Lines file), so
    records in = households + rejected records, always. Each diagnostic is placed at the
    line and column of the value it is about.
    """
    path = Path(path)
    source = "<stdin>" if str(path) == "-" else str(path)
    for line, raw, locate in _read_located(path, fmt=fmt):
        yield _checked(line, raw, source, locate)


def load_household(path: Path | str, *, fmt: str | None = None) -> Household:
    """The one household in a file (``-``: one JSON object on standard input).

    Raises ``DiagnosticError`` with every problem, or when the file holds no record or
    more than one.
    """
    path = Path(path)
    if str(path) == "-":
        fmt = fmt or "json"
    source = "<stdin>" if str(path) == "-" else str(path)
    results = list(load_households(path, fmt=fmt))
    if len(results) != 1:
        raise _io_error(
            source, f"expected one household record, found {len(results)}"
        )
    result = results[0]
    if isinstance(result, list):
        raise DiagnosticError(result)
    return result
