"""The batch of the households kept: children renumbered with their households, events by date."""

from __future__ import annotations

import numpy as np

from engine.batch.caseload import _events_by_date, batch_of, caseload_from_households
from engine.batch.column_checks import check
from engine.household.record import validate_household


def _household(number: int, event_dates: list[str]) -> dict[str, object]:
    return {"id": f"h{number}", "hukou": "hebi",
            "members": [{"id": "p1", "birth_date": "1960-01-01", "labour_capacity": "none", "incomes": [
                {"kind": "wages", "amount": str(100 * number), "per": "month"}]}],
            "events": [{"kind": "income_fell", "date": day, "income_before": "900", "income_after": "100",
                        "per": "month"} for day in event_dates]}


def test_events_already_in_order_are_not_sorted_again_and_others_are_by_household_then_date() -> None:
    assert _events_by_date(np.array([0, 0, 1, 2]), np.array([5, 9, 1, 1])) is None
    assert np.array_equal(_events_by_date(np.array([0, 0, 1]), np.array([9, 5, 1])), [1, 0, 2])
    assert np.array_equal(_events_by_date(np.array([1, 0]), np.array([1, 9])), [1, 0])
    assert _events_by_date(np.array([0, 0, 0]), np.array([3, 3, 3])) is None  # one day: the order kept


def test_a_batch_without_some_households_renumbers_their_children_and_keeps_the_others_values() -> None:
    records = [_household(n, ["2021-03-01", "2021-01-01"] if n == 2 else ["2021-02-01"]) for n in range(4)]
    caseload = caseload_from_households([validate_household(r) for r in records], [1, 2, 3, 4])
    converted = check(caseload).converted
    keep = np.array([True, False, True, True])
    batch = batch_of(converted, keep)
    assert batch.sizes == {**batch.sizes, "household": 3, "member": 3, "income": 3, "event": 4}
    assert batch.parent["member"].tolist() == [0, 1, 2]
    assert batch.parent["event"].tolist() == [0, 1, 1, 2]
    assert batch.columns["income"]["amount"].tolist() == [0, 20000, 30000]
    dates = batch.columns["event"]["date"].tolist()
    assert dates[1] < dates[2]  # household h2's events by date
    whole = batch_of(converted, np.ones(4, dtype=bool))
    assert whole.columns["income"]["amount"].tolist() == [0, 10000, 20000, 30000]
