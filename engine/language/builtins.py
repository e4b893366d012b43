"""Built-in functions: one table of plain functions with their signatures.

Each entry names its parameters, types a call (``result``: argument types → result type,
or a message saying what is wrong), implements it for one household (``impl``: plain
Python on exact values) and for whole columns of households (``column``: NumPy on the
exact columns of ``engine.language.columns``; or ``no_column``, the reason it has none,
and the columnar batch then leaves the rules that call it to the interpreter). The
checker uses ``result``, the interpreter calls ``impl``, the columnar compiler calls
``column``; nothing else defines a function of the language.

Calendar functions follow the official PRC calendar for working days (the
``chinesecalendar`` package, which carries the State Council's holiday notices,
adjusted working weekends included). Outside the years it covers, they stop with a
message saying so rather than guessing.
"""

from __future__ import annotations

import calendar as _calendar
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

import chinese_calendar
import numpy as np

from engine.base import exact
from engine.language import column_calendar as cal
from engine.language import columns as c
from engine.language import types as t
from engine.language.columns import I64, Col

MAX_AGGREGATE_ITEMS = 250_000  # items the aggregations of one household may visit


class BuiltinError(ValueError):
    """A built-in could not compute its value (a date outside the calendar, an impossible date)."""


@dataclass(frozen=True, slots=True, order=True)
class Duration:
    """A runtime duration: ``count`` months, days or working days (ordered within one unit)."""

    count: int
    unit: str


Typer = Callable[[Sequence[t.Type]], "t.Type | str"]
ColumnForm = Callable[[list[Col], t.Type], Col]  # argument columns, the call's type → the result column


@dataclass(frozen=True, slots=True)
class Builtin:
    name: str
    params: tuple[str, ...]
    result: Typer
    impl: Callable[..., object]
    doc: str
    column: ColumnForm | None
    no_column: str = ""  # why there is no column form (then ``column`` is None)
    optional: int = 0  # how many trailing params may be left out

    @property
    def signature(self) -> str:
        required = self.params[: len(self.params) - self.optional]
        optional = [f"[{p}]" for p in self.params[len(self.params) - self.optional:]]
        return f"{self.name}({', '.join([*required, *optional])})"


# --- calendar -------------------------------------------------------------------


def add_months(start: date, months: int) -> date:
    """Same day ``months`` later; a day past the target month's end becomes its last day."""
    index = start.year * 12 + start.month - 1 + months
    year, month = divmod(index, 12)
    if not 1 <= year <= 9999:
        raise BuiltinError(f"{start.isoformat()} plus {months} months is outside the calendar")
    last = _calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(start.day, last))


def add_days(start: date, days: int) -> date:
    try:
        return start + timedelta(days=days)
    except OverflowError:
        raise BuiltinError(f"{start.isoformat()} plus {days} days is outside the calendar") from None


