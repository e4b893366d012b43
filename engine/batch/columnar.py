"""Compile: checked rules → columnar operations over whole tables of households.

The same checked expressions the interpreter runs are compiled to NumPy operations on
columns: one value per household, per member, per income… (a *level*; each level's
rows point at their parent's row). Money and every other decimal is an exact rational
``num / den`` held in int64 arrays, so nothing is rounded before the output, as in the
interpreter. Both branches of an ``if`` are computed and selected row by row; a row
whose value could not be computed (a parameter left to be supplied, an unset date, an
overflow, a date outside the working-day calendar, an empty ``min``) is marked *bad*
instead of raising, and the caller re-evaluates exactly those households with the
interpreter, which gives the located error or the value. Constructs the compiler does
not cover raise ``NotColumnar`` at compile time; those rules also go to the interpreter.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any

import numpy as np

from engine.batch.record_layout import LEVELS, PARENT, ancestors, batch_columns
from engine.language import syntax as s
from engine.language import types as t
from engine.language.builtins import Duration, working_day_table
from engine.language.rule_order import dependency_order, rule_reads
from engine.policy.resolve import RuleCode, Unavailable

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


# --- levels ------------------------------------------------------------------------

LIST_FIELDS = {(level.parent, level.field): level.name for level in LEVELS.values()
               if level.parent is not None and level.field is not None}


@dataclass
class Batch:
    """A table of households: per level, its columns and the index of each row's parent row."""

    sizes: dict[str, int]
    parent: dict[str, np.ndarray]
    columns: dict[str, dict[str, Any]]
    _maps: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)
    _segments: dict[str, Segments] = field(default_factory=dict)

    def index(self, upper: str, lower: str) -> np.ndarray:
        """For each row of ``lower``, its row in the ancestor level ``upper``."""
        key = (upper, lower)
        if key not in self._maps:
            index = self.parent[lower]
            level = PARENT[lower]
            while level != upper:
                index = self.parent[level][index]
                level = PARENT[level]
            self._maps[key] = index
        return self._maps[key]

    def segments(self, child: str) -> Segments:
        """Where each parent row's children are; children are stored grouped by parent."""
        if child not in self._segments:
            counts = np.bincount(self.parent[child], minlength=self.sizes[PARENT[child]])
            ends = np.cumsum(counts)
            self._segments[child] = Segments(ends - counts, ends)
        return self._segments[child]


class Segments:
    """Start and end (exclusive) of each parent's run of child rows, and the non-empty runs' starts."""

    def __init__(self, starts: np.ndarray, ends: np.ndarray) -> None:
        self.starts = starts
        self.ends = ends
        self.nonempty = ends > starts
        self.every = bool(self.nonempty.all())
        self.firsts = starts if self.every else starts[self.nonempty]

    def __iter__(self) -> Iterator[np.ndarray]:
        return iter((self.starts, self.ends))


def broadcast(col: Col, batch: Batch, upper: str, lower: str) -> Col:
    """A column at ``upper`` seen from its descendant level ``lower``."""
    if upper == lower or (col.scalar() and np.ndim(col.bad) == 0):
        return col
    index = batch.index(upper, lower)
    data = col.data[index] if np.ndim(col.data) else col.data
    den = col.den[index] if np.ndim(col.den) else col.den
    bad = col.bad[index] if np.ndim(col.bad) else col.bad
    return Col(col.kind, data, den, bad)


# --- exact rationals ------------------------------------------------------------------


def as_rat(col: Col) -> Col:
    if col.kind == "rat":
        return col
    if col.kind in ("int", "bad"):
        return Col("rat", col.data, 1, col.bad)
    raise NotColumnar(f"not a number: {col.kind}")


def _guard(*pairs: tuple[Any, Any]) -> Any:
    """Rows where any product a*b could overflow int64."""
    flags: Any = False
    for a, b in pairs:
        largest_a, largest_b = _largest(a), _largest(b)
        if largest_a <= 1 or largest_b <= 1 or float(largest_a) * float(largest_b) <= LIMIT:
            continue  # no row can overflow: skip the row-by-row test
        flags = flags | (np.abs(np.asarray(a, dtype=np.float64)) * np.abs(np.asarray(b, dtype=np.float64)) > LIMIT)
    return flags


def _largest(values: Any) -> int:
    """The largest magnitude in an int64 column (or of a scalar)."""
    if np.ndim(values) == 0:
        return abs(int(values))
    if len(values) == 0:
        return 0
    return max(abs(int(np.max(values))), abs(int(np.min(values))))


def _mul(a: Any, b: Any) -> Any:
    if np.ndim(a) == 0 and int(a) == 1:
        return b
    if np.ndim(b) == 0 and int(b) == 1:
        return a
    with np.errstate(over="ignore"):
        return np.multiply(a, b, dtype=I64)


