"""The one schema of the household record (cerberus), built for a vocabulary.

Structure (types, required fields, allowed values, unknown fields, list limits) is declared
once here; values (amounts, dates, names) go through the parsers of
``engine.household.values`` as ``check_with`` rules. The kinds of income, expense and event
come from a vocabulary (``engine.household.vocabulary``); each such field carries
``meta: {vocabulary: <section>}`` so that readers of the layout (the column-wise batch
validator) take the kinds of the vocabulary in force. Three readers derive from this one
schema: the full validator (``engine.household.problems``), the fast acceptance test
(``engine.household.fast_path``) and the record's table layout (``engine.batch.record_layout``).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar

import cerberus
import cerberus.errors

from engine.household.model import (
    CAPACITY_ORDER,
    CATEGORY_ORDER,
    CERTIFICATE_ORDER,
    LEVEL_ORDER,
    MAX_EVENTS,
    MAX_FLOWS,
    MAX_MEMBERS,
    MAX_REQUESTS,
    PERIOD_ORDER,
    REQUEST_ORDER,
    TEKUN_SUPPORT_ORDER,
)
from engine.household.values import HUKOU_TEXT, Invalid, check_name, parse_amount, parse_date
from engine.household.vocabulary import SECTIONS, Vocabulary, bundled_vocabulary, in_force

# --------------------------------------------------------------------------------------
# The schema (structure only; values go through the parsers of engine.household.values)


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


def _flow(kinds: tuple[str, ...], section: str, level: bool = False) -> dict[str, Any]:
    fields = {
        "kind": _one_of(kinds, required=True, meta={"vocabulary": section}),
        "amount": _MONEY,
        "per": _one_of(PERIOD_ORDER, required=True),
    }
    if level:
        fields["level"] = _one_of(LEVEL_ORDER)
    return _obj(fields)


def _member(vocabulary: Vocabulary) -> dict[str, Any]:
    return _obj({
        "id": _NAME,
        "birth_date": {**_DATE, "required": True},
        "disability": _obj(
            {
                "grade": {"type": "whole", "required": True, "min": 1, "max": 4},
                "category": _one_of(CATEGORY_ORDER, required=True),
                "certificate": _one_of(CERTIFICATE_ORDER, required=True),
            },
            nullable=True,
        ),
        "seriously_ill": _FLAG,
        "labour_capacity": _one_of(CAPACITY_ORDER, required=True),
        "employed": _FLAG,
        "applies_single_person": _FLAG,
        "incomes": _list_of(_flow(vocabulary.income_kinds, "income_kinds"), maxlength=MAX_FLOWS),
        "expenses": _list_of(_flow(vocabulary.expense_kinds, "expense_kinds", level=True), maxlength=MAX_FLOWS),
    })


_STATUS = _obj({
    "registered_poor": _FLAG,
    "lifted_out": _FLAG,
    "dibao_since": {**_DATE, "nullable": True},
    "tekun": _FLAG,
    "monitored_since": {**_DATE, "nullable": True},
    "children_support_sufficient": _FLAG,
    "tekun_support": _one_of(TEKUN_SUPPORT_ORDER, nullable=True),
    "current_benefit_monthly": {**_MONEY, "required": False, "nullable": True},
})


def _event(vocabulary: Vocabulary) -> dict[str, Any]:
    return _obj({
        "kind": _one_of(vocabulary.event_kinds, required=True, meta={"vocabulary": "event_kinds"}),
        "date": {**_DATE, "required": True},
        "cause": {"type": "string", "nullable": True, "meta": {"vocabulary": "causes"}},
        "income_before": {**_MONEY, "required": False},
        "income_after": {**_MONEY, "required": False},
        "per": _one_of(PERIOD_ORDER),
    })


_REQUEST = _obj({
    "kind": _one_of(REQUEST_ORDER, required=True),
    "amount": _MONEY,
    "member": {"type": "string", "nullable": True, "empty": False},
})


def _fields(vocabulary: Vocabulary) -> dict[str, dict[str, Any]]:
    return {
        "id": _NAME,
        "hukou": {
            "type": "string",
            "required": True,
            "empty": False,
            "regex": HUKOU_TEXT,
            "meta": {
                "regex": "must be a lower-case region name such as 'hebi' "
                "(letters, digits, '_' or '-')"
            },
        },
        "members": _list_of(_member(vocabulary), required=True, minlength=1, maxlength=MAX_MEMBERS),
        "status": _STATUS,
        "events": _list_of(_event(vocabulary), maxlength=MAX_EVENTS),
        "requests": _list_of(_REQUEST, maxlength=MAX_REQUESTS),
    }


TYPE_WORDS = {
    "string": "must be a string",
    "dict": "must be an object",
    "array": "must be a list",
    "boolean": "must be true or false",
    "whole": "must be a whole number",
    "money": 'must be an amount (a decimal string such as "267.50", or a number)',
    "isodate": "must be a date written YYYY-MM-DD",
}


class RecordValidator(cerberus.Validator):  # type: ignore[misc, unused-ignore]  # cerberus is untyped (Any)
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
        self._report(field, parse_amount, value)

    def _check_with_date(self, field: object, value: object) -> None:
        self._report(field, parse_date, value)

    def _check_with_name(self, field: object, value: object) -> None:
        self._report(field, check_name, value)

    def _report(self, field: object, check: Callable[[object], object], value: object) -> None:
        if value is None:  # allowed only where nullable; cerberus reports it otherwise
            return
        try:
            check(value)
        except Invalid as problem:
            self._error(field, str(problem.args[0]))


class _Leaves(cerberus.errors.BaseErrorHandler):  # type: ignore[misc, unused-ignore]  # cerberus is untyped (Any)
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


@dataclass(frozen=True, eq=False)
class RecordSchema:
    """The schema of a household record for one vocabulary: ``fields`` (the cerberus schema of a record)
    and ``event_causes`` (each event kind's causes, checked beside it)."""

    fields: dict[str, dict[str, Any]]
    event_causes: Mapping[str, tuple[str, ...]]
    _local: threading.local = field(default_factory=threading.local)

    @property
    def root(self) -> dict[str, Any]:
        return _obj(self.fields)

    def validator(self) -> RecordValidator:
        """One validator per thread (a cerberus validator keeps state while it runs)."""
        validator = getattr(self._local, "validator", None)
        if validator is None:
            validator = RecordValidator(self.fields, error_handler=_Leaves())
            self._local.validator = validator
        return validator

    def rules_at(self, path: tuple[object, ...]) -> dict[str, Any] | None:
        """The schema rules for the value at ``path``, or None where the schema has none."""
        rules: dict[str, Any] | None = self.root
        for part in path:
            if rules is None or "schema" not in rules:
                return None
            inner = rules["schema"]
            rules = inner.get(part) if rules["type"] == "dict" else inner
        return rules


_SCHEMAS: dict[tuple[object, ...], RecordSchema] = {}
_SCHEMAS_LOCK = threading.Lock()


def record_schema(vocabulary: Vocabulary | None = None) -> RecordSchema:
    """The record schema for ``vocabulary`` (default: the one in force), built once per set of codes."""
    vocabulary = vocabulary or in_force()
    key = vocabulary.signature
    found = _SCHEMAS.get(key)
    if found is None:
        with _SCHEMAS_LOCK:
            found = _SCHEMAS.setdefault(key, RecordSchema(_fields(vocabulary), vocabulary.event_causes))
    return found


#: The record's fields with the bundled vocabulary: the layout of the record's tables reads it (its kinds
#: are read from the vocabulary in force where they matter, ``allowed_values``).
SCHEMA: dict[str, dict[str, Any]] = record_schema(bundled_vocabulary()).fields


def allowed_values(rules: Mapping[str, Any], vocabulary: Vocabulary | None = None) -> tuple[str, ...] | None:
    """The values a field's rules allow, its kinds read from ``vocabulary`` (default: the one in force)."""
    section = rules.get("meta", {}).get("vocabulary")
    if section in SECTIONS:
        return (vocabulary or in_force()).codes(section)
    values = rules.get("allowed")
    return tuple(values) if values is not None else None