def is_working_day(day: date) -> bool:
    """A working day on the official PRC calendar (weekends moved to working days count)."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        raise BuiltinError(
            f"the official working-day calendar has no data for {day.year} "
            f"(it covers {calendar_years()}); update the chinesecalendar package"
        ) from None


def calendar_years() -> str:
    from chinese_calendar import constants

    return f"{min(constants.holidays).year}–{max(constants.holidays).year}"


@lru_cache(maxsize=1)
def working_day_table() -> tuple[list[int], int, int]:
    """Every official working day the calendar package knows (as ordinals), and the years it covers."""
    from chinese_calendar import constants

    first, last = min(constants.holidays).year, max(constants.holidays).year
    start, end = date(first, 1, 1).toordinal(), date(last, 12, 31).toordinal()
    days = [n for n in range(start, end + 1) if chinese_calendar.is_workday(date.fromordinal(n))]
    return days, first, last


def add_working_days(start: date, count: int) -> date:
    """The ``count``-th working day after ``start`` (``start`` itself is not counted)."""
    if count == 0:
        return start
    table, first, last = working_day_table()
    if count > 0:
        position = bisect_right(table, start.toordinal()) + count - 1
    else:
        position = bisect_left(table, start.toordinal()) + count
    if not first <= start.year <= last or not 0 <= position < len(table):
        beyond = start.year if not first <= start.year <= last else (last + 1 if count > 0 else first - 1)
        raise BuiltinError(
            f"the official working-day calendar has no data for {beyond} "
            f"(it covers {calendar_years()}); update the chinesecalendar package")
    return date.fromordinal(table[position])


def first_day_of_month(day: date) -> date:
    return day.replace(day=1)


def last_day_of_month(day: date) -> date:
    return day.replace(day=_calendar.monthrange(day.year, day.month)[1])


def first_of_next_month(day: date) -> date:
    return add_days(last_day_of_month(day), 1)


def months_between(start: date, end: date) -> int:
    """Whole months from ``start`` to ``end``: the largest n with add_months(start, n) ≤ end."""
    if end < start:
        return -months_between(end, start)
    months = (end.year - start.year) * 12 + end.month - start.month
    if add_months(start, months) > end:
        months -= 1
    return months


def age_on(birth: date, on: date) -> int:
    """Age in whole years on a date; the birthday itself counts (60 on the 60th birthday)."""
    years = on.year - birth.year
    if (on.month, on.day) < (birth.month, birth.day):
        years -= 1
    return years


_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def iso_date(text: str) -> date:
    """A day written exactly YYYY-MM-DD (``date.fromisoformat`` also takes 20171001 and 2017-W40-1)."""
    if not _ISO_DAY.fullmatch(text):
        raise ValueError(f"{text!r} is not a date written YYYY-MM-DD")
    return date.fromisoformat(text)


def make_date(year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except (ValueError, OverflowError):
        raise BuiltinError(f"{year:04d}-{month:02d}-{day:02d} is not a real date") from None


def shift(day: date, duration: Duration, sign: int = 1) -> date:
    """``day + duration`` (or minus, with sign −1) for each kind of duration."""
    if duration.unit == "months":
        return add_months(day, sign * duration.count)
    if duration.unit == "working_days":
        return add_working_days(day, sign * duration.count)
    return add_days(day, sign * duration.count)


# --- numbers --------------------------------------------------------------------


def round_half_up(value: exact.Number, places: int = 2) -> Decimal:
    if not 0 <= places <= 10:
        raise BuiltinError(f"round to {places} places: places must be between 0 and 10")
    return exact.round_half_up(value, places)


def per_month(annual: exact.Number) -> exact.Number:
    return exact.div(annual, 12)


def per_year(monthly: exact.Number) -> exact.Number:
    return exact.mul(monthly, 12)


# --- the column forms -------------------------------------------------------------------


@lru_cache(maxsize=1)
def working_day_column() -> tuple[np.ndarray, int, int]:
    """The official working days (days since 1970) and the first and last day the calendar covers."""
    table, first, last = working_day_table()
    start, end = date(first, 1, 1).toordinal(), date(last, 12, 31).toordinal()
    return np.array(table, dtype=I64) - cal.EPOCH, start - cal.EPOCH, end - cal.EPOCH


def add_working_days_column(days: Any, count: Any) -> tuple[Any, Any]:
    """``add_working_days`` on columns, and the rows outside the calendar's years."""
    table, low, high = working_day_column()
    days = np.asarray(days, dtype=I64)
    count = np.asarray(count, dtype=I64)
    position = np.searchsorted(table, days, side="right") + count - 1
    backwards = count < 0
    position = np.where(backwards, np.searchsorted(table, days, side="left") + count, position)
    outside = (days < low) | (days > high) | (position < 0) | (position >= len(table))
    result = table[np.clip(position, 0, len(table) - 1)]
    return np.where(count == 0, days, result), outside & (count != 0)


def is_working_day_column(days: Any) -> tuple[Any, Any]:
    """``is_working_day`` on columns, and the rows outside the calendar's years."""
    table, low, high = working_day_column()
    days = np.asarray(days, dtype=I64)
    return np.isin(days, table), (days < low) | (days > high)


def shift_column(day: Col, duration: Col, sign: int = 1) -> Col:
    """``shift`` on columns: ``day + duration`` (or minus) for a duration column of one unit."""
    (start, count), bad = c.calendar_args([day, Col("int", duration.data, 1, duration.bad)])
    count = sign * count
    if duration.den == "months":
        shifted = cal.add_months(start, count)
    elif duration.den == "days":
        shifted = start + count
    else:
        shifted, outside = add_working_days_column(start, count)
        bad = bad | outside
    return Col("date", shifted, 1, bad | cal.outside_calendar(shifted))


def _per_month_column(args: list[Col], _type: t.Type) -> Col:
    return c.rat_div(args[0], Col("int", np.asarray(12, dtype=I64)))


def _per_year_column(args: list[Col], _type: t.Type) -> Col:
    return c.rat_mul(args[0], Col("int", np.asarray(12, dtype=I64)))