def normalise(num: Any, den: Any, bad: Any) -> Col:
    """Reduce num/den when denominators grow large (small ones cost nothing to keep)."""
    if np.ndim(den) == 0:
        if int(den) < 1 << 24:
            return Col("rat", num, den, bad)
    elif len(den) == 0 or int(np.max(den)) < 1 << 24:
        return Col("rat", num, den, bad)
    g = np.gcd(num, den)
    g = np.where(g == 0, 1, g)
    return Col("rat", num // g, den // g, bad)


def rat_add(a: Col, b: Col, sign: int = 1) -> Col:
    a, b = as_rat(a), as_rat(b)
    if np.ndim(a.den) == 0 and np.ndim(b.den) == 0 and int(a.den) == int(b.den):
        with np.errstate(over="ignore"):
            num = np.add(a.data, sign * np.asarray(b.data, dtype=I64), dtype=I64)
        return Col("rat", num, a.den, a.bad | b.bad | _guard((a.data, 2), (b.data, 2)))
    bad = a.bad | b.bad | _guard((a.data, b.den), (b.data, a.den), (a.den, b.den))
    with np.errstate(over="ignore"):
        num = np.add(_mul(a.data, b.den), sign * np.asarray(_mul(b.data, a.den), dtype=I64), dtype=I64)
    return normalise(num, _mul(a.den, b.den), bad)


def rat_mul(a: Col, b: Col) -> Col:
    a, b = as_rat(a), as_rat(b)
    bad = a.bad | b.bad | _guard((a.data, b.data), (a.den, b.den))
    return normalise(_mul(a.data, b.data), _mul(a.den, b.den), bad)


def rat_div(a: Col, b: Col) -> Col:
    a, b = as_rat(a), as_rat(b)
    zero = np.asarray(b.data) == 0
    divisor = np.where(zero, 1, b.data)
    sign = np.sign(divisor)
    bad = a.bad | b.bad | zero | _guard((a.data, b.den), (a.den, divisor))
    return normalise(_mul(a.data, b.den) * sign, _mul(a.den, np.abs(divisor)), bad)


def rat_compare(a: Col, b: Col, op: Callable[[Any, Any], Any]) -> Col:
    a, b = as_rat(a), as_rat(b)
    bad = a.bad | b.bad | _guard((a.data, b.den), (b.data, a.den))
    return Col("bool", op(_mul(a.data, b.den), _mul(b.data, a.den)), 1, bad)


def round_half_up(col: Col, places: int) -> Col:
    """Exact rounding half away from zero (Decimal's ROUND_HALF_UP) to ``places`` decimals."""
    col = as_rat(col)
    scale = 10 ** places
    bad = col.bad | _guard((col.data, scale))
    scaled = np.abs(_mul(col.data, scale))
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
    400-year cycle of 146,097 days, counted from 1 March so that a leap day ends its year)."""
    shifted = np.asarray(days, dtype=I64) + 719_468  # days since 0000-03-01
    era = shifted // 146_097
    day_of_era = shifted - era * 146_097
    year_of_era = (day_of_era - day_of_era // 1460 + day_of_era // 36_524 - day_of_era // 146_096) // 365
    day_of_year = day_of_era - (365 * year_of_era + year_of_era // 4 - year_of_era // 100)
    march_month = (5 * day_of_year + 2) // 153  # 0 = March … 11 = February
    day = day_of_year - (153 * march_month + 2) // 5 + 1
    month = march_month + np.where(march_month < 10, 3, -9)
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


def _month_index(days: Any) -> Any:
    year, month, _ = year_month_day(days)
    return year * 12 + month - 1


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
    start, end = np.broadcast_arrays(np.asarray(start, dtype=I64), np.asarray(end, dtype=I64))
    forward = end >= start
    low, high = np.where(forward, start, end), np.where(forward, end, start)
    months = _month_index(high) - _month_index(low)
    months = months - (add_months(low, months) > high)
    return np.where(forward, months, -months)


def age_on(birth: Any, on: Any) -> Any:
    by, bm, bd = year_month_day(birth)
    oy, om, od = year_month_day(on)
    return oy - by - ((om * 100 + od) < (bm * 100 + bd))


@lru_cache(maxsize=1)
def working_days() -> tuple[np.ndarray, int, int]:
    """The official working days (days since 1970) and the first and last day the calendar covers."""
    table, first, last = working_day_table()
    start, end = date(first, 1, 1).toordinal(), date(last, 12, 31).toordinal()
    return np.array(table, dtype=I64) - EPOCH, start - EPOCH, end - EPOCH


def add_working_days(days: Any, count: Any) -> tuple[Any, Any]:
    table, low, high = working_days()
    days = np.asarray(days, dtype=I64)
    count = np.asarray(count, dtype=I64)
    position = np.searchsorted(table, days, side="right") + count - 1
    backwards = count < 0
    position = np.where(backwards, np.searchsorted(table, days, side="left") + count, position)
    outside = (days < low) | (days > high) | (position < 0) | (position >= len(table))
    result = table[np.clip(position, 0, len(table) - 1)]
    return np.where(count == 0, days, result), outside & (count != 0)


def is_working_day(days: Any) -> tuple[Any, Any]:
    table, low, high = working_days()
    days = np.asarray(days, dtype=I64)
    return np.isin(days, table), (days < low) | (days > high)


# --- the compiler ------------------------------------------------------------------------


@dataclass(frozen=True)
class Context:
    level: str
    variables: Mapping[str, str]


@dataclass(frozen=True)
class ListRef:
    owner: str
    child: str


Code = Callable[["Run"], Col]


class Run:
    """Evaluating one batch: memo of rule columns and the evaluation date."""

    def __init__(self, program: ColumnarProgram, batch: Batch, as_of: date) -> None:
        self.program = program
        self.batch = batch
        self.as_of = as_of
        self.as_of_days = as_of.toordinal() - EPOCH
        self.values: dict[str, Col] = {}
        self.variables: dict[str, Col] = {}
        self.cache: dict[str, Any] = {}

    def cached(self, key: str, compute: Callable[[], Any]) -> Any:
        """A column derived from the batch once per run (members' ages are read by many rules)."""
        if key not in self.cache:
            self.cache[key] = compute()
        return self.cache[key]

    def rule(self, name: str) -> Col:
        if name not in self.values:
            self.values[name] = self.program.code[name](self)
        return self.values[name]


class ColumnarProgram:
    """Rules compiled to column operations; ``unsupported`` names the rules left to the interpreter."""

    def __init__(self, rules: Mapping[str, RuleCode], parameters: Mapping[str, object]) -> None:
        self.rules = dict(rules)
        self.parameters = dict(parameters)
        self.code: dict[str, Code] = {}
        self.unsupported: dict[str, str] = {}
        for name, rule in self.rules.items():
            level = "member" if rule.scope == "member" else "household"
            context = Context(level, {"member": "member"} if rule.scope == "member" else {})
            try:
                self.code[name] = _Compiler(self).compile(rule.body, context)
            except NotColumnar as why:
                self.unsupported[name] = str(why)
        self._spread_unsupported()
        self.reads = {name: rule_reads(rule.body, self.rules) for name, rule in self.rules.items()}

    def _spread_unsupported(self) -> None:
        """A rule that reads a rule left to the interpreter is left to it too."""
        changed = True
        while changed:
            changed = False
            for name in list(self.code):
                if any(used in self.unsupported for used in self._uses(name)):
                    self.unsupported[name] = "reads a rule the columnar compiler does not cover"
                    del self.code[name]
                    changed = True

    def _uses(self, name: str) -> set[str]:
        body = self.rules[name].body
        used = set()
        for node in s.walk(body):
            if isinstance(node, s.Name):
                used.add(node.dotted)
                used.update(".".join(node.parts[i:]) for i in range(1, len(node.parts)))
        return used & set(self.rules)

    def run(self, batch: Batch, as_of: date, outputs: list[str]) -> dict[str, Col]:
        run = Run(self, batch, as_of)
        wanted = [name for name in outputs if name in self.code]
        for _scope, name in self._order(wanted):  # each rule after those it reads: no deep recursion
            run.rule(name)
        return {name: run.rule(name) for name in wanted}

    def _order(self, wanted: list[str]) -> list[tuple[str, str]]:
        return dependency_order([(self.rules[n].scope, n) for n in wanted], self.reads)


_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "==": np.equal, "!=": np.not_equal, "<": np.less, "<=": np.less_equal, ">": np.greater,
    ">=": np.greater_equal,
}


