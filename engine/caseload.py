"""Caseload tables: households as columns, one table per level, for the columnar evaluator.

``batch_from_households`` lays validated households out as columns (households,
members, incomes, expenses, events, requests; each row knows its parent row). Money is
integer fen, dates are days since 1970; absent optional values have explicit encodings
(a missing date sets a ``*_missing`` flag, no disability is grade 0 and category
``"none"``), exactly as the interpreter's field table reads them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import numpy as np

from engine.columnar import EPOCH, Batch, Coded, Vocab
from engine.household import (
    CERTIFICATES,
    DISABILITY_CATEGORIES,
    EDUCATION_LEVELS,
    EVENT_CAUSES,
    EVENT_KINDS,
    EXPENSE_KINDS,
    INCOME_KINDS,
    LABOUR_CAPACITIES,
    REQUEST_KINDS,
    TEKUN_SUPPORTS,
    Event,
    Household,
)

I64 = np.int64


def _days(value: date) -> int:
    return value.toordinal() - EPOCH


def _fen(amount: object) -> int:
    return int(amount * 100)  # type: ignore[operator]  # amounts carry at most two decimals


def batch_from_households(households: Sequence[Household]) -> Batch:
    """Columns for a list of validated households (their order is kept)."""
    hh: dict[str, list[object]] = {k: [] for k in (
        "id", "hukou", "registered_poor", "lifted_out", "tekun", "children_support_sufficient", "dibao_since",
        "dibao_since_missing", "monitored_since", "monitored_since_missing", "tekun_support",
        "tekun_support_missing", "current_benefit", "current_benefit_missing")}
    member: dict[str, list[object]] = {k: [] for k in (
        "id", "birth", "grade", "category", "certificate", "seriously_ill", "labour", "employed",
        "applies_single_person")}
    flows: dict[str, dict[str, list[object]]] = {lvl: {k: [] for k in ("kind", "fen", "per_year")}
                                                  for lvl in ("income", "expense")}
    flows["expense"] |= {"level": [], "level_missing": []}
    event: dict[str, list[object]] = {k: [] for k in ("kind", "date", "cause", "before_fen", "after_fen",
                                                      "income_missing")}
    request: dict[str, list[object]] = {k: [] for k in ("kind", "fen", "member")}
    parents: dict[str, list[int]] = {k: [] for k in ("member", "income", "expense", "event", "request")}
    for row, household in enumerate(households):
        _household_row(hh, household)
        for person in household.members:
            parents["member"].append(row)
            m_row = len(parents["member"]) - 1
            _member_row(member, person)
            for level, items in (("income", person.incomes), ("expense", person.expenses)):
                for item in items:
                    parents[level].append(m_row)
                    flows[level]["kind"].append(item.kind)
                    flows[level]["fen"].append(_fen(item.amount))
                    flows[level]["per_year"].append(item.per == "year")
                    if level == "expense":
                        flows[level]["level"].append(item.level or "none")  # type: ignore[union-attr]
                        flows[level]["level_missing"].append(item.level is None)  # type: ignore[union-attr]
        for happened in household.events:
            parents["event"].append(row)
            event["kind"].append(happened.kind)
            event["date"].append(_days(happened.date))
            event["cause"].append(happened.cause or "none")
            _event_incomes(event, happened)
        for asked in household.requests:
            parents["request"].append(row)
            request["kind"].append(asked.kind)
            request["fen"].append(_fen(asked.amount) if asked.amount is not None else 0)
            request["member"].append(asked.member or "")
    columns = {
        "household": _arrays(hh, objects=("id", "hukou")),
        "member": _arrays(member, objects=("id", "category", "certificate", "labour")),
        "income": _arrays(flows["income"], objects=("kind",)),
        "expense": _arrays(flows["expense"], objects=("kind",)),
        "event": _arrays(event, objects=("kind", "cause")),
        "request": _arrays(request, objects=("kind", "member")),
    }
    sizes = {"household": len(households), **{k: len(v) for k, v in parents.items()}}
    return Batch(sizes, {k: np.asarray(v, dtype=I64) for k, v in parents.items()}, columns)


def _event_incomes(event: dict[str, list[object]], happened: Event) -> None:
    """An income_fell event's incomes as fen per year (0 and missing for other events)."""
    missing = happened.income_before is None or happened.income_after is None
    scale = 12 if happened.per == "month" else 1
    event["before_fen"].append(0 if missing else _fen(happened.income_before) * scale)
    event["after_fen"].append(0 if missing else _fen(happened.income_after) * scale)
    event["income_missing"].append(missing)


def _household_row(hh: dict[str, list[object]], household: Household) -> None:
    status = household.status
    hh["id"].append(household.id)
    hh["hukou"].append(household.hukou)
    for flag in ("registered_poor", "lifted_out", "tekun", "children_support_sufficient"):
        hh[flag].append(getattr(status, flag))
    for name in ("dibao_since", "monitored_since"):
        value = getattr(status, name)
        hh[name].append(_days(value) if value is not None else 0)
        hh[name + "_missing"].append(value is None)
    hh["tekun_support"].append(status.tekun_support or "none")
    hh["tekun_support_missing"].append(status.tekun_support is None)
    benefit = status.current_benefit_monthly
    hh["current_benefit"].append(_fen(benefit) if benefit is not None else 0)
    hh["current_benefit_missing"].append(benefit is None)


def _member_row(member: dict[str, list[object]], person: object) -> None:
    disability = person.disability  # type: ignore[attr-defined]
    member["id"].append(person.id)  # type: ignore[attr-defined]
    member["birth"].append(_days(person.birth_date))  # type: ignore[attr-defined]
    member["grade"].append(disability.grade if disability else 0)
    member["category"].append(disability.category if disability else "none")
    member["certificate"].append(disability.certificate if disability else "none")
    for flag in ("seriously_ill", "employed", "applies_single_person"):
        member[flag].append(getattr(person, flag))
    member["labour"].append(person.labour_capacity)  # type: ignore[attr-defined]


VOCABULARIES: dict[str, Vocab] = {
    "kind": Vocab(tuple(sorted({*INCOME_KINDS, *EXPENSE_KINDS, *EVENT_KINDS, *REQUEST_KINDS}))),
    "cause": Vocab(tuple(sorted({c for causes in EVENT_CAUSES.values() for c in causes} | {"none"}))),
    "labour": Vocab(tuple(sorted(LABOUR_CAPACITIES))),
    "category": Vocab(tuple(sorted({*DISABILITY_CATEGORIES, "none"}))),
    "certificate": Vocab(tuple(sorted({*CERTIFICATES, "none"}))),
    "level": Vocab(tuple(sorted({*EDUCATION_LEVELS, "none"}))),
    "tekun_support": Vocab(tuple(sorted({*TEKUN_SUPPORTS, "none"}))),
}


def coded(values: list[object], vocab: Vocab) -> Coded | np.ndarray:
    """Codes into a vocabulary (a plain text column if some value is outside it)."""
    try:
        return Coded(np.fromiter((vocab.index[str(v)] for v in values), dtype=np.int16, count=len(values)), vocab)
    except KeyError:
        array = np.empty(len(values), dtype=object)
        array[:] = values
        return array


def _arrays(columns: dict[str, list[object]], objects: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, values in columns.items():
        if name in VOCABULARIES:
            out[name] = coded(values, VOCABULARIES[name])
        elif name in objects:
            array = np.empty(len(values), dtype=object)
            array[:] = values
            out[name] = array
        elif values and isinstance(values[0], bool):
            out[name] = np.asarray(values, dtype=bool)
        else:
            out[name] = np.asarray(values, dtype=I64)
    return out