def _round_column(args: list[Col], _type: t.Type) -> Col:
    if len(args) > 1 and not args[1].scalar():
        raise c.NotColumnar("round to a computed number of places")
    places = int(args[1].data) if len(args) > 1 else 2
    return c.round_half_up(args[0], places)


def _extreme_column(smallest: bool) -> ColumnForm:
    def pick(args: list[Col], _type: t.Type) -> Col:
        a, b = args
        return c.select(c.compare(a, b, np.less_equal if smallest else np.greater_equal), a, b)

    return pick


def _abs_column(args: list[Col], _type: t.Type) -> Col:
    col = args[0]
    data = np.asarray(col.data, dtype=I64)
    return Col(col.kind, np.abs(c.choose(data == c.SMALLEST, 0, data)), col.den, col.bad | (data == c.SMALLEST))


def _floor_column(ceiling: bool) -> ColumnForm:
    return lambda args, _type: c.floor_div(args[0], ceiling)


def _dates_column(function: Callable[..., Any]) -> ColumnForm:
    """A calendar function of days and counts on columns; a date result outside years 1–9999 is bad."""
    def apply(args: list[Col], result_type: t.Type) -> Col:
        values, bad = c.calendar_args(args)
        result = np.asarray(function(*values), dtype=I64)
        if result_type == t.DATE:
            return Col("date", result, 1, bad | cal.outside_calendar(result))
        return Col("int", result, 1, bad)

    return apply


def _make_date_column(args: list[Col], _type: t.Type) -> Col:
    year, month, day = args
    days, unreal = cal.make_dates(year.data, month.data, day.data)
    return Col("date", days, 1, year.bad | month.bad | day.bad | unreal)


def _add_working_days_column(args: list[Col], _type: t.Type) -> Col:
    (start, count), bad = c.calendar_args(args)
    shifted, outside = add_working_days_column(start, count)
    return Col("date", shifted, 1, bad | outside)


def _is_working_day_column(args: list[Col], _type: t.Type) -> Col:
    (day,), bad = c.calendar_args(args)
    found, outside = is_working_day_column(day)
    return Col("bool", found, 1, bad | outside)


def _duration_column(unit: str) -> ColumnForm:
    return lambda args, _type: Col("duration", np.asarray(args[0].data, dtype=I64), unit, args[0].bad)


def _difference(a: Any, b: Any) -> Any:
    return np.asarray(b, dtype=I64) - np.asarray(a, dtype=I64)


# --- typing helpers ---------------------------------------------------------------


def _fixed(params: Sequence[t.Type], result: t.Type) -> Typer:
    def typer(args: Sequence[t.Type]) -> t.Type | str:
        for index, (arg, want) in enumerate(zip(args, params, strict=False)):
            if not t.assignable(arg, want):
                return f"argument {index + 1} must be {want}, not {arg}"
        return result

    return typer


def _same_ordered(args: Sequence[t.Type]) -> t.Type | str:
    first = args[0]
    for arg in args[1:]:
        joined = t.unify(first, arg)
        if joined is None:
            hint = t.period_hint(first, arg)
            return f"arguments must have the same type, not {first} and {arg}" + (f"; {hint}" if hint else "")
        first = joined
    if not (t.is_numeric(first) or isinstance(first, t.Money) or first in (t.DATE, t.ANY)):
        return f"arguments must be numbers, money or dates, not {first}"
    return first


def _numeric_or_money(args: Sequence[t.Type]) -> t.Type | str:
    if t.is_numeric(args[0]) or isinstance(args[0], t.Money):
        if len(args) > 1 and args[1] != t.INT:
            return f"argument 2 (places) must be int, not {args[1]}"
        return args[0]
    return f"argument 1 must be a number or money, not {args[0]}"


def _round(value: exact.Number, places: int = 2) -> exact.Number:
    if isinstance(value, int) and places >= 0:
        return value  # a whole number has nothing to round
    return round_half_up(value, places)


def _duration_maker(unit: str) -> Callable[[int], Duration]:
    def make(count: int) -> Duration:
        return Duration(count, unit)

    return make


def _table(*entries: Builtin) -> dict[str, Builtin]:
    return {entry.name: entry for entry in entries}


