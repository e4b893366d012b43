"""Column building blocks against their one-value counterparts in engine.language.builtins, and the one
table of built-ins and household fields that both forms come from."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from engine.batch.reductions import segment_extreme, segment_sum
from engine.language import builtins as b
from engine.language.builtins import add_working_days_column as add_working_days
from engine.language.column_calendar import EPOCH, add_months, age_on, months_between
from engine.language.columns import Col, rat_compare, round_half_up

DAYS = [date(2016, 1, 31) + timedelta(days=n * 37) for n in range(80)] + [date(2024, 2, 29), date(2023, 12, 31)]


def days(values: list[date]) -> np.ndarray:
    return np.array([d.toordinal() - EPOCH for d in values], dtype=np.int64)


def back(value: int) -> date:
    return date.fromordinal(int(value) + EPOCH)


@pytest.mark.parametrize("months", [-13, -1, 0, 1, 2, 11, 12, 25])
def test_add_months_matches_the_builtin(months: int) -> None:
    got = add_months(days(DAYS), months)
    assert [back(v) for v in got] == [b.add_months(d, months) for d in DAYS]


def test_months_between_and_age_match_the_builtins() -> None:
    starts, ends = DAYS[:-1], DAYS[1:]
    pairs = list(zip(starts, ends, strict=True))
    assert list(months_between(days(starts), days(ends))) == [b.months_between(a, c) for a, c in pairs]
    assert list(months_between(days(ends), days(starts))) == [b.months_between(c, a) for a, c in pairs]
    assert list(age_on(days(starts), days(ends))) == [b.age_on(a, c) for a, c in pairs]


@pytest.mark.parametrize("count", [-5, -1, 1, 5, 20])
def test_working_days_match_the_builtin(count: int) -> None:
    start = [date(2021, 9, 28), date(2022, 1, 25), date(2023, 1, 18), date(2026, 2, 13), date(2025, 9, 30)]
    got, outside = add_working_days(days(start), count)
    assert not outside.any()
    assert [back(v) for v in got] == [b.add_working_days(d, count) for d in start]


def test_working_days_beyond_the_calendar_are_marked() -> None:
    _, outside = add_working_days(days([date(2026, 12, 20)]), 20)
    assert outside.all()


def test_segment_reductions_with_empty_segments_anywhere() -> None:
    # segments: [0, 2), empty, [2, 5), empty at the end
    starts, ends = np.array([0, 2, 2, 5]), np.array([2, 2, 5, 5])
    values = np.array([3, 9, 4, 1, 7], dtype=np.int64)
    assert list(segment_sum(values, starts, ends)) == [12, 0, 12, 0]
    assert list(segment_extreme(values, starts, ends, False, -1)) == [9, -1, 7, -1]
    assert list(segment_extreme(values, starts, ends, True, 99)) == [3, 99, 1, 99]


def test_rationals_round_half_away_from_zero_exactly() -> None:
    col = Col("rat", np.array([52605, -1, 1, 2629525], dtype=np.int64), np.array([20, 200, 3, 1000], dtype=np.int64))
    rounded = round_half_up(col, 2)
    assert list(np.asarray(rounded.data) * (100 // np.asarray(rounded.den))) == [263025, -1, 33, 262953]


def test_comparisons_cross_multiply_exactly() -> None:
    third = Col("rat", np.array([1]), np.array([3]))
    close = Col("rat", np.array([3333333333]), np.array([10000000000]))
    assert bool(rat_compare(third, close, np.greater).data[0])


def test_months_between_matches_the_builtin_around_every_month_end() -> None:
    # Every pair of days near the ends of the months of 2023-2024 (leap February included): a start on a later
    # day of its month than the end is a month short unless the end is its month's last day.
    near_ends = [date(2023, 1, 1) + timedelta(days=n) for n in range(731)
                 if (date(2023, 1, 1) + timedelta(days=n + 3)).day <= 4]
    pairs = [(a, c) for a in near_ends for c in near_ends]
    starts, ends = days([a for a, _ in pairs]), days([c for _, c in pairs])
    assert list(months_between(starts, ends)) == [b.months_between(a, c) for a, c in pairs]


def test_days_outside_the_calendar_take_the_64_bit_path_and_still_invert() -> None:
    from engine.language.column_calendar import FIRST_DAY, LAST_DAY, days_of, year_month_day

    inside = np.array([FIRST_DAY, 0, LAST_DAY], dtype=np.int64)
    outside = np.array([FIRST_DAY - 400, FIRST_DAY - 1, LAST_DAY + 1, LAST_DAY + 146_097 * 3], dtype=np.int64)
    for sample in (inside, outside, np.concatenate([inside, outside])):
        year, month, day = year_month_day(sample)
        assert year.dtype == month.dtype == day.dtype == np.int64
        assert (days_of(year, month, day) == sample).all()
    assert [int(v) for v in year_month_day(np.array([LAST_DAY + 1]))[0]] == [10000]


def test_calendar_arithmetic_matches_python_over_years_1_to_9999() -> None:
    from engine.language.column_calendar import (
        FIRST_DAY,
        LAST_DAY,
        days_of,
        first_day_of_month,
        last_day_of_month,
        year_month_day,
    )

    sample = np.concatenate([np.arange(FIRST_DAY, LAST_DAY + 1, 997), [FIRST_DAY, LAST_DAY, -1, 0, 59, 60, 11016]])
    year, month, day = year_month_day(sample)
    assert [date(int(y), int(m), int(d)) for y, m, d in zip(year, month, day, strict=True)] == [back(v) for v in sample]
    assert (days_of(year, month, day) == sample).all()
    assert [back(v) for v in first_day_of_month(sample)] == [b.first_day_of_month(back(v)) for v in sample]
    assert [back(v) for v in last_day_of_month(sample)] == [b.last_day_of_month(back(v)) for v in sample]


def test_every_built_in_has_a_column_form_or_says_why_not() -> None:
    """A built-in without a column form would send a caseload to the interpreter: each has one, or a reason."""
    assert [name for name, f in b.BUILTINS.items() if (f.column is None) == (not f.no_column)] == []
    assert [name for name, f in b.BUILTINS.items() if f.column is None] == []  # today every one has a column form


def test_every_field_is_read_from_columns() -> None:
    """Each field of the household either has a column reader in the fields' table or is a batch column of its
    name (lists are aggregated, ``as_of`` is the run's date): a field the batch cannot read would send a caseload
    to the interpreter."""
    from engine.batch.column_batch import BATCH_COLUMNS, LIST_FIELDS
    from engine.language.fields import HOUSEHOLD_NAMES, RECORD_FIELDS

    unread = []
    for level, table in [("household", HOUSEHOLD_NAMES), *RECORD_FIELDS.items()]:
        for name, entry in table.items():
            column = name.split(".")[-1]
            if entry.column is None and column not in BATCH_COLUMNS[level] and (level, column) not in LIST_FIELDS \
                    and name != "as_of":
                unread.append(f"{level}.{name}")
    assert unread == []


class _Members:
    """The columns of a few members, as a batch holds them."""

    def __init__(self, births: list[date], grades: list[int], as_of: date) -> None:
        self.as_of_days = as_of.toordinal() - EPOCH
        self.columns = {"birth_date": days(births), "disability_grade": np.array(grades, dtype=np.int64)}
        self.cache: dict[str, object] = {}

    def stored(self, level: str, name: str) -> object:
        return self.columns[name]

    def missing(self, level: str, name: str) -> object:
        return False

    def children(self, level: str) -> np.ndarray:
        raise AssertionError("not read")

    def cached(self, key: str, compute: object) -> object:
        return self.cache.setdefault(key, compute())  # type: ignore[operator]


def test_derived_member_fields_agree_in_both_forms() -> None:
    """elderly, minor, adult, disabled and severely disabled: one test, the same answer for one member and in
    a column, on either side of the 18th and 60th birthdays and for every grade."""
    from engine.household.record import Disability, Member
    from engine.language.fields import MEMBER_FIELDS

    as_of = date(2024, 3, 1)
    births = [date(1964, 3, 1), date(1964, 3, 2), date(2006, 3, 1), date(2006, 3, 2), date(1964, 2, 29),
              date(2000, 1, 1)]
    grades = [0, 1, 2, 3, 4, 0]
    members = [Member(id=f"p{i}", birth_date=birth, labour_capacity="full", seriously_ill=False, employed=False,
                      applies_single_person=False, incomes=(), expenses=(),
                      disability=Disability(grade, "physical", "other") if grade else None)
               for i, (birth, grade) in enumerate(zip(births, grades, strict=True))]
    columns = _Members(births, grades, as_of)
    for name in ("age", "elderly", "minor", "adult", "disabled", "severely_disabled"):
        entry = MEMBER_FIELDS[name]
        assert entry.column is not None, name
        column = entry.column(columns)
        assert [v.item() for v in np.asarray(column.data)] == [entry.get(m, as_of) for m in members], name


def test_a_large_single_denominator_is_reduced_exactly_and_stays_single() -> None:
    """normalise divides one large denominator by its common divisor with every numerator: the same values as
    reducing each row, one denominator kept; where no small common one exists, each row is reduced."""
    from fractions import Fraction

    from engine.language.columns import normalise

    numerators = np.array([6_912_000_000 * 3, 2400 * 5, 0, -4800, 7_200_000], dtype=np.int64)
    reduced = normalise(numerators, 6_912_000_000, False)
    assert np.ndim(reduced.den) == 0 and int(reduced.den) < 1 << 24
    assert [Fraction(int(n), int(reduced.den)) for n in reduced.data] == [Fraction(int(n), 6_912_000_000)
                                                                         for n in numerators]
    coprime = normalise(np.array([1, 2, 3], dtype=np.int64), 2**31 - 1, False)  # a prime: nothing in common
    assert [Fraction(int(n), int(d)) for n, d in zip(coprime.data, np.broadcast_to(coprime.den, (3,)), strict=True)] \
        == [Fraction(n, 2**31 - 1) for n in (1, 2, 3)]


def test_a_choice_between_two_denominators_keeps_one_and_its_bad_rows() -> None:
    """select over rationals of different single denominators gives one common denominator, exact values, and
    the bad rows of the values chosen only."""
    from fractions import Fraction

    from engine.language.columns import select

    condition = Col("bool", np.array([True, False, True, False]))
    then = Col("rat", np.array([1, 2, 3, 4], dtype=np.int64), 12, np.array([False, True, False, False]))
    otherwise = Col("rat", np.array([5, 6, 7, 8], dtype=np.int64), 100, np.array([False, False, False, True]))
    chosen = select(condition, then, otherwise)
    assert np.ndim(chosen.den) == 0
    assert [Fraction(int(n), int(chosen.den)) for n in chosen.data] == [
        Fraction(1, 12), Fraction(6, 100), Fraction(3, 12), Fraction(8, 100)]
    assert list(np.broadcast_to(chosen.bad, (4,))) == [False, False, False, True]


def test_choose_is_where_for_every_kind_of_value() -> None:
    """``choose`` takes the branch-free path for bools and integers of one type: the same values, type and shape
    as ``np.where``, at int64's extremes too; anything else is ``np.where`` itself."""
    from engine.language.columns import SMALLEST, choose

    rng = np.random.default_rng(7)
    mask = rng.random(1000) < 0.5
    extremes = np.array([SMALLEST, -1, 0, 1, np.iinfo(np.int64).max], dtype=np.int64)
    samples: list[tuple[object, object]] = [
        (rng.integers(-(2**63), 2**63 - 1, 1000, dtype=np.int64), rng.choice(extremes, 1000)),
        (rng.random(1000) < 0.3, rng.random(1000) < 0.6),
        (rng.integers(0, 30, 1000).astype(np.int16), np.asarray(3, dtype=np.int16)),
        (np.asarray(SMALLEST, dtype=np.int64), rng.choice(extremes, 1000)),
        (np.asarray(False), rng.random(1000) < 0.5),
        (np.arange(1000, dtype=np.int64), 0),
        (rng.integers(-5, 5, 1000).astype(np.int16), np.asarray(0, dtype=np.int16)),
        (np.asarray(-9, dtype=np.int64), np.asarray(0, dtype=np.int64)),
        (np.arange(1000, dtype=np.int32), np.arange(1000, dtype=np.int64)),
        (np.array(["a"] * 1000, dtype=object), np.asarray("b", dtype=object)),
    ]
    for first, second in samples:
        for m in (mask, np.asarray(True), np.asarray(False)):
            got, want = choose(m, first, second), np.where(m, first, second)
            assert got.dtype == want.dtype and got.shape == want.shape and (got == want).all()
    assert choose(np.asarray(True), np.asarray(5, dtype=np.int64), np.asarray(6, dtype=np.int64)).shape == ()
