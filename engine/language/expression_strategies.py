"""Generators of rules-language text, for property tests and the robustness bench.

Test support, not a stage of the engine (it imports ``hypothesis``, a test dependency).
``expression_texts(...)`` is a hypothesis strategy; ``random_expression_text(rng, ...)``
draws the same shapes from a ``random.Random`` through the choosers of
``engine.household.strategies``, so a property test and the fuzzing bench see the same texts.

Expression texts follow the grammar (``grammar/rules.lark``): literals of every kind,
names, operators, calls, aggregations, ``if`` and ``cases``. They are built type by type
so that most of them check, and a set share of the sub-expressions is given a random
other type, an unknown name or a wrong number of arguments, so that many do not.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

from hypothesis import strategies as st

from engine.household.strategies import (
    CAPACITIES_CHOICES,
    CATEGORIES_CHOICES,
    CERTIFICATES_CHOICES,
    EVENT_KINDS_CHOICES,
    EXPENSE_KINDS_CHOICES,
    INCOME_KINDS_CHOICES,
    PERIODS_CHOICES,
    REGIONS,
    Chooser,
    DrawChooser,
    RandomChooser,
)

__all__ = ["DEFAULT_NAMES", "expression_texts", "random_expression_text"]


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
    "labour_capacity": CAPACITIES_CHOICES,
    "disability_category": (*CATEGORIES_CHOICES, "none"),
    "disability_certificate": (*CERTIFICATES_CHOICES, "none"),
    "per": PERIODS_CHOICES,
    "cause": ("illness", "migrant_work", "death", "none", "disaster"),
    "income.kind": INCOME_KINDS_CHOICES,
    "expense.kind": EXPENSE_KINDS_CHOICES,
    "event.kind": EVENT_KINDS_CHOICES,
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
        return _Expressions(DrawChooser(draw), tuple(names), wrong_percent).top(max_depth)

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
        kinds = INCOME_KINDS_CHOICES if flow == "incomes" else EXPENSE_KINDS_CHOICES
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
