"""The values of a household record: amounts, dates and names, read exactly, and the
normalised ``Household`` built from a record the validator accepted.

Each parser raises ``Invalid`` with the words that follow the field path in a message;
``show`` and ``kind_of`` are the words for a value.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from decimal import Context, Decimal
from typing import Any

from engine.household.model import (
    EARLIEST,
    INCOME_CHANGE_KINDS,
    LATEST,
    MAX_AMOUNT,
    Disability,
    Event,
    Expense,
    Household,
    Income,
    Member,
    Request,
    Status,
)

_WHOLE = re.compile(r"\s*([+-]?\d+)(?:\.0*)?\s*")

# --------------------------------------------------------------------------------------
# Values: amounts, dates, names. Each parser raises Invalid with the message part.


class Invalid(Exception):
    """A value is wrong; ``args[0]`` is the message after the path."""


_AMOUNT_TEXT = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_DATE_TEXT = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
HUKOU_TEXT = r"[a-z][a-z0-9_-]*"
_EXACT = Context(prec=40)
_ONE = Decimal(1)


def parse_amount(value: object) -> Decimal:
    """An exact, finite, non-negative amount with at most 2 decimal places."""
    if isinstance(value, str):
        if not _AMOUNT_TEXT.fullmatch(value):
            raise Invalid(
                f'must be a decimal amount such as "1200" or "267.50", not {show(value)}'
            )
        amount = Decimal(value)
    elif isinstance(value, bool):
        raise Invalid(f"must be an amount, not true/false ({show(value)})")
    elif isinstance(value, (int, Decimal)):
        amount = Decimal(value)
    elif isinstance(value, float):
        amount = Decimal(repr(value))
    else:
        raise Invalid(f"must be an amount, not {kind_of(value)}{shown_after(value)}")
    if not amount.is_finite():
        raise Invalid(f"must be a finite amount, not {show(value)}")
    if amount < 0:
        raise Invalid(f"must not be negative, not {show(value)}")
    if amount > MAX_AMOUNT:
        raise Invalid(f"must not exceed {MAX_AMOUNT} yuan, not {show(value)}")
    exponent = amount.as_tuple().exponent
    assert isinstance(exponent, int)  # finite
    if exponent < -2:
        raise Invalid(f"must have at most 2 decimal places (yuan.fen), not {show(value)}")
    if exponent > 0:
        amount = amount.quantize(_ONE, context=_EXACT)
    return abs(amount) if amount.is_zero() else amount


def parse_date(value: object) -> dt.date:
    """A real calendar day between 1900-01-01 and 2100-12-31."""
    if isinstance(value, dt.datetime):
        raise Invalid("must be a date written YYYY-MM-DD, not a date and time")
    if isinstance(value, dt.date):
        day = value
    elif isinstance(value, str):
        match = _DATE_TEXT.fullmatch(value)
        if match is None:
            raise Invalid(f"must be a date written YYYY-MM-DD, not {show(value)}")
        try:
            day = dt.date.fromisoformat(value)  # the form is checked above: YYYY-MM-DD, ASCII digits
        except ValueError:
            raise Invalid(f"not a real date: {value}") from None
    else:
        raise Invalid(f"must be a date written YYYY-MM-DD, not {kind_of(value)}{shown_after(value)}")
    if not EARLIEST <= day <= LATEST:
        raise Invalid(f"must be between {EARLIEST} and {LATEST}, not {day}")
    return day


def check_name(value: object) -> None:
    """Ids must contain something besides spaces."""
    if isinstance(value, str) and value and not value.strip():
        raise Invalid(f"must not be blank, not {show(value)}")


#: The value parsers the schema names in ``check_with``, by name: each turns a raw value into the one the
#: household holds.
PARSERS: dict[str, Callable[[object], object]] = {"amount": parse_amount, "date": parse_date}
#: Values already parsed from one record: per parser name, the parsed value by ``id`` of the raw value (the
#: record keeps each raw value alive, so an identity names one value while the record is read).
Parsed = dict[str, dict[int, Any]]


def show(value: object) -> str:
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
    return kind_of(value)


def shown_after(value: object) -> str:
    """`` (the value)`` after the words for its kind, for a value short enough to show; else nothing."""
    if value is None or isinstance(value, (Mapping, list, tuple)):
        return ""
    return f" ({show(value)})"


def kind_of(value: object) -> str:
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


def whole_numbers(record: object) -> object:
    """The record with a whole number written ``2.0`` (as Excel and pandas write one) read as ``2``."""
    if not isinstance(record, Mapping):
        return record
    members = record.get("members")
    if not isinstance(members, list) or not any(
            isinstance(m, Mapping) and isinstance(m.get("disability"), Mapping)
            and isinstance(m["disability"].get("grade"), (float, Decimal)) for m in members):
        return record
    copied = dict(record)
    copied["members"] = [
        {**m, "disability": {**m["disability"], "grade": whole_number_text(m["disability"]["grade"])}}
        if isinstance(m, Mapping) and isinstance(m.get("disability"), Mapping) else m for m in members]
    return copied



class _Values:
    """Reads a record's amounts and dates: the values parsed already (``Parsed``), else by parsing them."""

    __slots__ = ("amounts", "dates")

    def __init__(self, parsed: Parsed | None) -> None:
        self.amounts: dict[int, Any] = parsed["amount"] if parsed else {}
        self.dates: dict[int, Any] = parsed["date"] if parsed else {}

    def amount(self, value: object) -> Decimal:
        found = self.amounts.get(id(value))
        return parse_amount(value) if found is None else found

    def date(self, value: object) -> dt.date:
        found = self.dates.get(id(value))
        return parse_date(value) if found is None else found

    def optional_amount(self, value: object) -> Decimal | None:
        return None if value is None else self.amount(value)

    def optional_date(self, value: object) -> dt.date | None:
        return None if value is None else self.date(value)


