"""The column value kernel: exact rational int64 arithmetic, rounding, choosing and comparing on columns.

A column (:class:`Col`) holds one value per row of a level (per household, per member…),
or one value for every row. Money and every other decimal is an exact rational
``num / den`` in int64 arrays, so nothing is rounded before an output; products that could
leave int64 mark their rows *bad* (the interpreter then answers them exactly) instead of
wrapping. Dates are days since 1970 on the proleptic Gregorian calendar of years 1–9999,
the interpreter's calendar (``engine.language.column_calendar``). The built-ins' column
forms (``engine.language.builtins``), the household fields' column readers
(``engine.language.fields``) and the columnar compiler (``engine.batch``) are all written
with these operations. NumPy only.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

import numpy as np

from engine.language.column_calendar import SPAN, clip_to_calendar, outside_calendar

I64 = np.int64
LIMIT = 4.0e18  # products beyond this may overflow int64 once added: such rows are bad
LARGEST = int(LIMIT)  # the largest magnitude a constant may have in a column
SMALLEST = np.iinfo(np.int64).min  # has no negative in int64


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
        if np.ndim(a) and not np.ndim(b):
            a, b = b, a  # the one value first: when it is 0 or ±1 the column need not be read
        largest_a = largest(a)
        if largest_a <= 1:
            continue
        largest_b = largest(b)
        if largest_b <= 1 or float(largest_a) * float(largest_b) <= LIMIT:
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


def choose(mask: Any, a: Any, b: Any) -> Any:
    """``np.where(mask, a, b)`` without a branch per row (NumPy's ``where`` is several times slower when the mask
    is irregular, as row data makes it): bool values by logic, integers of one type as ``b + (a - b) * mask``,
    which integer arithmetic modulo 2**bits makes exactly where's value; anything else by ``where``."""
    mask, first, second = np.asarray(mask), np.asarray(a), np.asarray(b)
    if mask.dtype != bool or first.dtype != second.dtype or first.dtype.kind not in "biu":
        return np.where(mask, a, b)
    if first.dtype == bool:
        chosen = (mask & first) | (second & ~mask)
    elif second.ndim == 0 and second == 0:
        chosen = first * mask  # ``else 0``
    else:
        with np.errstate(over="ignore"):
            chosen = second + (first - second) * mask
    return chosen if np.ndim(chosen) else np.asarray(chosen)


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


def add_signed(a: Any, b: Any, sign: int) -> Any:
    """``a + sign * b`` in int64 (sign 1 or -1) in one pass; wraps as int64 does (callers guard against it)."""
    with np.errstate(over="ignore"):
        return (np.add if sign == 1 else np.subtract)(a, np.asarray(b, dtype=I64), dtype=I64)


def rat_add(a: Col, b: Col, sign: int = 1) -> Col:
    a, b = as_rat(a), as_rat(b)
    if np.ndim(a.den) == 0 and np.ndim(b.den) == 0 and int(a.den) == int(b.den):
        return Col("rat", add_signed(a.data, b.data, sign), a.den, a.bad | b.bad | guard((a.data, 2), (b.data, 2)))
    bad = a.bad | b.bad | guard((a.data, b.den), (b.data, a.den), (a.den, b.den))
    return normalise(add_signed(mul(a.data, b.den), mul(b.data, a.den), sign), mul(a.den, b.den), bad)


def rat_mul(a: Col, b: Col) -> Col:
    a, b = as_rat(a), as_rat(b)
    bad = a.bad | b.bad | guard((a.data, b.data), (a.den, b.den))
    return normalise(mul(a.data, b.data), mul(a.den, b.den), bad)


def rat_div(a: Col, b: Col) -> Col:
    a, b = as_rat(a), as_rat(b)
    zero = np.asarray(b.data) == 0
    divisor = choose(zero, 1, b.data)
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
        return Col("list", choose(chosen, then.data, np.asarray(otherwise.data) + shift), table, bad)
    if "list" in (then.kind, otherwise.kind):
        raise NotColumnar("a list chosen against another kind of value")
    if "cat" in (then.kind, otherwise.kind):
        then, otherwise = _coded_like(then, otherwise), _coded_like(otherwise, then)
        if then.kind == otherwise.kind and then.den is otherwise.den:
            return Col("cat", choose(chosen, then.data, otherwise.data), then.den, bad)
        then, otherwise = decoded(then), decoded(otherwise)
    if "rat" in (then.kind, otherwise.kind):
        a, b = _common_scalar_denominator(as_rat(then), as_rat(otherwise))
        if np.ndim(a.den) == 0 and np.ndim(b.den) == 0 and int(a.den) == int(b.den):
            return Col("rat", choose(chosen, a.data, b.data), a.den, _chosen_bad(condition, chosen, a, b))
        return Col("rat", choose(chosen, a.data, b.data), choose(chosen, a.den, b.den), bad)
    return Col(then.kind, choose(chosen, then.data, otherwise.data), then.den, bad)


def _chosen_bad(condition: Col, chosen: Any, then: Col, otherwise: Col) -> Any:
    """The bad rows of a choice: the condition's, and those of the value chosen in each row."""
    if np.ndim(then.bad) == 0 and np.ndim(otherwise.bad) == 0 and bool(then.bad) == bool(otherwise.bad):
        return condition.bad | bool(then.bad)  # the same either way: no row-by-row choice to make
    return condition.bad | choose(chosen, then.bad, otherwise.bad)


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
            data = clip_to_calendar(data)
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
