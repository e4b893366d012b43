"""Generators of household records and rules-language text, for tests and the robustness bench.

Test support, not a stage of the engine: this module imports ``hypothesis``, which is a
test dependency (the ``test`` extra of the project), and only tests and bench scripts
import it. No engine stage and no command of the CLI imports it, so the engine runs
without hypothesis installed.

Two front ends share one generator, so a property test and the bench see the same shapes:

* ``households(...)`` and ``expression_texts(...)`` are hypothesis strategies (they
  shrink a failing example to a small one) for property tests;
* ``random_household(rng, ...)`` and ``random_expression_text(rng, ...)`` draw the same
  shapes from a ``random.Random``: fast, and reproducible from a seed, for the fuzzing
  bench (``bench/robustness.py``).

Households are raw records exactly as JSON gives them (the household record of the
contract): amounts are decimal strings with at most two places, dates ISO strings. Every
record generated passes ``engine.household.record.validate_household``. Ages, event dates and
status dates are placed relative to an evaluation date ``as_of``: members are minors,
adults and elderly on that date, including members whose 18th or 60th birthday is that
very day (and the day after, still 17 or 59); events fall in the three years before it.

Expression texts follow the grammar (``grammar/rules.lark``): literals of every kind,
names, operators, calls, aggregations, ``if`` and ``cases``. They are built type by type
so that most of them check, and a set share of the sub-expressions is given a random
other type, an unknown name or a wrong number of arguments, so that many do not.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import Any, Protocol, TypeVar

from hypothesis import strategies as st

from engine.household.record import (
    CERTIFICATES,
    DISABILITY_CATEGORIES,
    EDUCATION_LEVELS,
    EVENT_CAUSES,
    EVENT_KINDS,
    EXPENSE_KINDS,
    INCOME_KINDS,
    LABOUR_CAPACITIES,
    TEKUN_SUPPORTS,
)

__all__ = [
    "EARLIEST_AS_OF",
    "LATEST_AS_OF",
    "REGIONS",
    "Chooser",
    "RandomChooser",
    "expression_texts",
    "households",
    "random_expression_text",
    "random_household",
]

T = TypeVar("T")

#: Regions a generated household may be registered in (``hukou``).
REGIONS = ("dongtai", "hebi", "inner_mongolia", "suining", "yangjiang")
#: The range an evaluation date is drawn from when none is given.
EARLIEST_AS_OF = date(2016, 1, 1)
LATEST_AS_OF = date(2026, 12, 31)

_INCOME_KINDS = tuple(sorted(INCOME_KINDS))
_EXPENSE_KINDS = tuple(sorted(EXPENSE_KINDS))
_LEVELS = tuple(sorted(EDUCATION_LEVELS))
_TEKUN_SUPPORTS = tuple(sorted(TEKUN_SUPPORTS))
_EVENT_KINDS = tuple(sorted(EVENT_KINDS))
_CATEGORIES = tuple(sorted(DISABILITY_CATEGORIES))
_CERTIFICATES = tuple(sorted(CERTIFICATES))
_CAPACITIES = tuple(sorted(LABOUR_CAPACITIES))
_PERIODS = ("month", "year")
_EDGE_AMOUNTS = ("0", "0.00", "0.01", "0.5", "1", "99.99", "100", "999.99", "1000", "1000.01",
                 "1200", "3210", "5000", "9999.99", "10000", "19999.99", "20000", "20000.00")
_TEMPORARY_AMOUNTS = ("999.99", "1000", "1000.00", "1000.01")


# --------------------------------------------------------------------------------------
# Choosers: where the randomness comes from


class Chooser(Protocol):
    """The choices a generator makes; a hypothesis ``draw`` or a ``random.Random`` behind it."""

    def integer(self, low: int, high: int) -> int:
        """An integer from ``low`` to ``high``, both included."""
        ...

    def choice(self, options: Sequence[T]) -> T:
        """One of ``options`` (not empty)."""
        ...

    def chance(self, percent: int) -> bool:
        """True about ``percent`` times in a hundred."""
        ...


class _DrawChooser:
    """Choices drawn from hypothesis, so that examples shrink (towards fewer, smaller items)."""

    def __init__(self, draw: st.DrawFn) -> None:
        self._draw = draw

    def integer(self, low: int, high: int) -> int:
        return self._draw(st.integers(low, high))

    def choice(self, options: Sequence[T]) -> T:
        return self._draw(st.sampled_from(options))

    def chance(self, percent: int) -> bool:
        return self._draw(st.integers(0, 99)) >= 100 - percent


class RandomChooser:
    """Choices from a ``random.Random``: the same seed gives the same records and texts."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def integer(self, low: int, high: int) -> int:
        return self.rng.randint(low, high)

    def choice(self, options: Sequence[T]) -> T:
        return options[self.rng.randrange(len(options))]

    def chance(self, percent: int) -> bool:
        return self.rng.randrange(100) < percent


