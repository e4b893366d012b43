"""The household record's data model: the normalised record as frozen dataclasses, its
closed enumerations and its size limits.

``engine.household.record`` validates a raw record and builds these; the rules language
reads them (``engine.language.fields``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from types import MappingProxyType

from engine.base import exact
from engine.base.diagnostics import Diagnostic
from engine.household.vocabulary import bundled_vocabulary

# --------------------------------------------------------------------------------------
# The closed enumerations of the record (order as in the contract; used in messages). The kinds
# of income, expense and event and their causes are data: ``engine.household.vocabulary``.

#: Event kinds that record an amount of household income before and after the event.
INCOME_CHANGE_KINDS = ("income_fell",)
INCOME_CHANGE_KEYS = ("income_before", "income_after", "per")
CATEGORY_ORDER = (
    "physical", "visual", "hearing", "speech", "intellectual", "mental", "multiple",
)
CAPACITY_ORDER = ("full", "partial", "none")
REQUEST_ORDER = ("temporary_assistance", "medical_assistance")
CERTIFICATE_ORDER = ("second_generation", "other")
PERIOD_ORDER = ("month", "year")
LEVEL_ORDER = ("compulsory", "high_school", "vocational", "college")
TEKUN_SUPPORT_ORDER = ("dispersed", "centralised")

#: The bundled vocabulary's kinds and causes (a policy tree may add kinds: ``engine.household.vocabulary``).
INCOME_KINDS: frozenset[str] = frozenset(bundled_vocabulary().income_kinds)
EXPENSE_KINDS: frozenset[str] = frozenset(bundled_vocabulary().expense_kinds)
EVENT_KINDS: frozenset[str] = frozenset(bundled_vocabulary().event_kinds)
#: Causes allowed per event kind; kinds without causes map to an empty set.
EVENT_CAUSES: Mapping[str, frozenset[str]] = MappingProxyType(
    {kind: frozenset(causes) for kind, causes in bundled_vocabulary().event_causes.items()}
)
DISABILITY_CATEGORIES: frozenset[str] = frozenset(CATEGORY_ORDER)
LABOUR_CAPACITIES: frozenset[str] = frozenset(CAPACITY_ORDER)
REQUEST_KINDS: frozenset[str] = frozenset(REQUEST_ORDER)
CERTIFICATES: frozenset[str] = frozenset(CERTIFICATE_ORDER)
PERIODS: frozenset[str] = frozenset(PERIOD_ORDER)
#: Levels of schooling an education expense may name (compulsory = 义务教育).
EDUCATION_LEVELS: frozenset[str] = frozenset(LEVEL_ORDER)
#: How a tekun person is supported: 分散供养 (dispersed) or 集中供养 (centralised).
TEKUN_SUPPORTS: frozenset[str] = frozenset(TEKUN_SUPPORT_ORDER)

#: The largest amount accepted, in yuan.
MAX_AMOUNT = Decimal(10**12)
#: Size limits that bound the work one record can cause (no real household comes near).
MAX_MEMBERS = 50
MAX_FLOWS = 50  # incomes, and separately expenses, per member
MAX_EVENTS = 200
MAX_REQUESTS = 50
EARLIEST = dt.date(1900, 1, 1)
LATEST = dt.date(2100, 12, 31)
CODE = "E-HOUSEHOLD"

# --------------------------------------------------------------------------------------
# The normalised record


class _Flow:
    """What incomes and expenses share: an ``amount`` in yuan ``per`` month or year, read either way."""

    __slots__ = ()
    amount: Decimal
    per: str

    @property
    def monthly(self) -> Decimal | Fraction:
        """The amount per month (a yearly amount divided by 12, not rounded)."""
        return self.amount if self.per == "month" else exact.div(self.amount, 12)

    @property
    def annual(self) -> Decimal:
        """The amount per year (a monthly amount times 12)."""
        return self.amount * 12 if self.per == "month" else self.amount


@dataclass(frozen=True, slots=True)
class Income(_Flow):
    """One income of a member: ``amount`` yuan per ``month`` or per ``year``."""

    kind: str
    amount: Decimal
    per: str


@dataclass(frozen=True, slots=True)
class Expense(_Flow):
    """One expense of a member: ``amount`` yuan per ``month`` or per ``year``; an education
    expense may name its ``level``. ``path`` is where it stands in the record (for messages)."""

    kind: str
    amount: Decimal
    per: str
    level: str | None = None
    path: str = field(default="", compare=False)


@dataclass(frozen=True, slots=True)
class Disability:
    """A disability certificate: grade 1 (most severe) to 4, category, certificate type."""

    grade: int
    category: str
    certificate: str


@dataclass(frozen=True, slots=True)
class Member:
    """One member of the household."""

    id: str
    birth_date: dt.date
    disability: Disability | None
    seriously_ill: bool
    labour_capacity: str
    employed: bool
    applies_single_person: bool
    incomes: tuple[Income, ...]
    expenses: tuple[Expense, ...]


@dataclass(frozen=True, slots=True)
class Status:
    """What the household already is: registered poor, on dibao since, monitored since."""

    registered_poor: bool
    lifted_out: bool
    dibao_since: dt.date | None
    tekun: bool
    monitored_since: dt.date | None
    children_support_sufficient: bool
    tekun_support: str | None = None
    current_benefit_monthly: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Event:
    """Something that happened on a date; ``cause`` for the kinds that have causes.

    An ``income_fell`` event records the household's income before and after the fall
    (``income_before``, ``income_after``, yuan per ``per``); other kinds have none.
    """

    kind: str
    date: dt.date
    cause: str | None
    income_before: Decimal | None = None
    income_after: Decimal | None = None
    per: str | None = None


@dataclass(frozen=True, slots=True)
class Request:
    """An application for assistance, optionally for one member."""

    kind: str
    amount: Decimal | None
    member: str | None


@dataclass(frozen=True, slots=True)
class Household:
    """A validated household; ``events`` are sorted by date (stable)."""

    id: str
    hukou: str
    members: tuple[Member, ...]
    status: Status
    events: tuple[Event, ...]
    requests: tuple[Request, ...]


@dataclass(frozen=True, slots=True)
class Unreadable:
    """Stands in for a record that could not be parsed; carries why."""

    diagnostics: tuple[Diagnostic, ...]
