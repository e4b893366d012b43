"""The fast path of validate_household accepts only what the full validator accepts, identically."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.household import record as h
from engine.household.strategies import households

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = json.loads((ROOT / "examples" / "households" / "contract_example.json").read_text())

JUNK = st.one_of(st.none(), st.booleans(), st.integers(-5, 10**13), st.text(max_size=12),
                 st.sampled_from(["", " ", "2021-02-29", "2021-13-01", "1899-12-31", "0.001", "-1", "1e3", "007",
                                  "wages", "none", "month", "p1", "p9", "HB-1"]),
                 st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += paths(item, (*prefix, index))
    return found


def mutated(record: dict[str, Any], path: tuple[Any, ...], junk: Any, drop: bool) -> Any:
    changed = copy.deepcopy(record)
    if not path:
        return junk
    parent = changed
    for step in path[:-1]:
        parent = parent[step]
    if drop and isinstance(parent, dict):
        parent.pop(path[-1])
    else:
        parent[path[-1]] = junk
    return changed


def agree(record: Any) -> None:
    if h._plainly_valid(record):
        assert h._problems(record) == [], record
        assert h.validate_household(record) == h._household(record)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(households())
def test_generated_households_agree(record: dict[str, Any]) -> None:
    agree(record)
    assert h._plainly_valid(record)  # the generator writes records the plain way


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(households(), st.data(), JUNK, st.booleans())
def test_mutated_households_agree(record: dict[str, Any], data: st.DataObject, junk: Any, drop: bool) -> None:
    path = data.draw(st.sampled_from(paths(record)))
    agree(mutated(record, path, junk, drop))


def test_the_contract_example_takes_the_fast_path() -> None:
    assert h._plainly_valid(EXAMPLE)
    assert h.validate_household(EXAMPLE) == h._household(EXAMPLE)