# --------------------------------------------------------------------------------------
# Households


def households(min_members: int = 1, max_members: int = 6,
               as_of: date | None = None) -> st.SearchStrategy[dict[str, Any]]:
    """Raw household records (as JSON gives them) that pass ``validate_household``.

    ``as_of`` is the evaluation date the ages, events and status dates are placed
    around; when it is None each record takes a date between 2016-01-01 and 2026-12-31
    (the record does not say which: pass the date you evaluate on).
    """
    _check_sizes(min_members, max_members)

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        return _household(_DrawChooser(draw), min_members, max_members, as_of)

    return build()


def random_household(rng: random.Random, min_members: int = 1, max_members: int = 6,
                     as_of: date | None = None) -> dict[str, Any]:
    """One record like those of ``households(...)``, drawn from ``rng``."""
    _check_sizes(min_members, max_members)
    return _household(RandomChooser(rng), min_members, max_members, as_of)


def _check_sizes(min_members: int, max_members: int) -> None:
    if not 1 <= min_members <= max_members <= 50:
        raise ValueError(f"need 1 <= min_members <= max_members <= 50, not {min_members} and {max_members}")


def _household(c: Chooser, min_members: int, max_members: int, as_of: date | None) -> dict[str, Any]:
    day = as_of if as_of is not None else EARLIEST_AS_OF + timedelta(
        days=c.integer(0, (LATEST_AS_OF - EARLIEST_AS_OF).days))
    style = c.choice(("p{}", "m{}", "成员{}", "P-{:03d}"))
    ids = [style.format(i) for i in range(1, c.integer(min_members, max_members) + 1)]
    record: dict[str, Any] = {
        "id": f"HH-{c.integer(0, 99999):05d}",
        "hukou": c.choice(REGIONS),
        "members": [_member(c, member_id, day) for member_id in ids],
    }
    if c.chance(90):
        record["status"] = _status(c, day)
    if c.chance(80):
        record["events"] = [_event(c, day) for _ in range(c.integer(0, 4))]
    if c.chance(80):
        record["requests"] = [_request(c, ids) for _ in range(c.integer(0, 2))]
    return record


