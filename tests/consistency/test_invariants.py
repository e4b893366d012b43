"""Invariants: violations are found, shrunk and reported; bad invariants are located errors.

That the invariants of policies/invariants.yaml hold in every region is checked by the
pytest plugin (``engine/tools/pytest_plugin.py``), which collects them as one item per region.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from engine.base.diagnostics import DiagnosticError
from engine.runtime.library import PolicyLibrary
from engine.tools.consistency import bundled_population, check_all, check_region, cross_region_report, load_invariants

ROOT = Path(__file__).resolve().parents[2]
LIBRARY = PolicyLibrary.open(ROOT / "policies")
INVARIANTS = ROOT / "policies" / "invariants.yaml"


def test_invariants_apply_only_where_their_outputs_exist() -> None:
    (hebi,) = check_all(LIBRARY, INVARIANTS, examples=2, regions=["hebi"])
    assert "taper-ends-after-it-starts" in hebi.skipped  # Hebi defines no taper dates
    assert "benefit-never-negative" in hebi.checked


MONOTONE = """
invariants:
  benefit-never-rises-with-income:
    says: Raising an income never raises the benefit (stated without the single-person exception).
    kind: metamorphic
    change: raise_income
    expr: after.dibao.benefit_monthly <= before.dibao.benefit_monthly
"""


def test_a_violation_is_found_and_reported_with_its_household(tmp_path: Path) -> None:
    """Single-person coverage's cliff: the plain monotonicity invariant fails in Inner Mongolia."""
    path = tmp_path / "invariants.yaml"
    path.write_text(MONOTONE)
    report = check_region(LIBRARY, "inner_mongolia", load_invariants(path), examples=10,
                          population=_cliff_households())
    (violation,) = report.violations
    assert violation.invariant == "benefit-never-rises-with-income"
    before = violation.values["before.dibao.benefit_monthly"]
    after = violation.values["after.dibao.benefit_monthly"]
    assert after > before
    assert any(m.get("applies_single_person") for m in violation.household["members"])


def _cliff_households() -> list[dict[str, object]]:
    """A severely disabled member applying alone, beside an earner whose wages step through every band."""
    return [{"id": f"CLIFF-{wages}", "hukou": "inner_mongolia", "members": [
        {"id": "p1", "birth_date": "1964-04-05", "labour_capacity": "none", "applies_single_person": True,
         "disability": {"grade": 1, "category": "physical", "certificate": "second_generation"}},
        {"id": "p2", "birth_date": "1970-01-25", "labour_capacity": "full",
         "incomes": [{"kind": "wages", "amount": str(wages), "per": "month"}]}]} for wages in range(0, 3000, 40)]


def test_a_bad_invariant_is_a_located_error(tmp_path: Path) -> None:
    path = tmp_path / "invariants.yaml"
    path.write_text("invariants:\n  broken:\n    says: x\n    expr: dibao.benefit_monthly >=\n")
    with pytest.raises(DiagnosticError) as raised:
        load_invariants(path)
    (problem,) = raised.value.diagnostics
    assert problem.code == "E-SYNTAX" and problem.span is not None and problem.span.line == 4


def test_an_ill_typed_invariant_is_reported_for_the_region(tmp_path: Path) -> None:
    path = tmp_path / "invariants.yaml"
    path.write_text("invariants:\n  sum:\n    says: x\n    expr: dibao.benefit_monthly + 1\n")
    report = check_region(LIBRARY, "hebi", load_invariants(path), examples=1)
    assert [d.code for d in report.problems] == ["E-TYPE"]


def test_the_cross_region_report_attributes_disagreements() -> None:
    report = cross_region_report(LIBRARY, bundled_population(ROOT, 40), ["hebi", "suining"])
    (pair,) = report["pairs"]
    assert pair["regions"] == ["hebi", "suining"] and pair["households"] == 200
    assert pair["eligibility_disagreements"] > 0
    assert "dibao.standard_annual" in pair["attributed_to"]  # 4500 (Hebi 2020) against 3300 (Suining 2017)
    assert report["regions"]["suining"]["date"] == "2017-12-31"


def test_the_consistency_command() -> None:
    done = subprocess.run([sys.executable, "-m", "engine.cli", "consistency", "--region", "suining", "--examples",
                           "5", "--population", "10", "--json"], capture_output=True, text=True, cwd=ROOT,
                          check=False)
    assert done.returncode == 0, done.stderr
    (region,) = json.loads(done.stdout)["regions"]
    assert region["region"] == "suining" and not region["violations"] and region["checked"]
