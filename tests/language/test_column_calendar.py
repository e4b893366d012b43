"""The calendar on columns read from the tables of one 400-year cycle, held to the arithmetic calendar and to
Python's dates on every day of the tables' years, across the edges where a column leaves them, and on every
day of years 1–9999."""

from __future__ import annotations

from calendar import isleap
from datetime import date, timedelta

import numpy as np
import pytest

from engine.language import builtins as b
from engine.language import column_calendar as cal

WINDOW = np.arange(cal.CYCLE_START, cal.CYCLE_START + cal.CYCLE_DAYS, dtype=np.int64)
# The tables' edges, with two years either side (read by shifting whole cycles).
EDGES = np.concatenate([np.arange(cal.CYCLE_START - 731, cal.CYCLE_START + 731),
                        np.arange(cal.CYCLE_START + cal.CYCLE_DAYS - 731, cal.CYCLE_START + cal.CYCLE_DAYS + 731)])
ALL_DAYS = np.arange(cal.FIRST_DAY, cal.LAST_DAY + 1, dtype=np.int64)


def back(value: int) -> date:
    return date.fromordinal(int(value) + cal.EPOCH)


def days(values: list[date]) -> np.ndarray:
    return np.array([d.toordinal() - cal.EPOCH for d in values], dtype=np.int64)


def test_the_tables_span_1801_to_2200() -> None:
    assert back(WINDOW[0]) == date(1801, 1, 1) and back(WINDOW[-1]) == date(2200, 12, 31)
    assert cal.cycle().month_start[-1] == days([date(2200, 12, 1)])[0]


@pytest.mark.parametrize("sample", [WINDOW, EDGES, ALL_DAYS], ids=["tables", "edges", "years 1-9999"])
def test_year_month_day_is_the_arithmetic_calendar_on_every_day(sample: np.ndarray) -> None:
    year, month, day = cal.year_month_day(sample)
    expected = cal.civil(sample)
    for got, want in zip((year, month, day), expected, strict=True):
        assert got.dtype == np.int64
        assert np.array_equal(got, want)
    assert np.array_equal(cal.days_of(year, month, day), sample)


AFTER = cal.CYCLE_START + cal.CYCLE_DAYS  # 2201-01-01


@pytest.mark.parametrize("sample", [
    np.arange(cal.CYCLE_START - 1, cal.CYCLE_START + 40), np.arange(AFTER - 40, AFTER + 1),
    np.array([cal.CYCLE_START - 1]), np.array([AFTER])], ids=["before", "after", "1800", "2201"])
def test_a_column_one_day_beyond_the_tables(sample: np.ndarray) -> None:
    for got, want in zip(cal.year_month_day(sample), cal.civil(sample), strict=True):
        assert np.array_equal(got, want)
    for months in (-1, 0, 1):
        assert np.array_equal(cal.add_months(sample, months), _add_months_arithmetic(sample, months))


def test_every_day_of_the_tables_is_pythons_date() -> None:
    year, month, day = cal.year_month_day(WINDOW)
    first = back(WINDOW[0])
    assert all(date(int(y), int(m), int(d)) == first + timedelta(days=n)
               for n, (y, m, d) in enumerate(zip(year, month, day, strict=True)))


def test_days_beyond_years_1_to_9999_still_invert() -> None:
    far = np.array([cal.FIRST_DAY - cal.CYCLE_DAYS * 3 - 1, cal.FIRST_DAY - 1, cal.LAST_DAY + 1,
                    cal.LAST_DAY + cal.CYCLE_DAYS * 7 + 59], dtype=np.int64)
    year, month, day = cal.year_month_day(far)
    assert [tuple(map(int, v)) for v in zip(*cal.civil(far), strict=True)] == \
        [tuple(map(int, v)) for v in zip(year, month, day, strict=True)]
    assert int(year[2]) == 10000 and int(year[1]) == 0


@pytest.mark.parametrize("sample", [WINDOW, EDGES], ids=["tables", "edges"])
def test_month_ends_and_starts_on_every_day(sample: np.ndarray) -> None:
    year, month, day = cal.civil(sample)
    assert np.array_equal(cal.first_day_of_month(sample), sample - day + 1)
    assert np.array_equal(cal.last_day_of_month(sample), sample - day + cal.days_in_month(year, month))
    assert np.array_equal(cal.day_of_month(sample), day)