class _Compiler:
    def __init__(self, program: ColumnarProgram) -> None:
        self.program = program

    def type_of(self, node: s.Node) -> t.Type:
        return s.type_of(node)

    def compile(self, node: s.Node, context: Context) -> Code:
        method = getattr(self, f"c_{type(node).__name__}", None)
        if method is None:  # pragma: no cover - every node kind has a method
            raise NotColumnar(type(node).__name__)
        code: Code = method(node, context)
        return code

    # --- leaves --------------------------------------------------------------------------
    def c_Literal(self, node: s.Literal, context: Context) -> Code:
        col = constant(node.value if node.kind != "duration" else Duration(int(node.value), node.unit),  # type: ignore[arg-type]
                       self.type_of(node))
        return lambda run: col

    def c_Name(self, node: s.Name, context: Context) -> Code:
        head = node.parts[0]
        if head in context.variables:
            return self.variable_path(node, context)
        dotted = node.dotted
        if dotted in self.program.rules:
            rule = self.program.rules[dotted]
            if rule.scope == "member":
                raise NotColumnar("a member rule read outside a member")
            return self.lifted(lambda run: run.rule(dotted), "household", context)
        if dotted == "as_of":
            return lambda run: Col("date", np.asarray(run.as_of_days, dtype=I64))
        read = field_reader("household", dotted, self.type_of(node))
        if read is not None:
            return self.lifted(lambda run: read(run.batch, run), "household", context)
        if dotted in ("members", "events", "requests"):
            raise NotColumnar(f"{dotted} outside an aggregation")
        if dotted not in self.program.parameters:
            raise NotColumnar(f"unknown name {dotted}")
        col = parameter_column(self.program.parameters[dotted], self.type_of(node))
        return lambda run: col

    def lifted(self, code: Code, level: str, context: Context) -> Code:
        if context.level == level:
            return code
        if level not in ancestors(context.level):
            raise NotColumnar(f"{level} value read at {context.level}")
        return lambda run: broadcast(code(run), run.batch, level, context.level)

    def variable_path(self, node: s.Name, context: Context) -> Code:
        level = context.variables[node.parts[0]]
        path = node.parts[1:]
        if not path:
            raise NotColumnar("a record used as a value")
        field_name = path[0]
        if (level, field_name) in LIST_FIELDS:
            raise NotColumnar("a list outside an aggregation")
        read = field_reader(level, field_name, self.type_of(node)) if len(path) == 1 else None
        if read is not None:
            return self.lifted(lambda run: read(run.batch, run), level, context)
        rule_name = ".".join(path)
        if level == "member" and rule_name in self.program.rules and self.program.rules[rule_name].scope == "member":
            return self.lifted(lambda run: run.rule(rule_name), "member", context)
        raise NotColumnar(f"field {'.'.join(node.parts)}")

    def list_ref(self, node: s.Node, context: Context) -> ListRef:
        if not isinstance(node, s.Name):
            raise NotColumnar("an aggregation over a computed list")
        if len(node.parts) == 1 and ("household", node.parts[0]) in LIST_FIELDS:
            return ListRef("household", LIST_FIELDS[("household", node.parts[0])])
        if len(node.parts) == 2 and node.parts[0] in context.variables:
            owner = context.variables[node.parts[0]]
            child = LIST_FIELDS.get((owner, node.parts[1]))
            if child is not None:
                return ListRef(owner, child)
        raise NotColumnar(f"aggregation over {'.'.join(node.parts)}")

    # --- operators -----------------------------------------------------------------------
    def c_Unary(self, node: s.Unary, context: Context) -> Code:
        operand = self.compile(node.operand, context)
        if node.op == "not":
            return lambda run: _not(operand(run))
        return lambda run: _negate(operand(run))

    def c_Binary(self, node: s.Binary, context: Context) -> Code:
        op = node.op
        left = self.compile(node.left, context)
        if op in ("in", "not in"):
            return self.membership(node, left, context)
        right = self.compile(node.right, context)
        if op in ("and", "or"):
            return lambda run: _logical(op, left(run), right(run))
        left_type, right_type = self.type_of(node.left), self.type_of(node.right)
        if op in _COMPARE:
            compare = _COMPARE[op]
            return lambda run: _compare(left(run), right(run), compare)
        if left_type == t.DATE:
            sign = 1 if op == "+" else -1
            return lambda run: _shift(left(run), right(run), sign)
        if isinstance(left_type, t.Duration) or isinstance(right_type, t.Duration):
            raise NotColumnar("duration arithmetic")
        if op == "+":
            return lambda run: _arith(left(run), right(run), 1)
        if op == "-":
            return lambda run: _arith(left(run), right(run), -1)
        if op == "*":
            return lambda run: _times(left(run), right(run))
        return lambda run: rat_div(left(run), right(run))

    def membership(self, node: s.Binary, left: Code, context: Context) -> Code:
        negate = node.op == "not in"
        right_node = node.right
        if isinstance(right_node, s.SetLiteral) and all(isinstance(i, s.Literal) for i in right_node.items):
            values = {i.value for i in right_node.items if isinstance(i, s.Literal)}
        elif isinstance(right_node, s.Name) and right_node.dotted in self.program.parameters:
            raw = self.program.parameters[right_node.dotted]
            if isinstance(raw, Unavailable) or not isinstance(raw, (frozenset, set, tuple)):
                raise NotColumnar("membership in a parameter without a value")
            values = set(raw)
        else:
            raise NotColumnar("membership in a computed set")
        if any(isinstance(v, (Decimal, date)) for v in values):
            raise NotColumnar("membership of decimals or dates")
        choices = np.array(sorted(values, key=str), dtype=object)

        def member(run: Run) -> Col:
            col = left(run)
            if col.kind == "list":
                raise NotColumnar("membership of a list")
            if col.kind == "cat":
                member_of = np.zeros(len(col.den.values), dtype=bool)
                member_of[col.den.codes(values)] = True
                found = member_of[np.asarray(col.data)]
            else:
                found = np.isin(np.asarray(col.data, dtype=object), choices)
            return Col("bool", ~found if negate else found, 1, col.bad)

        return member

    def c_SetLiteral(self, node: s.SetLiteral, context: Context) -> Code:
        raise NotColumnar("a set outside 'in'")

    def c_If(self, node: s.If, context: Context) -> Code:
        condition = self.compile(node.condition, context)
        then = self.compile(node.then, context)
        otherwise = self.compile(node.otherwise, context)
        return lambda run: select(condition(run), then(run), otherwise(run))

    def c_Cases(self, node: s.Cases, context: Context) -> Code:
        rows = [(self.compile(r.condition, context), self.compile(r.value, context)) for r in node.rows]
        if node.otherwise is None:
            raise NotColumnar("a table without else")
        fallback = self.compile(node.otherwise, context)

        def table(run: Run) -> Col:
            result = fallback(run)
            for condition, value in reversed(rows):
                result = select(condition(run), value(run), result)
            return result

        return table

    def c_Call(self, node: s.Call, context: Context) -> Code:
        function = CALLS.get(node.function)
        if function is None:
            raise NotColumnar(f"function {node.function}")
        args = [self.compile(a, context) for a in node.args]
        result_type = self.type_of(node)
        return lambda run: function([a(run) for a in args], result_type)

    def c_Aggregate(self, node: s.Aggregate, context: Context) -> Code:
        source = self.list_ref(node.source, context)
        if source.owner not in ancestors(context.level):
            raise NotColumnar("an aggregation over another branch")
        inner_vars = {v: lvl for v, lvl in context.variables.items()
                      if lvl in ancestors(source.child)[1:]}
        inner = Context(source.child, {**inner_vars, node.var: source.child})
        counted = Col("bool", np.asarray(True))
        body = self.compile(node.body, inner) if node.function != "count" else (lambda run: counted)
        condition = self.compile(node.condition, inner) if node.condition is not None else None
        kind = node.function
        result_type = self.type_of(node)

        def aggregate(run: Run) -> Col:
            values = body(run)
            chosen = condition(run) if condition is not None else None
            return reduce(kind, run.batch, source.child, values, chosen, result_type)

        lifted = self.lifted(aggregate, source.owner, context)
        if node.default is None:
            return lifted
        # The ``else`` value may read the caller's own variables (``else e.date`` inside a loop over
        # events), so it is computed at the caller's level and chosen, after lifting, where the
        # aggregation had nothing to pick.
        default = self.compile(node.default, context)
        emptiness = self.lifted(lambda run: _empty(run.batch, source.child, condition, run), source.owner, context)

        def with_default(run: Run) -> Col:
            picked = lifted(run)
            empty = emptiness(run)
            picked = Col(picked.kind, picked.data, picked.den, np.where(empty.data, False, picked.bad))
            return select(empty, default(run), picked)

        return with_default