BUILTINS: dict[str, Builtin] = _table(
    Builtin("per_month", ("annual",), _fixed([t.MONEY_YEAR], t.MONEY_MONTH), per_month,
            "money per year → money per month (divides by 12, exactly)", _per_month_column),
    Builtin("per_year", ("monthly",), _fixed([t.MONEY_MONTH], t.MONEY_YEAR), per_year,
            "money per month → money per year (multiplies by 12)", _per_year_column),
    Builtin("round", ("value", "places"), _numeric_or_money, _round,
            "round half up to `places` decimals (default 2)", _round_column, optional=1),
    Builtin("min", ("a", "b"), _same_ordered, min, "the smaller of two values of the same type",
            _extreme_column(smallest=True)),
    Builtin("max", ("a", "b"), _same_ordered, max, "the larger of two values of the same type",
            _extreme_column(smallest=False)),
    Builtin("abs", ("value",), _numeric_or_money, abs, "absolute value", _abs_column),
    Builtin("floor", ("value",), _fixed([t.NUMBER], t.INT), exact.floor,
            "the largest whole number ≤ value (7 / 2 → 3)", _floor_column(ceiling=False)),
    Builtin("ceil", ("value",), _fixed([t.NUMBER], t.INT), exact.ceil,
            "the smallest whole number ≥ value (7 / 2 → 4)", _floor_column(ceiling=True)),
    Builtin("add_months", ("date", "months"), _fixed([t.DATE, t.INT], t.DATE), add_months,
            "same day n months later; 31 Jan + 1 month = 28/29 Feb", _dates_column(cal.add_months)),
    Builtin("add_days", ("date", "days"), _fixed([t.DATE, t.INT], t.DATE), add_days, "n calendar days later",
            _dates_column(lambda d, n: np.asarray(d, dtype=I64) + np.asarray(n, dtype=I64))),
    Builtin("add_working_days", ("date", "days"), _fixed([t.DATE, t.INT], t.DATE), add_working_days,
            "the n-th working day after the date on the official PRC calendar (the date itself not counted)",
            _add_working_days_column),
    Builtin("is_working_day", ("date",), _fixed([t.DATE], t.BOOL), is_working_day,
            "a working day on the official PRC calendar", _is_working_day_column),
    Builtin("first_day_of_month", ("date",), _fixed([t.DATE], t.DATE), first_day_of_month,
            "the first day of the date's month", _dates_column(cal.first_day_of_month)),
    Builtin("last_day_of_month", ("date",), _fixed([t.DATE], t.DATE), last_day_of_month,
            "the last day of the date's month", _dates_column(cal.last_day_of_month)),
    Builtin("first_of_next_month", ("date",), _fixed([t.DATE], t.DATE), first_of_next_month,
            "the first day of the month after the date's month", _dates_column(lambda d: cal.last_day_of_month(d) + 1)),
    Builtin("months_between", ("start", "end"), _fixed([t.DATE, t.DATE], t.INT), months_between,
            "whole months from start to end (month-end aware)", _dates_column(cal.months_between)),
    Builtin("days_between", ("start", "end"), _fixed([t.DATE, t.DATE], t.INT),
            lambda a, b: (b - a).days, "calendar days from start to end", _dates_column(_difference)),
    Builtin("age_on", ("birth_date", "date"), _fixed([t.DATE, t.DATE], t.INT), age_on,
            "age in whole years on a date (the birthday counts)", _dates_column(cal.age_on)),
    Builtin("year", ("date",), _fixed([t.DATE], t.INT), lambda d: d.year, "the year of a date",
            _dates_column(lambda d: cal.year_month_day(d)[0])),
    Builtin("month", ("date",), _fixed([t.DATE], t.INT), lambda d: d.month, "the month of a date (1–12)",
            _dates_column(lambda d: cal.year_month_day(d)[1])),
    Builtin("day", ("date",), _fixed([t.DATE], t.INT), lambda d: d.day, "the day of the month",
            _dates_column(lambda d: cal.year_month_day(d)[2])),
    Builtin("date", ("year", "month", "day"), _fixed([t.INT, t.INT, t.INT], t.DATE), make_date,
            "the date with this year, month and day", _make_date_column),
    Builtin("months", ("count",), _fixed([t.INT], t.Duration("months")), _duration_maker("months"),
            "a duration of n months", _duration_column("months")),
    Builtin("days", ("count",), _fixed([t.INT], t.Duration("days")), _duration_maker("days"),
            "a duration of n calendar days", _duration_column("days")),
    Builtin("working_days", ("count",), _fixed([t.INT], t.Duration("working_days")),
            _duration_maker("working_days"), "a duration of n working days", _duration_column("working_days")),
)

AGGREGATES = ("sum", "count", "any", "all", "min", "max", "first", "last", "collect")