def _event(event: Mapping[str, Any], values: _Values) -> Event:
    if event["kind"] not in INCOME_CHANGE_KINDS:
        return Event(event["kind"], values.date(event["date"]), event.get("cause"))
    return Event(event["kind"], values.date(event["date"]), None, values.amount(event["income_before"]),
                 values.amount(event["income_after"]), event["per"])


def _event_date(event: Event) -> dt.date:
    return event.date


_NO_STATUS: Mapping[str, Any] = {}


def build_household(record: Mapping[str, Any], parsed: Parsed | None = None) -> Household:
    """The household of a record the validator accepted; ``parsed``: its amounts and dates parsed already."""
    values = _Values(parsed)
    status = record.get("status") or _NO_STATUS
    events = [_event(e, values) for e in record.get("events", ())]
    events.sort(key=_event_date)
    return Household(
        id=record["id"],
        hukou=record["hukou"],
        members=tuple([_member(m, index, values) for index, m in enumerate(record["members"])]),
        status=Status(
            registered_poor=status.get("registered_poor", False),
            lifted_out=status.get("lifted_out", False),
            dibao_since=values.optional_date(status.get("dibao_since")),
            tekun=status.get("tekun", False),
            monitored_since=values.optional_date(status.get("monitored_since")),
            children_support_sufficient=status.get("children_support_sufficient", False),
            tekun_support=status.get("tekun_support"),
            current_benefit_monthly=values.optional_amount(status.get("current_benefit_monthly")),
        ),
        events=tuple(events),
        requests=tuple([Request(r["kind"], values.amount(r["amount"]), r.get("member"))
                        for r in record.get("requests", ())]),
    )


def _member(member: Mapping[str, Any], index: int, values: _Values) -> Member:
    disability = member.get("disability")
    return Member(
        id=member["id"],
        birth_date=values.date(member["birth_date"]),
        disability=None if disability is None else Disability(
            disability["grade"], disability["category"], disability["certificate"]
        ),
        seriously_ill=member.get("seriously_ill", False),
        labour_capacity=member["labour_capacity"],
        employed=member.get("employed", False),
        applies_single_person=member.get("applies_single_person", False),
        incomes=tuple([Income(i["kind"], values.amount(i["amount"]), i["per"]) for i in member.get("incomes", ())]),
        expenses=tuple([Expense(e["kind"], values.amount(e["amount"]), e["per"], e.get("level"),
                       f"members[{index}].expenses[{n}]") for n, e in enumerate(member.get("expenses", ()))]),
    )