# --- column operations ----------------------------------------------------------------------


def constant(value: Any, type_: t.Type) -> Col:
    if isinstance(value, bool):
        return Col("bool", np.asarray(value))
    if isinstance(value, int):
        if abs(value) > LARGEST:
            return UNHELD
        if isinstance(type_, t.Money) or type_ in (t.NUMBER, t.RATE):
            return Col("rat", np.asarray(value, dtype=I64), 1)
        return Col("int", np.asarray(value, dtype=I64))
    if isinstance(value, Decimal):
        if not value.is_finite():
            return UNHELD
        numerator, denominator = decimal_rat(value)
        if abs(numerator) > LARGEST or denominator > LARGEST:
            return UNHELD
        return Col("rat", np.asarray(numerator, dtype=I64), denominator)
    if isinstance(value, date):
        return Col("date", np.asarray(value.toordinal() - EPOCH, dtype=I64))
    if isinstance(value, Duration):
        return Col("duration", np.asarray(value.count, dtype=I64), value.unit)
    if isinstance(value, str):
        return Col("obj", np.asarray(value, dtype=object))
    if isinstance(value, (tuple, frozenset, list)):
        raise NotColumnar("a list constant")
    raise NotColumnar(f"a constant of type {type(value).__name__}")


# A value no int64 column holds exactly (a 29-digit amount, a rate with 25 decimals): every row that
# reads it is bad, so the interpreter answers those households exactly.
UNHELD = Col("bad", np.asarray(0, dtype=I64), 1, np.asarray(True))


