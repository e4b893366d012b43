"""The column value kernel: exact rational int64 arithmetic, rounding and the calendar on columns.

A column (:class:`Col`) holds one value per row of a level (per household, per member…),
or one value for every row. Money and every other decimal is an exact rational
``num / den`` in int64 arrays, so nothing is rounded before an output; products that could
leave int64 mark their rows *bad* (the interpreter then answers them exactly) instead of
wrapping. Dates are days since 1970 on the proleptic Gregorian calendar of years 1–9999,
the interpreter's calendar. The built-ins' column forms (``engine.language.builtins``), the
household fields' column readers (``engine.language.fields``) and the columnar compiler
(``engine.batch``) are all written with these operations. NumPy only.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

import numpy as np

I64 = np.int64
LIMIT = 4.0e18  # products beyond this may overflow int64 once added: such rows are bad
EPOCH = date(1970, 1, 1).toordinal()
FIRST_DAY = date(1, 1, 1).toordinal() - EPOCH  # the interpreter's calendar: years 1 to 9999
LAST_DAY = date(9999, 12, 31).toordinal() - EPOCH
LARGEST = int(LIMIT)  # the largest magnitude a constant may have in a column
SMALLEST = np.iinfo(np.int64).min  # has no negative in int64
SPAN = LAST_DAY - FIRST_DAY  # a shift by more days (or months) than this leaves the calendar


class NotColumnar(Exception):
    """This expression uses something the columnar compiler does not cover."""


class Vocab:
    """The values of a categorical column: row values are codes into ``values``."""

    def __init__(self, values: tuple[str, ...]) -> None:
        self.values = values
        self.array = np.array(values, dtype=object)
        self.index: dict[Any, int] = {v: i for i, v in enumerate(values)}

    def codes(self, values: set[Any]) -> list[int]:
        return [self.index[v] for v in values if v in self.index]


@dataclass
class Col:
    """A column of values at one level. ``kind``: bool, int, rat, date (days since 1970), obj,
    cat (codes; ``den`` holds the ``Vocab``), duration (``den`` holds the unit) or bad (a
    parameter without a value: every row bad).

    ``data`` is an array (one value per row) or a 0-d array (the same value for every row);
    for ``rat`` the value is ``data / den``. ``bad`` marks rows that could not be computed.
    """

    kind: str
    data: Any
    den: Any = 1
    bad: Any = False

    def scalar(self) -> bool:
        return bool(np.ndim(self.data) == 0 and np.ndim(self.den) == 0)


# --- exact rationals ------------------------------------------------------------------


def as_rat(col: Col) -> Col:
    if col.kind == "rat":
        return col
    if col.kind in ("int", "bad"):
        return Col("rat", col.data, 1, col.bad)
    raise NotColumnar(f"not a number: {col.kind}")


def guard(*pairs: tuple[Any, Any]) -> Any:
    """Rows where any product a*b could overflow int64."""
    flags: Any = False
    for a, b in pairs:
        largest_a, largest_b = largest(a), largest(b)
        if largest_a <= 1 or largest_b <= 1 or float(largest_a) * float(largest_b) <= LIMIT:
            continue  # no row can overflow: skip the row-by-row test
        flags = flags | (np.abs(np.asarray(a, dtype=np.float64)) * np.abs(np.asarray(b, dtype=np.float64)) > LIMIT)
    return flags


def largest(values: Any) -> int:
    """The largest magnitude in an int64 column (or of a scalar)."""
    if np.ndim(values) == 0:
        return abs(int(values))
    if len(values) == 0:
        return 0
    return max(abs(int(np.max(values))), abs(int(np.min(values))))


def mul(a: Any, b: Any) -> Any:
    if np.ndim(a) == 0 and int(a) == 1:
        return b
    if np.ndim(b) == 0 and int(b) == 1:
        return a
    with np.errstate(over="ignore"):
        return np.multiply(a, b, dtype=I64)


def normalise(num: Any, den: Any, bad: Any) -> Col:
    """Reduce num/den when denominators grow large (small ones cost nothing to keep).

    A single denominator ``d`` is divided by its greatest common divisor with every numerator, which gives the
    least common multiple of the rows' own reduced denominators: when that is small the column keeps one
    denominator (every later operation stays on the cheap path of a single one); otherwise each row is reduced
    on its own."""
    if np.ndim(den) == 0:
        if int(den) < 1 << 24:
            return Col("rat", num, den, bad)
        common = _common_divisor(int(den), num)
        if common > 0 and int(den) // common < 1 << 24:
            return Col("rat", np.asarray(num, dtype=I64) // common, int(den) // common, bad)
    elif len(den) == 0 or int(np.max(den)) < 1 << 24:
        return Col("rat", num, den, bad)
    g = np.gcd(num, den)
    g = np.where(g == 0, 1, g)
    return Col("rat", num // g, den // g, bad)


def _common_divisor(den: int, num: Any) -> int:
    """The greatest common divisor of ``den`` and every numerator (0 when there is none to trust)."""
    values = np.asarray(num, dtype=I64)
    if values.size and (values == SMALLEST).any():
        return 0  # no int64 holds its magnitude
    return math.gcd(den, int(np.gcd.reduce(values.reshape(-1), initial=0)))


def rat_add(a: Col, b: Col, sign: int = 1) -> Col:
    a, b = as_rat(a), as_rat(b)
    if np.ndim(a.den) == 0 and np.ndim(b.den) == 0 and int(a.den) == int(b.den):
        with np.errstate(over="ignore"):
            num = np.add(a.data, sign * np.asarray(b.data, dtype=I64), dtype=I64)
        return Col("rat", num, a.den, a.bad | b.bad | guard((a.data, 2), (b.data, 2)))
    bad = a.bad | b.bad | guard((a.data, b.den), (b.data, a.den), (a.den, b.den))
    with np.errstate(over="ignore"):
        num = np.add(mul(a.data, b.den), sign * np.asarray(mul(b.data, a.den), dtype=I64), dtype=I64)
    return normalise(num, mul(a.den, b.den), bad)


def rat_mul(a: Col, b: Col) -> Col:
    a, b = as_rat(a), as_rat(b)
    bad = a.bad | b.bad | guard((a.data, b.data), (a.den, b.den))
    return normalise(mul(a.data, b.data), mul(a.den, b.den), bad)


def rat_div(a: Col, b: Col) -> Col:
    a, b = as_rat(a), as_rat(b)
    zero = np.asarray(b.data) == 0
    divisor = np.where(zero, 1, b.data)
    sign = np.sign(divisor)
    bad = a.bad | b.bad | zero | guard((a.data, b.den), (a.den, divisor))
    return normalise(mul(a.data, b.den) * sign, mul(a.den, np.abs(divisor)), bad)


def rat_compare(a: Col, b: Col, op: Callable[[Any, Any], Any]) -> Col:
    a, b = as_rat(a), as_rat(b)
    bad = a.bad | b.bad | guard((a.data, b.den), (b.data, a.den))
    return Col("bool", op(mul(a.data, b.den), mul(b.data, a.den)), 1, bad)


def round_half_up(col: Col, places: int) -> Col:
    """Exact rounding half away from zero (Decimal's ROUND_HALF_UP) to ``places`` decimals."""
    col = as_rat(col)
    scale = 10 ** places
    bad = col.bad | guard((col.data, scale))
    scaled = np.abs(mul(col.data, scale))
    quotient, remainder = np.divmod(scaled, col.den)
    quotient = quotient + (2 * remainder >= col.den)
    return normalise(np.sign(col.data) * quotient, scale, bad)


def floor_div(col: Col, ceiling: bool = False) -> Col:
    col = as_rat(col)
    if ceiling:
        return Col("int", -((-np.asarray(col.data)) // col.den), 1, col.bad)
    return Col("int", np.asarray(col.data) // col.den, 1, col.bad)


def to_fen(col: Col) -> tuple[np.ndarray, Any]:
    """Money rounded half up to 0.01 yuan, as integer fen, and the bad rows."""
    rounded = round_half_up(col, 2)
    fen = np.asarray(rounded.data) * (100 // np.asarray(rounded.den))
    return fen, rounded.bad


def decimal_rat(value: Decimal | int) -> tuple[int, int]:
    """An exact decimal as (numerator, denominator)."""
    numerator, denominator = Decimal(value).as_integer_ratio()
    return numerator, denominator


# --- calendar on days since 1970 -----------------------------------------------------------


def outside_calendar(days: Any) -> Any:
    """Rows whose day is not in years 1–9999, where the interpreter stops with an error."""
    days = np.asarray(days, dtype=I64)
    return (days < FIRST_DAY) | (days > LAST_DAY)


def _in_calendar(days: Any) -> Any:
    """Days clipped into the calendar, so that NumPy's date arithmetic on bad rows stays harmless."""
    return np.clip(np.asarray(days, dtype=I64), FIRST_DAY, LAST_DAY)


def days_in_month(year: Any, month: Any) -> Any:
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    lengths = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=I64)
    return lengths[np.clip(np.asarray(month, dtype=I64), 1, 12) - 1] + ((month == 2) & leap)


def make_dates(year: Any, month: Any, day: Any) -> tuple[Any, Any]:
    """Days since 1970 of year-month-day, and the rows that are not a real date of years 1–9999."""
    year, month, day = (np.asarray(v, dtype=I64) for v in (year, month, day))
    unreal = (year < 1) | (year > 9999) | (month < 1) | (month > 12) | (day < 1) | (day > days_in_month(year, month))
    days = days_of(np.clip(year, 1, 9999), np.clip(month, 1, 12), np.clip(day, 1, 31))
    return np.where(unreal, 0, days), unreal


def year_month_day(days: Any) -> tuple[Any, Any, Any]:
    """Year, month and day of days since 1970, in integer arithmetic (the proleptic Gregorian calendar's
    400-year cycle of 146,097 days, counted from 1 March so that a leap day ends its year). Days of the
    calendar (years 1–9999, nearly every column) are worked in 32-bit integers, twice as fast; any other
    day in 64-bit ones."""
    days = np.asarray(days, dtype=I64)
    if days.ndim and days.size and int(days.min()) >= FIRST_DAY and int(days.max()) <= LAST_DAY:
        parts = _civil(days.astype(np.int32))
        return parts[0].astype(I64), parts[1].astype(I64), parts[2].astype(I64)
    return _civil(days)


def _civil(days: np.ndarray) -> tuple[Any, Any, Any]:
    """``year_month_day`` in the integer type of ``days`` (int32 only for days of years 1–9999)."""
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
    """Days since 1970 of a year, month and day (the inverse of ``year_month_day``)."""
    year, month, day = (np.asarray(v, dtype=I64) for v in (year, month, day))
    year = year - (month <= 2)
    era = year // 400
    year_of_era = year - era * 400
    day_of_year = (153 * (month + np.where(month > 2, -3, 9)) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146_097 + day_of_era - 719_468


def day_of_month(days: Any) -> Any:
    return year_month_day(days)[2]


def add_months(days: Any, months: Any) -> Any:
    year, month, day = year_month_day(days)
    index = year * 12 + month - 1 + np.asarray(months, dtype=I64)
    new_year, new_month = index // 12, index % 12 + 1
    return days_of(new_year, new_month, np.minimum(day, days_in_month(new_year, new_month)))


def first_day_of_month(days: Any) -> Any:
    return np.asarray(days, dtype=I64) - day_of_month(days) + 1


def last_day_of_month(days: Any) -> Any:
    year, month, day = year_month_day(days)
    return np.asarray(days, dtype=I64) - day + days_in_month(year, month)


def months_between(start: Any, end: Any) -> Any:
    """Whole months from start to end: the largest n with ``add_months(start, n) <= end`` (negated when end
    comes first). ``add_months(low, n)`` for n the difference of their months lands in high's month, on
    low's day or that month's last day; it passes ``high`` exactly when low's day is after high's and high is
    not its month's last day."""
    start, end = np.broadcast_arrays(np.asarray(start, dtype=I64), np.asarray(end, dtype=I64))
    forward = end >= start
    low_year, low_month, low_day = year_month_day(np.where(forward, start, end))
    high_year, high_month, high_day = year_month_day(np.where(forward, end, start))
    past = (low_day > high_day) & (high_day < days_in_month(high_year, high_month))
    months = (high_year - low_year) * 12 + (high_month - low_month) - past
    return np.where(forward, months, -months)


def age_on(birth: Any, on: Any) -> Any:
    by, bm, bd = year_month_day(birth)
    oy, om, od = year_month_day(on)
    return oy - by - ((om * 100 + od) < (bm * 100 + bd))


# --- choosing and comparing ----------------------------------------------------------------


def decoded(col: Col) -> Col:
    """A categorical column as plain text values."""
    if col.kind != "cat":
        return col
    return Col("obj", col.den.array[np.asarray(col.data)], 1, col.bad)



def compare(left: Col, right: Col, compare: Callable[[Any, Any], Any]) -> Col:
    if "list" in (left.kind, right.kind):
        raise NotColumnar("comparing lists")
    if left.kind == "bad" or right.kind == "bad":
        return Col("bool", np.asarray(False), 1, left.bad | right.bad)
    if "cat" in (left.kind, right.kind):
        return compare_categories(left, right, compare)
    if "rat" in (left.kind, right.kind):
        return rat_compare(left, right, compare)
    return Col("bool", compare(left.data, right.data), 1, left.bad | right.bad)


def compare_categories(left: Col, right: Col, compare: Callable[[Any, Any], Any]) -> Col:
    """Equality of a categorical column with a constant compares codes; anything else compares text."""
    cat, other = (left, right) if left.kind == "cat" else (right, left)
    if compare in (np.equal, np.not_equal) and other.kind == "obj" and np.ndim(other.data) == 0:
        code = cat.den.index.get(other.data.item(), -1)
        return Col("bool", compare(np.asarray(cat.data), code), 1, left.bad | right.bad)
    a, b = decoded(left), decoded(right)
    return Col("bool", compare(a.data, b.data), 1, a.bad | b.bad)


def select(condition: Col, then: Col, otherwise: Col) -> Col:
    """Row by row: ``then`` where the condition holds, else ``otherwise`` (badness follows the choice)."""
    chosen = np.asarray(condition.data, dtype=bool)
    bad = _chosen_bad(condition, chosen, then, otherwise)
    if then.kind == "bad" and otherwise.kind == "bad":
        return Col("bad", then.data, 1, np.asarray(True))
    if then.kind == "bad":
        then = _shaped_like(otherwise)
    if otherwise.kind == "bad":
        otherwise = _shaped_like(then)
    if then.kind == "list" and otherwise.kind == "list":
        table, shift = then.den.merged(otherwise.den)
        return Col("list", np.where(chosen, then.data, np.asarray(otherwise.data) + shift), table, bad)
    if "list" in (then.kind, otherwise.kind):
        raise NotColumnar("a list chosen against another kind of value")
    if "cat" in (then.kind, otherwise.kind):
        then, otherwise = _coded_like(then, otherwise), _coded_like(otherwise, then)
        if then.kind == otherwise.kind and then.den is otherwise.den:
            return Col("cat", np.where(chosen, then.data, otherwise.data), then.den, bad)
        then, otherwise = decoded(then), decoded(otherwise)
    if "rat" in (then.kind, otherwise.kind):
        a, b = _common_scalar_denominator(as_rat(then), as_rat(otherwise))
        if np.ndim(a.den) == 0 and np.ndim(b.den) == 0 and int(a.den) == int(b.den):
            return Col("rat", np.where(chosen, a.data, b.data), a.den, _chosen_bad(condition, chosen, a, b))
        return Col("rat", np.where(chosen, a.data, b.data), np.where(chosen, a.den, b.den), bad)
    return Col(then.kind, np.where(chosen, then.data, otherwise.data), then.den, bad)


def _chosen_bad(condition: Col, chosen: Any, then: Col, otherwise: Col) -> Any:
    """The bad rows of a choice: the condition's, and those of the value chosen in each row."""
    if np.ndim(then.bad) == 0 and np.ndim(otherwise.bad) == 0 and bool(then.bad) == bool(otherwise.bad):
        return condition.bad | bool(then.bad)  # the same either way: no row-by-row choice to make
    return condition.bad | np.where(chosen, then.bad, otherwise.bad)


def _common_scalar_denominator(a: Col, b: Col) -> tuple[Col, Col]:
    """Two rationals of different single denominators over their least common one, when it is small (so that
    a choice between them keeps one denominator, not a column of them); rows whose numerator could overflow
    on the way are bad. Anything else is returned as it is."""
    if np.ndim(a.den) or np.ndim(b.den) or int(a.den) == int(b.den):
        return a, b
    common = math.lcm(int(a.den), int(b.den))
    if common >= 1 << 24:
        return a, b
    scaled = []
    for col in (a, b):
        factor = common // int(col.den)
        scaled.append(Col("rat", mul(col.data, factor), common, col.bad | guard((col.data, factor))))
    return scaled[0], scaled[1]


def _coded_like(col: Col, other: Col) -> Col:
    """A text constant (``else "none"``) as a code of the other side's vocabulary, when it is one of its words."""
    if col.kind == "obj" and other.kind == "cat" and np.ndim(col.data) == 0 and col.data.item() in other.den.index:
        return Col("cat", np.asarray(other.den.index[col.data.item()], dtype=np.int16), other.den, col.bad)
    return col


def _shaped_like(col: Col) -> Col:
    zero: Any = np.zeros_like(col.data) if col.kind != "obj" else np.asarray("", dtype=object)
    if col.kind == "list":
        return Col("list", np.asarray(0, dtype=I64), ListTable(np.zeros(2, dtype=I64), np.empty(0, dtype=object)),
                   np.asarray(True))
    return Col(col.kind, zero, col.den if col.kind in ("duration", "cat") else 1, np.asarray(True))



def calendar_args(args: list[Col]) -> tuple[list[Any], Any]:
    """Arguments of a date function made safe for NumPy: dates outside years 1–9999 and counts that
    would certainly leave them are marked bad (the interpreter stops there) and clipped."""
    bad = np.asarray(False)
    values = []
    for arg in args:
        bad = bad | arg.bad
        data = np.asarray(arg.data, dtype=I64)
        if arg.kind == "date":
            bad = bad | outside_calendar(data)
            data = _in_calendar(data)
        else:
            bad = bad | (np.abs(data) > SPAN)
            data = np.clip(data, -SPAN, SPAN)
        values.append(data)
    return values, bad




@dataclass(frozen=True)
class ListTable:
    """The lists of a ``list`` column (``collect``): row ``i``'s list is ``values[offsets[i]:offsets[i + 1]]``;
    the column's data are row numbers into it, so broadcasting and selecting rows never copy lists."""

    offsets: np.ndarray
    values: np.ndarray

    def merged(self, other: ListTable) -> tuple[ListTable, int]:
        """Both tables as one, and the number to add to ``other``'s row numbers."""
        shift = len(self.offsets) - 1
        offsets = np.concatenate([self.offsets[:-1], other.offsets + self.offsets[-1]])
        return ListTable(offsets, np.concatenate([self.values, other.values])), shift



@dataclass(frozen=True)
class Coded:
    """A text column stored as codes into a vocabulary (kinds, causes, capacities…)."""

    codes: np.ndarray
    vocab: Vocab


# --- reading the household's columns -------------------------------------------------------------


class Columns(Protocol):
    """What a household field's column reader reads: a batch's stored columns on an evaluation date."""

    as_of_days: int

    def stored(self, level: str, name: str) -> Any:
        """The batch column ``name`` at ``level`` (an int64 or bool array, or ``Coded``)."""

    def missing(self, level: str, name: str) -> Any:
        """The rows where the optional column ``name`` has no value (``False`` when it always has one)."""

    def children(self, level: str) -> np.ndarray:
        """For each row of the level's parent, how many rows of ``level`` it has."""

    def cached(self, key: str, compute: Callable[[], Any]) -> Any:
        """A column derived once per evaluation (members' ages are read by many fields)."""


def stored_column(columns: Columns, level: str, name: str, kind: str) -> Col:
    """A stored column as the rules read it, ``kind`` being what its type makes it (``rat`` for money,
    held in fen: a denominator of 100); codes keep their vocabulary; rows without a value are bad."""
    value = columns.stored(level, name)
    missing = columns.missing(level, name)
    if isinstance(value, Coded):
        return Col("cat", value.codes, value.vocab, missing)
    return Col(kind, value, 100 if kind == "rat" else 1, missing)
