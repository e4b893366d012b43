"""The calendar on columns: days since 1970 on the proleptic Gregorian calendar, the interpreter's calendar.

Two forms of the same calendar. The arithmetic one (``civil``, ``days_of``) is the definition: the
400-year cycle of 146,097 days, in integer arithmetic. The one the built-ins' column forms use reads
tables of one such cycle (the days of 1801–2200, built once from the arithmetic form): a day's year,
month, day, month number and whether it ends its month, and each month's first day and length. The
Gregorian calendar repeats every 400 years exactly, so a day outside those years is the same day of
the cycle some whole number of cycles away, with the year (and month number) shifted by as many times
400 years (4,800 months); the tables thus answer for every day, and a column whose days all lie in
1801–2200 (nearly every column) is read without a division. A *month number* is ``year * 12 + month
- 1``, so that adding months is adding integers.

Dates of the rules are bounded to years 1–9999 (``outside_calendar``), as the interpreter bounds them.
NumPy only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

import numpy as np

EPOCH = date(1970, 1, 1).toordinal()
FIRST_DAY = date(1, 1, 1).toordinal() - EPOCH  # the interpreter's calendar: years 1 to 9999
LAST_DAY = date(9999, 12, 31).toordinal() - EPOCH
SPAN = LAST_DAY - FIRST_DAY  # a shift by more days (or months) than this leaves the calendar

CYCLE_DAYS = 146_097  # days of 400 Gregorian years
CYCLE_MONTHS = 4_800
CYCLE_YEAR = 1801  # the tables' cycle: 1801-01-01 to 2200-12-31
CYCLE_START = date(CYCLE_YEAR, 1, 1).toordinal() - EPOCH
CYCLE_MONTH = CYCLE_YEAR * 12  # the month number of January 1801


# --- the definition: integer arithmetic ----------------------------------------------------------


def civil(days: np.ndarray) -> tuple[Any, Any, Any]:
    """Year, month and day of days since 1970, in the integer type of ``days`` (counted from 1 March, so
    that a leap day ends its year)."""
    shifted = days + days.dtype.type(719_468)  # days since 0000-03-01
    era = shifted // 146_097
    day_of_era = shifted - era * 146_097
    year_of_era = (day_of_era - day_of_era // 1460 + day_of_era // 36_524 - day_of_era // 146_096) // 365
    day_of_year = day_of_era - (365 * year_of_era + year_of_era // 4 - year_of_era // 100)
    march_month = (5 * day_of_year + 2) // 153  # 0 = March … 11 = February
    day = day_of_year - (153 * march_month + 2) // 5 + 1
    month = march_month + np.where(march_month < 10, 3, -9).astype(days.dtype)
    return year_of_era + era * 400 + (month <= 2), month, day


def days_of(year: Any, month: Any, day: Any) -> Any:
    """Days since 1970 of a year, month and day (the inverse of ``civil``)."""
    year, month, day = (np.asarray(v, dtype=np.int64) for v in (year, month, day))
    year = year - (month <= 2)
    era = year // 400
    year_of_era = year - era * 400
    day_of_year = (153 * (month + np.where(month > 2, -3, 9)) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146_097 + day_of_era - 719_468


def days_in_month(year: Any, month: Any) -> Any:
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    lengths = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)
    return lengths[np.clip(np.asarray(month, dtype=np.int64), 1, 12) - 1] + ((month == 2) & leap)


# --- the tables of one cycle -------------------------------------------------------------------------


@dataclass(frozen=True)
class Cycle:
    """The tables of one 400-year cycle. Per day (index: days since 1801-01-01): ``year``, ``month``,
    ``day``, month number ``months``, ``month_day`` (month * 100 + day, for comparing anniversaries),
    ``not_last`` (the day is not its month's last) and ``to_end`` (the days after it in its month). Per
    month (index: month number − that of January 1801): the day its ``month_start`` is and its
    ``month_length``."""

    year: np.ndarray
    month: np.ndarray
    day: np.ndarray
    months: np.ndarray
    month_day: np.ndarray
    not_last: np.ndarray
    to_end: np.ndarray
    month_start: np.ndarray
    month_length: np.ndarray


@cache
def cycle() -> Cycle:
    """The tables, built once from the arithmetic calendar."""
    days = np.arange(CYCLE_START, CYCLE_START + CYCLE_DAYS, dtype=np.int64)
    year, month, day = civil(days)
    months = year * 12 + month - 1
    firsts = np.flatnonzero(day == 1)
    lengths = np.diff(np.append(firsts, CYCLE_DAYS))
    to_end = lengths[months - CYCLE_MONTH] - day
    return Cycle(
        year=year, month=month, day=day, months=months,
        month_day=(month * 100 + day).astype(np.int16),
        not_last=to_end > 0, to_end=to_end.astype(np.int16),
        month_start=days[firsts], month_length=lengths,
    )


def _day_index(days: Any) -> tuple[Any, Any]:
    """Each day's index into the cycle's day tables, and how many whole cycles it lies from them (the
    number 0 when every day is in 1801–2200)."""
    offset = np.asarray(days, dtype=np.int64) - CYCLE_START
    if offset.size == 0 or (int(offset.min()) >= 0 and int(offset.max()) < CYCLE_DAYS):
        return offset, 0
    cycles = offset // CYCLE_DAYS
    return offset - cycles * CYCLE_DAYS, cycles


def _month_index(months: Any) -> tuple[Any, Any]:
    """Each month number's index into the cycle's month tables, and how many whole cycles it lies from them."""
    offset = np.asarray(months, dtype=np.int64) - CYCLE_MONTH
    if offset.size == 0 or (int(offset.min()) >= 0 and int(offset.max()) < CYCLE_MONTHS):
        return offset, 0
    cycles = offset // CYCLE_MONTHS
    return offset - cycles * CYCLE_MONTHS, cycles


def _shifted(values: Any, cycles: Any, per_cycle: int) -> Any:
    return values if isinstance(cycles, int) else values + cycles * per_cycle


def month_number_and_day(days: Any) -> tuple[Any, Any]:
    """The month number (``year * 12 + month - 1``) and the day of the month of each day."""
    index, cycles = _day_index(days)
    tables = cycle()
    return _shifted(tables.months[index], cycles, CYCLE_MONTHS), tables.day[index]


def month_start_and_length(months: Any) -> tuple[Any, Any]:
    """The first day (days since 1970) and the number of days of each month number."""
    index, cycles = _month_index(months)
    tables = cycle()
    return _shifted(tables.month_start[index], cycles, CYCLE_DAYS), tables.month_length[index]


# --- the calendar functions --------------------------------------------------------------------------


def outside_calendar(days: Any) -> Any:
    """Rows whose day is not in years 1–9999, where the interpreter stops with an error."""
    days = np.asarray(days, dtype=np.int64)
    return (days < FIRST_DAY) | (days > LAST_DAY)


def clip_to_calendar(days: Any) -> Any:
    """Days clipped into the calendar, so that date arithmetic on bad rows stays harmless."""
    return np.clip(np.asarray(days, dtype=np.int64), FIRST_DAY, LAST_DAY)


def year_month_day(days: Any) -> tuple[Any, Any, Any]:
    """Year, month and day (int64) of days since 1970."""
    index, cycles = _day_index(days)
    tables = cycle()
    return _shifted(tables.year[index], cycles, 400), tables.month[index], tables.day[index]


def make_dates(year: Any, month: Any, day: Any) -> tuple[Any, Any]:
    """Days since 1970 of year-month-day, and the rows that are not a real date of years 1–9999."""
    year, month, day = (np.asarray(v, dtype=np.int64) for v in (year, month, day))
    outside = (year < 1) | (year > 9999) | (month < 1) | (month > 12)
    start, length = month_start_and_length(np.clip(year, 1, 9999) * 12 + np.clip(month, 1, 12) - 1)
    unreal = outside | (day < 1) | (day > length)
    return np.where(unreal, 0, start + day - 1), unreal


def day_of_month(days: Any) -> Any:
    index, _ = _day_index(days)
    return cycle().day[index]


def first_day_of_month(days: Any) -> Any:
    return np.asarray(days, dtype=np.int64) - day_of_month(days) + 1


def last_day_of_month(days: Any) -> Any:
    index, _ = _day_index(days)
    return np.asarray(days, dtype=np.int64) + cycle().to_end[index]


def add_months(days: Any, months: Any) -> Any:
    """The same day ``months`` later (or earlier), or the last day of that month when it is shorter."""
    number, day = month_number_and_day(days)
    start, length = month_start_and_length(number + np.asarray(months, dtype=np.int64))
    return start + np.minimum(day, length) - 1


def months_between(start: Any, end: Any) -> Any:
    """Whole months from start to end: the largest n with ``add_months(start, n) <= end`` (negated when end
    comes first). ``add_months(low, n)`` for n the difference of their months lands in high's month, on
    low's day or that month's last day; it passes ``high`` exactly when low's day is after high's and high is
    not its month's last day."""
    start_index, start_cycles = _day_index(start)
    end_index, end_cycles = _day_index(end)
    tables = cycle()
    start_day, end_day = tables.day[start_index], tables.day[end_index]
    months = (_shifted(tables.months[end_index], end_cycles, CYCLE_MONTHS)
              - _shifted(tables.months[start_index], start_cycles, CYCLE_MONTHS))
    forward = np.asarray(end, dtype=np.int64) >= np.asarray(start, dtype=np.int64)
    short_forward = forward & (start_day > end_day) & tables.not_last[end_index]
    short_backward = ~forward & (end_day > start_day) & tables.not_last[start_index]
    return months - short_forward + short_backward


def age_on(birth: Any, on: Any) -> Any:
    """Age in whole years on a day: the birthday counts (born on 29 February: 1 March in other years)."""
    birth_index, birth_cycles = _day_index(birth)
    on_index, on_cycles = _day_index(on)
    tables = cycle()
    years = _shifted(tables.year[on_index], on_cycles, 400) - _shifted(tables.year[birth_index], birth_cycles, 400)
    return years - (tables.month_day[on_index] < tables.month_day[birth_index])