def parameter_column(value: object, type_: t.Type) -> Col:
    if isinstance(value, Unavailable):
        return Col("bad", np.asarray(0, dtype=I64), 1, np.asarray(True))
    if isinstance(value, (frozenset, set, tuple)):
        raise NotColumnar("a set parameter read as a value")
    return constant(value, type_)


def decoded(col: Col) -> Col:
    """A categorical column as plain text values."""
    if col.kind != "cat":
        return col
    return Col("obj", col.den.array[np.asarray(col.data)], 1, col.bad)


def _not(col: Col) -> Col:
    return Col("bool", ~np.asarray(col.data, dtype=bool), 1, col.bad)


def _negate(col: Col) -> Col:
    data = np.asarray(col.data, dtype=I64)
    return Col(col.kind, -np.where(data == SMALLEST, 0, data), col.den, col.bad | (data == SMALLEST))


def _logical(op: str, left: Col, right: Col) -> Col:
    a = np.asarray(left.data, dtype=bool)
    b = np.asarray(right.data, dtype=bool)
    right_bad = right.bad if np.any(right.bad) else False
    if op == "and":  # a false left side makes the right side irrelevant (short circuit)
        return Col("bool", a & b, 1, left.bad | (a & right_bad) if right_bad is not False else left.bad)
    return Col("bool", a | b, 1, left.bad | (~a & right_bad) if right_bad is not False else left.bad)


def _compare(left: Col, right: Col, compare: Callable[[Any, Any], Any]) -> Col:
    if "list" in (left.kind, right.kind):
        raise NotColumnar("comparing lists")
    if left.kind == "bad" or right.kind == "bad":
        return Col("bool", np.asarray(False), 1, left.bad | right.bad)
    if "cat" in (left.kind, right.kind):
        return _compare_categories(left, right, compare)
    if "rat" in (left.kind, right.kind):
        return rat_compare(left, right, compare)
    return Col("bool", compare(left.data, right.data), 1, left.bad | right.bad)


def _compare_categories(left: Col, right: Col, compare: Callable[[Any, Any], Any]) -> Col:
    """Equality of a categorical column with a constant compares codes; anything else compares text."""
    cat, other = (left, right) if left.kind == "cat" else (right, left)
    if compare in (np.equal, np.not_equal) and other.kind == "obj" and np.ndim(other.data) == 0:
        code = cat.den.index.get(other.data.item(), -1)
        return Col("bool", compare(np.asarray(cat.data), code), 1, left.bad | right.bad)
    a, b = decoded(left), decoded(right)
    return Col("bool", compare(a.data, b.data), 1, a.bad | b.bad)


def _arith(left: Col, right: Col, sign: int) -> Col:
    if left.kind == "int" and right.kind == "int":
        with np.errstate(over="ignore"):
            data = np.add(left.data, sign * np.asarray(right.data, dtype=I64), dtype=I64)
        return Col("int", data, 1, left.bad | right.bad | _guard((left.data, 2), (right.data, 2)))
    if left.kind == "duration" and right.kind == "duration":
        raise NotColumnar("duration arithmetic")
    return rat_add(_numeric(left), _numeric(right), sign)


def _times(left: Col, right: Col) -> Col:
    if left.kind == "int" and right.kind == "int":
        bad = left.bad | right.bad | _guard((left.data, right.data))
        return Col("int", _mul(left.data, right.data), 1, bad)
    return rat_mul(_numeric(left), _numeric(right))


def _numeric(col: Col) -> Col:
    if col.kind == "bad":
        return Col("rat", col.data, 1, col.bad)
    return as_rat(col)


def _shift(day: Col, duration: Col, sign: int) -> Col:
    if duration.kind != "duration":
        raise NotColumnar("date arithmetic with a non-duration")
    (start, count), bad = _calendar_args([day, Col("int", duration.data, 1, duration.bad)])
    count = sign * count
    unit = duration.den
    if unit == "months":
        shifted = add_months(start, count)
    elif unit == "days":
        shifted = start + count
    else:
        shifted, outside = add_working_days(start, count)
        bad = bad | outside
    return Col("date", shifted, 1, bad | outside_calendar(shifted))


