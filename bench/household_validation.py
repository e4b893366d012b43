"""Per-record validation time: ``validate_household`` on records the service and the batch meet.

Run ``python bench/household_validation.py``. Three records: the contract's example (one
member), a four-member household with incomes, expenses and events, and a record with one
mistake (the full validator's path, which names the problem). Each figure is the best mean
over five rounds of processor time (this process only, so other work on a shared machine
weighs less). The figures go into BENCHMARKS.md by hand, with the machine; no test
asserts them.
"""

from __future__ import annotations

import copy
import json
import platform
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.base.diagnostics import DiagnosticError  # noqa: E402
from engine.household.record import validate_household  # noqa: E402

EXAMPLE = ROOT / "examples" / "households" / "contract_example.json"


def _family() -> dict[str, Any]:
    member = {"id": "m", "birth_date": "1980-02-29", "labour_capacity": "partial", "employed": True,
              "incomes": [{"kind": "wages", "amount": "1200.50", "per": "month"},
                          {"kind": "land_compensation", "amount": "3000", "per": "year"}],
              "expenses": [{"kind": "education", "amount": "800", "per": "year", "level": "high_school"},
                           {"kind": "medical", "amount": "150", "per": "month"}]}
    members = [{**copy.deepcopy(member), "id": f"m{n}"} for n in range(4)]
    members[3]["disability"] = {"grade": 2, "category": "physical", "certificate": "second_generation"}
    return {"id": "family", "hukou": "hebi", "members": members,
            "status": {"registered_poor": True, "dibao_since": "2016-01-01"},
            "events": [{"kind": "shock", "date": "2017-03-01", "cause": "illness"},
                       {"kind": "monitoring_application", "date": "2017-04-01"}],
            "requests": [{"kind": "temporary_assistance", "amount": "500", "member": "m1"}]}


def best_of(function: Any, repeat: int = 5, number: int = 2_000) -> float:
    rounds = []
    for _ in range(repeat):
        start = time.process_time()
        for _ in range(number):
            function()
        rounds.append((time.process_time() - start) / number)
    return min(rounds)


def _rejected(record: dict[str, Any]) -> None:
    try:
        validate_household(record)
    except DiagnosticError:
        return
    raise AssertionError("the broken record was accepted")


def main() -> None:
    example = json.loads(EXAMPLE.read_text(encoding="utf-8"), parse_float=Decimal)
    family = _family()
    broken = copy.deepcopy(family)
    broken["members"][2]["incomes"][0]["amount"] = "-1"
    print(f"machine: {platform.machine()}, {platform.python_implementation()} {platform.python_version()}")
    for label, call in (("contract example (1 member), valid", lambda: validate_household(example)),
                        ("family (4 members, 8 incomes, 8 expenses, 2 events), valid",
                         lambda: validate_household(family)),
                        ("family with one negative amount (named by the full validator)",
                         lambda: _rejected(broken))):
        print(f"{label}: {best_of(call) * 1e6:.1f} µs per record")


if __name__ == "__main__":
    main()