def _years_before(day: date, years: int) -> date:
    """The same day ``years`` earlier; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def _iso(day: date) -> str:
    return day.isoformat()


def _birth_date(c: Chooser, day: date) -> date:
    band = c.choice(("minor", "adult", "elderly", "18 today", "60 today", "17 until tomorrow",
                     "59 until tomorrow", "newborn"))
    if band == "18 today":
        return _years_before(day, 18)
    if band == "60 today":
        return _years_before(day, 60)
    if band == "17 until tomorrow":
        return _years_before(day, 18) + timedelta(days=1)
    if band == "59 until tomorrow":
        return _years_before(day, 60) + timedelta(days=1)
    if band == "newborn":
        return day - timedelta(days=c.integer(0, 40))
    low, high = {"minor": (0, 17), "adult": (18, 59), "elderly": (60, 100)}[band]
    years = c.integer(low, high)
    latest = _years_before(day, years)
    earliest = _years_before(day, years + 1) + timedelta(days=1)
    return earliest + timedelta(days=c.integer(0, (latest - earliest).days))


def _amount(c: Chooser) -> str:
    """A decimal string from 0 to 20000 with at most 2 places, mostly small."""
    band = c.choice(("edge", "fen", "small", "small", "medium", "large", "whole", "one place"))
    if band == "edge":
        return c.choice(_EDGE_AMOUNTS)
    if band == "whole":
        return str(c.integer(0, 20000))
    if band == "one place":
        return f"{c.integer(0, 2000)}.{c.integer(0, 9)}"
    high = {"fen": 100, "small": 50_000, "medium": 300_000, "large": 2_000_000}[band]
    fen = c.integer(0, high)
    return f"{fen // 100}.{fen % 100:02d}"


def _flow(c: Chooser, kinds: tuple[str, ...]) -> dict[str, Any]:
    return {"kind": c.choice(kinds), "amount": _amount(c), "per": c.choice(_PERIODS)}


def _member(c: Chooser, member_id: str, day: date) -> dict[str, Any]:
    member: dict[str, Any] = {
        "id": member_id,
        "birth_date": _iso(_birth_date(c, day)),
        "labour_capacity": c.choice(_CAPACITIES),
    }
    if c.chance(35):
        member["disability"] = {"grade": c.integer(1, 4), "category": c.choice(_CATEGORIES),
                                "certificate": c.choice(_CERTIFICATES)}
    elif c.chance(30):
        member["disability"] = None
    for flag, percent in (("seriously_ill", 20), ("employed", 40), ("applies_single_person", 20)):
        if c.chance(80):
            member[flag] = c.chance(percent)
    if c.chance(85):
        member["incomes"] = [_flow(c, _INCOME_KINDS) for _ in range(c.integer(0, 4))]
    if c.chance(70):
        member["expenses"] = [_expense(c) for _ in range(c.integer(0, 3))]
    return member


def _expense(c: Chooser) -> dict[str, Any]:
    expense = _flow(c, _EXPENSE_KINDS)
    if expense["kind"] == "education" and c.chance(80):
        expense["level"] = c.choice(_LEVELS)
    return expense


def _date_before(c: Chooser, day: date, days: int) -> str:
    """A date from ``days`` days before ``day`` up to ``day`` itself."""
    return _iso(max(date(1900, 1, 1), day - timedelta(days=c.integer(0, days))))


def _status(c: Chooser, day: date) -> dict[str, Any]:
    status: dict[str, Any] = {}
    for flag, percent in (("registered_poor", 40), ("lifted_out", 20), ("tekun", 10),
                          ("children_support_sufficient", 20)):
        if c.chance(85):
            status[flag] = c.chance(percent)
    if c.chance(85):
        status["dibao_since"] = _date_before(c, day, 3650) if c.chance(45) else None
    if c.chance(85):
        status["monitored_since"] = _date_before(c, day, 1825) if c.chance(35) else None
    if status.get("tekun") and c.chance(80):
        status["tekun_support"] = c.choice(_TEKUN_SUPPORTS)
    if status.get("dibao_since") and c.chance(50):
        status["current_benefit_monthly"] = _amount(c)
    return status


def _event(c: Chooser, day: date) -> dict[str, Any]:
    kind = c.choice(_EVENT_KINDS)
    event: dict[str, Any] = {"kind": kind, "date": _date_before(c, day, 3 * 365)}
    if kind == "income_fell":  # the household's income before and after: a fall of 1 fen to all of it
        before = c.integer(1, 4_000_000)
        after = c.choice((0, before - 1, c.integer(0, before - 1)))
        event.update(income_before=f"{before // 100}.{before % 100:02d}",
                     income_after=f"{after // 100}.{after % 100:02d}", per=c.choice(_PERIODS))
        return event
    causes = tuple(sorted(EVENT_CAUSES[kind]))
    if causes:
        event["cause"] = c.choice(causes)
    elif c.chance(20):
        event["cause"] = None
    return event


def _request(c: Chooser, member_ids: list[str]) -> dict[str, Any]:
    if c.chance(50):
        amount = c.choice(_TEMPORARY_AMOUNTS) if c.chance(50) else f"{c.integer(800, 1200)}.{c.integer(0, 99):02d}"
        request: dict[str, Any] = {"kind": "temporary_assistance", "amount": amount}
        if c.chance(20):
            request["member"] = c.choice(member_ids)
        return request
    return {"kind": "medical_assistance", "member": c.choice(member_ids), "amount": _amount(c)}


# --------------------------------------------------------------------------------------
# Expression texts

#: Names an expression may use outside any aggregation (the household and a few outputs).
DEFAULT_NAMES = (
    "as_of", "members", "events", "requests", "household.id", "household.hukou", "household.size",
    "status.registered_poor", "status.lifted_out", "status.tekun", "status.children_support_sufficient",
    "status.on_dibao", "status.dibao_since", "status.monitored", "status.monitored_since",
    "dibao.standard_annual", "dibao.standard_monthly", "income.countable_monthly", "dibao.eligible",
)
_UNKNOWN_NAMES = ("foo", "dibao.standrad_annual", "member", "m.age", "status", "household", "income",
                  "members.age", "as_of.year", "x1", "_", "dibao.eligible.x")
_UNKNOWN_FUNCTIONS = ("sqrt", "today", "len", "eval", "__import__", "open", "per_week", "roundup")

# Types the generator builds: the rules language's scalar types and two texts.
_TYPES = ("bool", "int", "number", "rate", "money/month", "money/year", "money", "date", "duration", "text")

# Fields of each record a variable can stand for, by the type they give.
_FIELDS: dict[str, dict[str, tuple[str, ...]]] = {
    "member": {
        "bool": ("elderly", "minor", "adult", "disabled", "severely_disabled", "seriously_ill", "employed",
                 "applies_single_person"),
        "int": ("age", "disability_grade"),
        "date": ("birth_date",),
        "text": ("id", "labour_capacity", "disability_category", "disability_certificate"),
    },
    "income": {"money": ("amount",), "money/month": ("monthly",), "money/year": ("annual",),
               "text": ("kind", "per")},
    "expense": {"money": ("amount",), "money/month": ("monthly",), "money/year": ("annual",),
                "text": ("kind", "per")},
    "event": {"date": ("date",), "text": ("kind", "cause")},
    "request": {"money": ("amount",), "text": ("kind", "member")},
}
# Values of the text fields, for comparisons that check (and a few that do not).
_FIELD_VALUES: dict[str, tuple[str, ...]] = {
    "labour_capacity": _CAPACITIES,
    "disability_category": (*_CATEGORIES, "none"),
    "disability_certificate": (*_CERTIFICATES, "none"),
    "per": _PERIODS,
    "cause": ("illness", "migrant_work", "death", "none", "disaster"),
    "income.kind": _INCOME_KINDS,
    "expense.kind": _EXPENSE_KINDS,
    "event.kind": _EVENT_KINDS,
    "request.kind": ("temporary_assistance", "medical_assistance"),
}
_VARIABLES = {"member": ("m", "p", "n"), "income": ("i", "inc"), "expense": ("x", "e2"), "event": ("e", "ev"),
              "request": ("r", "req")}

Scope = tuple[tuple[str, str], ...]  # (variable, record label), innermost last


def expression_texts(names: Sequence[str] = DEFAULT_NAMES, max_depth: int = 4,
                     wrong_percent: int = 12) -> st.SearchStrategy[str]:
    """Grammar-shaped expression texts, well or ill typed, for fuzzing the parser and checker.

    ``names`` are the free names an expression may read besides the household's;
    ``wrong_percent`` is the share of sub-expressions given a random other type, an
    unknown name or function, or a wrong number of arguments.
    """

    @st.composite
    def build(draw: st.DrawFn) -> str:
        return _Expressions(_DrawChooser(draw), tuple(names), wrong_percent).top(max_depth)

    return build()


def random_expression_text(rng: random.Random, names: Sequence[str] = DEFAULT_NAMES, max_depth: int = 4,
                           wrong_percent: int = 12) -> str:
    """One text like those of ``expression_texts(...)``, drawn from ``rng``."""
    return _Expressions(RandomChooser(rng), tuple(names), wrong_percent).top(max_depth)


class _Expressions:
    """Builds expression text of a wanted type; ``wrong_percent`` of the time, of another."""

    def __init__(self, c: Chooser, names: tuple[str, ...], wrong_percent: int) -> None:
        self.c = c
        self.names = names
        self.wrong = wrong_percent
        self.builders: dict[str, tuple[Callable[[int, Scope, str], str], ...]] = {
            "bool": (self.compare, self.compare, self.equals_value, self.member_of, self.logic, self.negation,
                     self.any_all, self.working_day, self.conditional, self.cases),
            "int": (self.arithmetic, self.count, self.sum_of, self.date_part, self.between, self.conditional,
                    self.extreme, self.absolute, self.negative, self.cases, self.parens),
            "number": (self.arithmetic, self.ratio, self.rounded, self.conditional, self.parens),
            "rate": (self.arithmetic, self.conditional, self.parens),
            "money/month": (self.money_sum, self.money_sum, self.money_arithmetic, self.money_scale,
                            self.convert, self.rounded, self.conditional, self.cases, self.extreme, self.parens),
            "money/year": (self.money_sum, self.money_arithmetic, self.money_scale, self.convert,
                           self.conditional, self.extreme),
            "money": (self.money_sum, self.money_arithmetic, self.conditional, self.extreme),
            "date": (self.shifted, self.shifted, self.calendar_call, self.make_date, self.extreme,
                     self.conditional, self.cases),
            "duration": (self.duration_call, self.duration_sum, self.conditional),
            "text": (self.conditional, self.pick_text),
        }

    def top(self, max_depth: int) -> str:
        wanted = self.c.choice(_TYPES)
        text = self.expr(wanted, self.c.integer(0, max_depth), ())
        if self.c.chance(5):
            text = f"{text}  # {self.c.choice(('note', '说明', 'x # y'))}"
        if self.c.chance(5):
            text = f"\n  {text}\n"
        return text

    # dispatch ------------------------------------------------------------------------
    def expr(self, wanted: str, depth: int, scope: Scope) -> str:
        if self.c.chance(self.wrong):
            if self.c.chance(25):
                return self.c.choice((*self.names, *_UNKNOWN_NAMES))
            if depth > 0 and self.c.chance(20):
                return self.call_garbage(depth - 1, scope, wanted)
            wanted = self.c.choice(_TYPES)
        if depth <= 0 or self.c.chance(25):
            return self.leaf(wanted, scope)
        builder = self.c.choice(self.builders[wanted])
        return builder(depth - 1, scope, wanted)

    def leaf(self, wanted: str, scope: Scope) -> str:
        fields = [f"{var}.{name}" for var, label in scope for name in _FIELDS[label].get(wanted, ())]
        if fields and self.c.chance(60):
            return self.c.choice(fields)
        return self.literal(wanted)

    def literal(self, wanted: str) -> str:
        c = self.c
        if wanted == "bool":
            return c.choice(("true", "false", "status.on_dibao", "status.registered_poor", "status.tekun",
                             "status.monitored", "status.lifted_out", "status.children_support_sufficient"))
        if wanted == "int":
            return c.choice((str(c.integer(0, 100)), str(c.integer(0, 10**6)), "0", "1", "12", "1_000",
                             "household.size", str(c.integer(0, 10**30))))
        if wanted == "number":
            return c.choice((f"{c.integer(0, 1000)}.{c.integer(0, 99)}", "0.5", "1.0", "0.000001", "3.25"))
        if wanted == "rate":
            return c.choice((f"{c.integer(0, 100)}%", "12.5%", "0%", "100%", "150%"))
        if wanted in ("money/month", "money/year", "money"):
            period = wanted.partition("/")[2]
            amount = c.choice((str(c.integer(0, 20000)), f"{c.integer(0, 2000)}.{c.integer(0, 99):02d}", "0"))
            unit = c.choice(("yuan", "元", " yuan", " 元"))
            if period:
                slash = c.choice((f"/{period}", f" / {period}", "/" + {"month": "月", "year": "年"}[period]))
                return f"{amount}{unit}{slash}"
            if amount == "0" and c.chance(30):
                return "0"
            return f"{amount}{unit}"
        if wanted == "date":
            if c.chance(40):
                return c.choice(("as_of", "status.dibao_since", "status.monitored_since"))
            if c.chance(10):
                return c.choice(("2021-02-29", "2020-13-01", "0000-01-01", "2021-04-31"))
            return f"{c.integer(2000, 2030)}-{c.integer(1, 12):02d}-{c.integer(1, 28):02d}"
        if wanted == "duration":
            count = c.choice((str(c.integer(0, 36)), "1", "12", "1_000"))
            unit = c.choice(("months", "month", "years", "year", "days", "day", "working days", "working day",
                             "个月", "天", "年", "个工作日", "工作日"))
            space = c.choice(("", " ")) if not unit[0].isascii() else " "
            return f"{count}{space}{unit}"
        return c.choice(('"wages"', "'shock'", '"p1"', '""', '"县"', '"a\\"b"', "household.id",
                         "household.hukou", '"county"', '"township"'))

    # bool ----------------------------------------------------------------------------
    def compare(self, depth: int, scope: Scope, wanted: str) -> str:
        kind = self.c.choice(("int", "number", "money/month", "money/year", "money", "date", "duration", "rate"))
        op = self.c.choice(("<", "<=", ">", ">=", "==", "!="))
        return f"{self.expr(kind, depth, scope)} {op} {self.expr(kind, depth, scope)}"

    def equals_value(self, depth: int, scope: Scope, wanted: str) -> str:
        c = self.c
        options = [(f"{var}.{name}", _FIELD_VALUES.get(f"{label}.{name}") or _FIELD_VALUES.get(name, ("x",)))
                   for var, label in scope for name in _FIELDS[label].get("text", ())]
        if not options:
            options = [("household.hukou", REGIONS)]
        field, values = c.choice(options)
        value = c.choice(values) if not c.chance(10) else c.choice(("wage", "None", "", "Shock"))
        return f'{field} {c.choice(("==", "!="))} "{value}"'

    def member_of(self, depth: int, scope: Scope, wanted: str) -> str:
        c = self.c
        if c.chance(70):
            options = [(f"{var}.{name}", _FIELD_VALUES.get(f"{label}.{name}") or _FIELD_VALUES.get(name, ("x",)))
                       for var, label in scope for name in _FIELDS[label].get("text", ())]
            field, values = c.choice(options) if options else ("household.hukou", REGIONS)
            items = ", ".join(f'"{c.choice(values)}"' for _ in range(c.integer(0, 3)))
            return f"{field} {c.choice(('in', 'not in'))} {{{items}}}"
        kind = c.choice(("int", "date", "duration", "money/month", "text"))
        items = ", ".join(self.expr(kind, depth, scope) for _ in range(c.integer(1, 3)))
        return f"{self.expr(kind, depth, scope)} {c.choice(('in', 'not in'))} {{{items}}}"

    def logic(self, depth: int, scope: Scope, wanted: str) -> str:
        return f"{self.expr('bool', depth, scope)} {self.c.choice(('and', 'or'))} {self.expr('bool', depth, scope)}"

    def negation(self, depth: int, scope: Scope, wanted: str) -> str:
        return f"not {self.expr('bool', depth, scope)}"

    def any_all(self, depth: int, scope: Scope, wanted: str) -> str:
        return self.aggregate(self.c.choice(("any", "all")), "bool", depth, scope)

    def working_day(self, depth: int, scope: Scope, wanted: str) -> str:
        return f"is_working_day({self.expr('date', depth, scope)})"

    # numbers ---------------------------------------------------------------------------
    def arithmetic(self, depth: int, scope: Scope, wanted: str) -> str:
        kind = wanted if wanted in ("int", "number", "rate") else "int"
        return f"{self.expr(kind, depth, scope)} {self.c.choice(('+', '-', '*'))} {self.expr(kind, depth, scope)}"

    def ratio(self, depth: int, scope: Scope, wanted: str) -> str:
        divisor = self.c.choice(("household.size", "2", "12", "0.5", "3%", self.expr("int", depth, scope)))
        return f"{self.expr(self.c.choice(('int', 'number')), depth, scope)} / {divisor}"

    def rounded(self, depth: int, scope: Scope, wanted: str) -> str:
        kind = self.c.choice(("number", "money/month", "int"))
        places = self.c.choice(("", ", 2", ", 0", f", {self.c.integer(0, 12)}", ", -1"))
        return f"round({self.expr(kind, depth, scope)}{places})"

    def count(self, depth: int, scope: Scope, wanted: str) -> str:
        return self.aggregate("count", self.c.choice(("bool", "int", "text")), depth, scope)

    def sum_of(self, depth: int, scope: Scope, wanted: str) -> str:
        return self.aggregate("sum", "int", depth, scope)

    def date_part(self, depth: int, scope: Scope, wanted: str) -> str:
        return f"{self.c.choice(('year', 'month', 'day'))}({self.expr('date', depth, scope)})"

    def between(self, depth: int, scope: Scope, wanted: str) -> str:
        function = self.c.choice(("months_between", "days_between", "age_on"))
        return f"{function}({self.expr('date', depth, scope)}, {self.expr('date', depth, scope)})"

    def absolute(self, depth: int, scope: Scope, wanted: str) -> str:
        return f"abs({self.expr(self.c.choice(('int', 'number', 'money/month')), depth, scope)})"

    def negative(self, depth: int, scope: Scope, wanted: str) -> str:
        return f"-{self.expr('int', depth, scope)}"

    def parens(self, depth: int, scope: Scope, wanted: str) -> str:
        return f"({self.expr(wanted, depth, scope)})"

    # money -----------------------------------------------------------------------------
    def money_sum(self, depth: int, scope: Scope, wanted: str) -> str:
        c = self.c
        member = next((var for var, label in reversed(scope) if label == "member"), None)
        flow = c.choice(("incomes", "expenses"))
        field = {"money/month": "monthly", "money/year": "annual"}.get(wanted, "amount")
        if c.chance(10):
            field = c.choice(("monthly", "annual", "amount", "kind"))
        var = c.choice(_VARIABLES["income" if flow == "incomes" else "expense"])
        if any(v == var for v, _ in scope):
            var += "2"
        label = "income" if flow == "incomes" else "expense"
        kinds = _INCOME_KINDS if flow == "incomes" else _EXPENSE_KINDS
        where = ""
        if c.chance(50):
            where = f' where {var}.kind {c.choice(("==", "!="))} "{c.choice(kinds)}"'
        elif c.chance(30):
            where = f" where {self.expr('bool', depth, (*scope, (var, label)))}"
        if member is not None and c.chance(70):
            return f"sum({var}.{field} for {var} in {member}.{flow}{where})"
        outer = c.choice(_VARIABLES["member"])
        if any(v == outer for v, _ in scope):
            outer += "2"
        filter_member = f" where {outer}.{c.choice(_FIELDS['member']['bool'])}" if c.chance(30) else ""
        return f"sum(sum({var}.{field} for {var} in {outer}.{flow}{where}) for {outer} in members{filter_member})"

    def money_arithmetic(self, depth: int, scope: Scope, wanted: str) -> str:
        op = self.c.choice(("+", "-"))
        return f"{self.expr(wanted, depth, scope)} {op} {self.expr(wanted, depth, scope)}"

    def money_scale(self, depth: int, scope: Scope, wanted: str) -> str:
        kind = wanted
        factor = self.expr(self.c.choice(("int", "number", "rate")), depth, scope)
        if self.c.chance(30):
            return f"{self.expr(kind, depth, scope)} / {self.c.choice(('household.size', '12', '2', factor))}"
        if self.c.chance(50):
            return f"{factor} * {self.expr(kind, depth, scope)}"
        return f"{self.expr(kind, depth, scope)} * {factor}"

    def convert(self, depth: int, scope: Scope, wanted: str) -> str:
        if wanted == "money/month" or (wanted != "money/year" and self.c.chance(50)):
            return f"per_month({self.expr('money/year', depth, scope)})"
        return f"per_year({self.expr('money/month', depth, scope)})"

    def extreme(self, depth: int, scope: Scope, wanted: str) -> str:
        function = self.c.choice(("min", "max", "first", "last"))
        return self.aggregate(function, wanted, depth, scope, default=self.c.chance(75))

    # dates and durations ----------------------------------------------------------------
    def shifted(self, depth: int, scope: Scope, wanted: str) -> str:
        return f"{self.expr('date', depth, scope)} {self.c.choice(('+', '-'))} {self.expr('duration', depth, scope)}"

    def calendar_call(self, depth: int, scope: Scope, wanted: str) -> str:
        c = self.c
        function = c.choice(("add_months", "add_days", "add_working_days", "first_day_of_month",
                             "last_day_of_month", "first_of_next_month"))
        if function.startswith("add_"):
            count = c.choice((str(c.integer(0, 40)), f"-{c.integer(1, 40)}", self.expr("int", depth, scope)))
            return f"{function}({self.expr('date', depth, scope)}, {count})"
        return f"{function}({self.expr('date', depth, scope)})"

    def make_date(self, depth: int, scope: Scope, wanted: str) -> str:
        c = self.c
        parts = (c.choice((str(c.integer(1990, 2030)), self.expr("int", depth, scope))),
                 str(c.integer(0, 13)), str(c.integer(0, 32)))
        return f"date({', '.join(parts)})"

    def duration_call(self, depth: int, scope: Scope, wanted: str) -> str:
        return f"{self.c.choice(('months', 'days', 'working_days'))}({self.expr('int', depth, scope)})"

    def duration_sum(self, depth: int, scope: Scope, wanted: str) -> str:
        op = self.c.choice(("+", "-"))
        return f"{self.expr('duration', depth, scope)} {op} {self.expr('duration', depth, scope)}"

    # text ------------------------------------------------------------------------------
    def pick_text(self, depth: int, scope: Scope, wanted: str) -> str:
        return self.aggregate(self.c.choice(("first", "last")), "text", depth, scope, default=True)

    # shared shapes -------------------------------------------------------------------------
    def conditional(self, depth: int, scope: Scope, wanted: str) -> str:
        c = self.c
        if c.chance(70):
            return (f"if {self.expr('bool', depth, scope)} then {self.expr(wanted, depth, scope)} "
                    f"else {self.expr(wanted, depth, scope)}")
        return self.cases(depth, scope, wanted)

    def cases(self, depth: int, scope: Scope, wanted: str) -> str:
        c = self.c
        rows = " ".join(f"when {self.expr('bool', depth, scope)} then {self.expr(wanted, depth, scope)}"
                        for _ in range(c.integer(1, 3)))
        otherwise = f" else {self.expr(wanted, depth, scope)}" if c.chance(85) else ""
        return f"cases {rows}{otherwise}"

    def aggregate(self, function: str, body_type: str, depth: int, scope: Scope, default: bool = False) -> str:
        c = self.c
        member = next((var for var, label in reversed(scope) if label == "member"), None)
        sources: list[tuple[str, str]] = [("members", "member"), ("events", "event"), ("requests", "request")]
        if member is not None:
            sources += [(f"{member}.incomes", "income"), (f"{member}.expenses", "expense")]
        source, label = c.choice(sources)
        var = c.choice(_VARIABLES[label])
        if any(v == var for v, _ in scope):
            var += "2"
        inner = (*scope, (var, label))
        body = self.expr(body_type, depth, inner)
        where = f" where {self.expr('bool', depth, inner)}" if c.chance(40) else ""
        otherwise = f" else {self.expr(body_type, depth, scope)}" if default else ""
        if c.chance(self.wrong // 3):
            source = self.c.choice(("household.size", "as_of", "m.incomes", "{1, 2}"))
        return f"{function}({body} for {var} in {source}{where}{otherwise})"

    def call_garbage(self, depth: int, scope: Scope, wanted: str) -> str:
        function = self.c.choice((*_UNKNOWN_FUNCTIONS, "per_month", "round", "date", "add_months"))
        args = ", ".join(self.expr(self.c.choice(_TYPES), depth, scope) for _ in range(self.c.integer(0, 4)))
        return f"{function}({args})"