def select(condition: Col, then: Col, otherwise: Col) -> Col:
    """Row by row: ``then`` where the condition holds, else ``otherwise`` (badness follows the choice)."""
    chosen = np.asarray(condition.data, dtype=bool)
    bad = condition.bad | np.where(chosen, then.bad, otherwise.bad)
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
        a, b = as_rat(then), as_rat(otherwise)
        return Col("rat", np.where(chosen, a.data, b.data), np.where(chosen, a.den, b.den), bad)
    return Col(then.kind, np.where(chosen, then.data, otherwise.data), then.den, bad)


def _empty(batch: Batch, child: str, condition: Code | None, run: Run) -> Col:
    """Parent rows whose children (those the condition keeps) are none: where ``else`` is chosen."""
    segments = batch.segments(child)
    if condition is None:
        return Col("bool", ~segments.nonempty, 1, False)
    chosen = condition(run)
    size = batch.sizes[child]
    mask = np.broadcast_to(np.asarray(chosen.data, dtype=bool), (size,)).astype(I64)
    bad = _segment_any(np.broadcast_to(np.asarray(chosen.bad, dtype=bool), (size,)), segments)
    return Col("bool", _segment_sum(mask, segments.starts, segments.ends, segments) == 0, 1, bad)


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


def reduce(kind: str, batch: Batch, child: str, values: Col, chosen: Col | None, result_type: t.Type) -> Col:
    """Aggregate child rows into their parent rows."""
    size = batch.sizes[child]
    segments = batch.segments(child)
    starts, ends = segments
    parent = batch.parent[child]
    mask = np.ones(size, dtype=bool) if chosen is None else np.broadcast_to(
        np.asarray(chosen.data, dtype=bool), (size,))
    row_bad: Any = np.asarray(False)
    if chosen is not None and np.any(chosen.bad):
        row_bad = row_bad | np.broadcast_to(np.asarray(chosen.bad), (size,))
    if kind != "count" and np.any(values.bad):  # the body is read only where the filter holds
        row_bad = row_bad | (np.broadcast_to(np.asarray(values.bad), (size,)) & mask)
    bad = _segment_any(np.broadcast_to(row_bad, (size,)), segments)
    if kind in ("count", "any", "all"):
        flags = np.broadcast_to(np.asarray(values.data, dtype=bool), (size,)) if kind != "count" else mask
        selected = mask & flags if kind != "all" else mask & ~flags
        hits = _segment_sum(selected.astype(I64), starts, ends, segments)
        if kind == "count":
            return Col("int", hits, 1, bad)
        return Col("bool", hits > 0 if kind == "any" else hits == 0, 1, bad)
    if kind == "sum":
        if values.kind == "int":
            data = np.asarray(np.where(mask, np.broadcast_to(values.data, (size,)), 0), dtype=I64)
            overflow = _guard((_largest(data), size))
            return Col("int", _segment_sum(data, starts, ends, segments), 1, bad | overflow)
        col = as_rat(values)
        common = _common_denominator(col.den)
        if common is None:
            return Col("rat", np.zeros(len(starts), dtype=I64), 1, np.ones(len(starts), dtype=bool))
        if np.ndim(col.den) == 0:
            scaled = np.broadcast_to(col.data, (size,))
        else:
            scaled = _mul(np.broadcast_to(col.data, (size,)), common // col.den)
        if chosen is not None:
            scaled = np.where(mask, scaled, 0)
        overflow = _guard((_largest(scaled), size))
        return normalise(_segment_sum(scaled, starts, ends, segments), common, bad | overflow)
    if kind == "collect":
        data = np.broadcast_to(np.asarray(decoded(values).data, dtype=object), (size,))
        counts = _segment_sum(mask.astype(I64), starts, ends, segments)
        table = ListTable(np.concatenate([[0], np.cumsum(counts)]).astype(I64), data[np.flatnonzero(mask)])
        return Col("list", np.arange(len(starts), dtype=I64), table, bad)
    return _pick(kind, values, mask, starts, ends, parent, bad)


def _pick(kind: str, values: Col, mask: np.ndarray, starts: np.ndarray, ends: np.ndarray, parent: np.ndarray,
          bad: Any) -> Col:
    size = len(mask)
    positions = np.arange(size, dtype=I64)
    if kind in ("first", "last"):
        marker = np.where(mask, positions, size if kind == "first" else -1)
        chosen_pos = _segment_extreme(marker, starts, ends, kind == "first", size if kind == "first" else -1)
    else:
        if values.kind == "rat":
            common = _common_denominator(values.den)
            if common is None:
                raise NotColumnar("min/max over mixed denominators")
            keys = _mul(np.broadcast_to(values.data, (size,)), common // np.broadcast_to(values.den, (size,)))
        elif values.kind in ("int", "date"):
            keys = np.broadcast_to(np.asarray(values.data, dtype=I64), (size,))
        else:
            raise NotColumnar(f"{kind} of {values.kind}")
        extreme = np.iinfo(I64).max if kind == "min" else np.iinfo(I64).min
        marked = np.where(mask, keys, extreme)
        best = _segment_extreme(marked, starts, ends, kind == "min", extreme)
        hit = mask & (marked == best[parent])
        marker = np.where(hit, positions, size)
        chosen_pos = _segment_extreme(marker, starts, ends, True, size)
    empty = (chosen_pos < 0) | (chosen_pos >= size)
    safe = np.clip(chosen_pos, 0, max(size - 1, 0))
    data = np.broadcast_to(values.data, (size,))[safe] if size else np.zeros(len(starts), dtype=I64)
    den = np.broadcast_to(values.den, (size,))[safe] if np.ndim(values.den) and size else values.den
    return Col(values.kind, data, den, bad | empty)


def _segment_sum(values: np.ndarray, starts: np.ndarray, ends: np.ndarray,
                 segments: Segments | None = None) -> np.ndarray:
    segments = segments or Segments(starts, ends)
    if not len(values) or not segments.nonempty.any():
        return np.zeros(len(starts), dtype=I64)
    # Between one non-empty segment's start and the next there are only its own rows.
    sums = np.add.reduceat(np.asarray(values, dtype=I64), segments.firsts)
    if segments.every:
        return sums
    out = np.zeros(len(starts), dtype=I64)
    out[segments.nonempty] = sums
    return out


def _segment_any(flags: np.ndarray, segments: Segments) -> Any:
    if not flags.any():
        return np.asarray(False)
    return _segment_sum(np.asarray(flags, dtype=I64), segments.starts, segments.ends, segments) > 0


def _segment_extreme(values: np.ndarray, starts: np.ndarray, ends: np.ndarray, smallest: bool,
                     empty: int) -> np.ndarray:
    out = np.full(len(starts), empty, dtype=I64)
    nonempty = ends > starts
    if len(values) and nonempty.any():
        # Between one non-empty segment's start and the next there are only its own rows.
        ufunc = np.minimum if smallest else np.maximum
        out[nonempty] = ufunc.reduceat(values, starts[nonempty])
    return out


def _common_denominator(den: Any) -> int | None:
    if np.ndim(den) == 0:
        return int(den)
    distinct = np.unique(den)
    common = int(np.lcm.reduce(distinct)) if len(distinct) else 1
    return common if 0 < common < 10**9 else None


# --- built-in functions on columns -------------------------------------------------------------


def _per_month(args: list[Col], _type: t.Type) -> Col:
    return rat_div(args[0], Col("int", np.asarray(12, dtype=I64)))


def _per_year(args: list[Col], _type: t.Type) -> Col:
    return rat_mul(args[0], Col("int", np.asarray(12, dtype=I64)))


def _round(args: list[Col], _type: t.Type) -> Col:
    if len(args) > 1 and not args[1].scalar():
        raise NotColumnar("round to a computed number of places")
    places = int(args[1].data) if len(args) > 1 else 2
    return round_half_up(args[0], places)


def _extreme(smallest: bool) -> Callable[[list[Col], t.Type], Col]:
    def pick(args: list[Col], _type: t.Type) -> Col:
        a, b = args
        first = _compare(a, b, np.less_equal if smallest else np.greater_equal)
        return select(first, a, b)

    return pick


def _abs(args: list[Col], _type: t.Type) -> Col:
    col = args[0]
    data = np.asarray(col.data, dtype=I64)
    return Col(col.kind, np.abs(np.where(data == SMALLEST, 0, data)), col.den, col.bad | (data == SMALLEST))


def _calendar_args(args: list[Col]) -> tuple[list[Any], Any]:
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


def _dates(function: Callable[..., Any]) -> Callable[[list[Col], t.Type], Col]:
    def apply(args: list[Col], _type: t.Type) -> Col:
        values, bad = _calendar_args(args)
        result = np.asarray(function(*values), dtype=I64)
        if _type == t.DATE:
            return Col("date", result, 1, bad | outside_calendar(result))
        return Col("int", result, 1, bad)

    return apply


def _make_date(args: list[Col], _type: t.Type) -> Col:
    year, month, day = args
    days, unreal = make_dates(year.data, month.data, day.data)
    return Col("date", days, 1, year.bad | month.bad | day.bad | unreal)


def _working(args: list[Col], _type: t.Type) -> Col:
    (start, count), bad = _calendar_args(args)
    shifted, outside = add_working_days(start, count)
    return Col("date", shifted, 1, bad | outside)


def _is_working(args: list[Col], _type: t.Type) -> Col:
    (day,), bad = _calendar_args(args)
    found, outside = is_working_day(day)
    return Col("bool", found, 1, bad | outside)


def _duration(unit: str) -> Callable[[list[Col], t.Type], Col]:
    return lambda args, _type: Col("duration", np.asarray(args[0].data, dtype=I64), unit, args[0].bad)


def _floor(ceiling: bool) -> Callable[[list[Col], t.Type], Col]:
    return lambda args, _type: floor_div(args[0], ceiling)


CALLS: dict[str, Callable[[list[Col], t.Type], Col]] = {
    "per_month": _per_month,
    "per_year": _per_year,
    "round": _round,
    "min": _extreme(True),
    "max": _extreme(False),
    "abs": _abs,
    "floor": _floor(False),
    "ceil": _floor(True),
    "add_months": _dates(add_months),
    "add_days": _dates(lambda d, n: np.asarray(d, dtype=I64) + np.asarray(n, dtype=I64)),
    "add_working_days": _working,
    "is_working_day": _is_working,
    "first_day_of_month": _dates(first_day_of_month),
    "last_day_of_month": _dates(last_day_of_month),
    "first_of_next_month": _dates(lambda d: last_day_of_month(d) + 1),
    "months_between": _dates(months_between),
    "days_between": _dates(lambda a, b: np.asarray(b, dtype=I64) - np.asarray(a, dtype=I64)),
    "age_on": _dates(age_on),
    "date": _make_date,
    "year": _dates(lambda d: year_month_day(d)[0]),
    "month": _dates(lambda d: year_month_day(d)[1]),
    "day": _dates(lambda d: year_month_day(d)[2]),
    "months": _duration("months"),
    "days": _duration("days"),
    "working_days": _duration("working_days"),
}


# --- the household's columns -------------------------------------------------------------------


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


class Deferred:
    """A batch column made only when a rule reads it (household ids as Python text, for instance)."""

    def __init__(self, make: Callable[[], Any]) -> None:
        self.make = make


def column_values(batch: Batch, level: str, name: str) -> Any:
    """A column of the batch, made now if it was deferred."""
    value = batch.columns[level][name]
    if isinstance(value, Deferred):
        value = batch.columns[level][name] = value.make()
    return value


def _column(level: str, name: str, kind: str) -> Callable[[Batch, Run], Col]:
    def read(batch: Batch, run: Run) -> Col:
        value = column_values(batch, level, name)
        missing = batch.columns[level].get(f"{name}_missing", False)
        if isinstance(value, Coded):
            return Col("cat", value.codes, value.vocab, missing)
        if kind == "rat":
            return Col("rat", value, 100, missing)  # money is held in fen
        return Col(kind, value, 1, missing)

    return read


def _yearly_fen(batch: Batch, level: str) -> tuple[np.ndarray, Any]:
    """Every amount as fen per year (exact: a monthly amount times 12)."""
    fen = batch.columns[level]["amount"]
    return np.where(_yearly_rows(batch, level), fen, fen * 12), _guard((fen, 12))


def _yearly_rows(batch: Batch, level: str) -> Any:
    per = batch.columns[level]["per"]
    return per.codes == per.vocab.index["year"]


def _monthly(level: str) -> Callable[[Batch, Run], Col]:
    def read(batch: Batch, run: Run) -> Col:
        yearly, bad = _yearly_fen(batch, level)
        return Col("rat", yearly, 1200, bad)  # yuan per month = fen per year / 1200, one denominator for all

    return read


def _annual(level: str) -> Callable[[Batch, Run], Col]:
    def read(batch: Batch, run: Run) -> Col:
        yearly, bad = _yearly_fen(batch, level)
        return Col("rat", yearly, 100, bad)

    return read


def _ages(batch: Batch, run: Run) -> Any:
    return run.cached("age", lambda: age_on(batch.columns["member"]["birth_date"], run.as_of_days))


def _age(batch: Batch, run: Run) -> Col:
    return Col("int", _ages(batch, run))


def _age_test(test: Callable[[Any], Any]) -> Callable[[Batch, Run], Col]:
    return lambda batch, run: Col("bool", test(_ages(batch, run)))


def _grade_test(test: Callable[[Any], Any]) -> Callable[[Batch, Run], Col]:
    return lambda batch, run: Col("bool", test(batch.columns["member"]["disability_grade"]))


def _has(name: str) -> Callable[[Batch, Run], Col]:
    return lambda batch, run: Col("bool", ~batch.columns["household"][f"{name}_missing"])


def _size(batch: Batch, run: Run) -> Col:
    segments = batch.segments("member")
    return Col("int", segments.ends - segments.starts)


def _stated(level: str, name: str) -> Callable[[Batch, Run], Col]:
    """An enumerated field that may be absent (coded ``none``): the rows without it are bad, as the
    interpreter, which names the record's field, cannot read them either."""
    def read(batch: Batch, run: Run) -> Col:
        value = column_values(batch, level, name)
        return Col("cat", value.codes, value.vocab, value.codes == value.vocab.index["none"])

    return read


def _income_change(name: str) -> Callable[[Batch, Run], Col]:
    """An income_fell event's household income per year (a monthly amount times 12), in fen; rows of
    events without one are bad (the interpreter words why)."""
    def read(batch: Batch, run: Run) -> Col:
        events = batch.columns["event"]
        fen, per = events[name], events["per"]
        monthly = per.codes == per.vocab.index["month"]
        return Col("rat", np.where(monthly, fen * 12, fen), 100, events[f"{name}_missing"])

    return read


# Names computed from the record rather than read from one column; every other field of the record
# is read from the batch column of its name (see ``field_reader``).
DERIVED: dict[tuple[str, str], Callable[[Batch, Run], Col]] = {
    ("household", "household.size"): _size,
    ("household", "status.on_dibao"): _has("dibao_since"),
    ("household", "status.monitored"): _has("monitored_since"),
    ("member", "age"): _age,
    ("member", "elderly"): _age_test(lambda age: age >= 60),
    ("member", "minor"): _age_test(lambda age: age < 18),
    ("member", "adult"): _age_test(lambda age: age >= 18),
    ("member", "disabled"): _grade_test(lambda grade: grade > 0),
    ("member", "severely_disabled"): _grade_test(lambda grade: (grade >= 1) & (grade <= 2)),
    ("household", "status.tekun_support"): _stated("household", "tekun_support"),
    ("expense", "level"): _stated("expense", "level"),
    ("event", "income_before"): _income_change("income_before"),
    ("event", "income_after"): _income_change("income_after"),
}
for _level in ("income", "expense"):
    DERIVED[(_level, "monthly")] = _monthly(_level)
    DERIVED[(_level, "annual")] = _annual(_level)


def field_reader(level: str, name: str, type_: t.Type) -> Callable[[Batch, Run], Col] | None:
    """How to read a field of the record at a level (``status.tekun`` at the household, ``kind`` at an
    income): derived, or the batch column of the field's name; None when the batch has no such column."""
    if (level, name) in DERIVED:
        return DERIVED[(level, name)]
    column = name.split(".")[-1] if level == "household" else name
    if level == "household" and not (name.startswith("status.") or name.startswith("household.")):
        return None
    if column not in BATCH_COLUMNS.get(level, ()):
        return None
    if isinstance(type_, t.Money):
        return _column(level, column, "rat")
    kinds: dict[t.Type, str] = {t.BOOL: "bool", t.DATE: "date", t.INT: "int"}
    return _column(level, column, kinds.get(type_, "obj"))


#: The columns a batch has per level.
BATCH_COLUMNS: dict[str, frozenset[str]] = {level: batch_columns(level) for level in LEVELS}