def _add_months_arithmetic(start: np.ndarray, months: int) -> np.ndarray:
    year, month, day = cal.civil(start)
    index = year * 12 + month - 1 + months
    new_year, new_month = index // 12, index % 12 + 1
    return np.asarray(cal.days_of(new_year, new_month, np.minimum(day, cal.days_in_month(new_year, new_month))))


@pytest.mark.parametrize("months", [-4801, -4800, -25, -13, -12, -1, 0, 1, 2, 11, 12, 13, 24, 4799, 4800])
def test_add_months_on_every_day_of_the_edges(months: int) -> None:
    assert np.array_equal(cal.add_months(EDGES, months), _add_months_arithmetic(EDGES, months))
    inside = EDGES[np.isin(EDGES, WINDOW)]
    assert np.array_equal(cal.add_months(inside, months), _add_months_arithmetic(inside, months))


def test_add_months_is_the_builtin_on_month_ends_and_leap_days() -> None:
    starts = [date(y, m, d) for y in (1800, 1900, 2000, 2023, 2024, 2200, 2201) for m in range(1, 13)
              for d in (28, 29, 30, 31) if d <= (date(y + (m == 12), m % 12 + 1, 1) - timedelta(days=1)).day]
    for months in (-49, -12, -1, 1, 11, 12, 13, 48):
        got = cal.add_months(days(starts), months)
        assert [back(v) for v in got] == [b.add_months(d, months) for d in starts]


def test_months_between_is_the_builtin_around_month_ends_on_both_sides_of_the_tables() -> None:
    near_ends = [d for start in (date(1799, 12, 1), date(2023, 12, 1), date(2199, 12, 1))
                 for d in (start + timedelta(days=n) for n in range(800)) if (d + timedelta(days=3)).day <= 4]
    pairs = [(a, c) for a in near_ends for c in near_ends]
    starts, ends = days([a for a, _ in pairs]), days([c for _, c in pairs])
    expected = [b.months_between(a, c) for a, c in pairs]
    assert list(cal.months_between(starts, ends)) == expected
    assert list(cal.months_between(ends, starts)) == [-m for m in expected]


def test_months_between_a_column_and_one_day() -> None:
    on = date(2021, 9, 30)
    sample = EDGES[::7]
    got = cal.months_between(sample, np.asarray(days([on])[0]))
    assert list(got) == [b.months_between(back(v), on) for v in sample]
    assert int(cal.months_between(np.asarray(days([on])[0]), np.asarray(days([date(1, 1, 31)])[0]))) == \
        b.months_between(on, date(1, 1, 31))


def test_age_on_counts_the_birthday_and_leap_day_births() -> None:
    births = [date(2000, 2, 29), date(1800, 2, 28), date(1804, 2, 29), date(2200, 12, 31), date(2004, 3, 1),
              date(1801, 1, 1), date(1, 1, 1)]
    ons = [date(y, m, d) for y in (2001, 2003, 2004, 2100, 2201, 2204, 9999) for m, d in ((2, 28), (2, 29), (3, 1))
           if not (m == 2 and d == 29 and not isleap(y))]
    pairs = [(a, c) for a in births for c in ons if a <= c]
    got = cal.age_on(days([a for a, _ in pairs]), days([c for _, c in pairs]))
    assert list(got) == [b.age_on(a, c) for a, c in pairs]


def test_make_dates_knows_every_real_date() -> None:
    years = [0, 1, 4, 100, 1800, 1801, 1900, 2000, 2023, 2024, 2200, 2201, 9999, 10000, -5]
    triples = [(y, m, d) for y in years for m in range(0, 14) for d in range(0, 33)]
    year, month, day = (np.array(v, dtype=np.int64) for v in zip(*triples, strict=True))
    got, unreal = cal.make_dates(year, month, day)
    for (y, m, d), value, wrong in zip(triples, got, unreal, strict=True):
        try:
            real = date(y, m, d)
        except ValueError:
            assert wrong and value == 0
        else:
            assert not wrong and back(value) == real


def test_one_day_and_empty_columns() -> None:
    day = np.asarray(days([date(2024, 2, 29)])[0])
    assert [int(v) for v in cal.year_month_day(day)] == [2024, 2, 29]
    assert back(cal.add_months(day, 12)) == date(2025, 2, 28)
    assert back(cal.last_day_of_month(day)) == date(2024, 2, 29)
    empty = np.zeros(0, dtype=np.int64)
    assert all(len(v) == 0 for v in cal.year_month_day(empty))
    assert len(cal.add_months(empty, 1)) == 0 and len(cal.months_between(empty, empty)) == 0
