"""Batch arithmetic agrees with the interpreter at every size: where a 64-bit column cannot hold a value
exactly, the household goes to the interpreter (which answers it, or rejects it as ``evaluate`` would),
never a wrapped number, an OverflowError or a date past the year 9999."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from engine.base.diagnostics import DiagnosticError
from engine.batch.batch_core import RegionEvaluator
from engine.household.record import validate_household
from engine.language import types as t
from engine.runtime.library import PolicyLibrary
from engine.runtime.outputs import render

ROOT = Path(__file__).resolve().parents[2]
AS_OF = date(2021, 1, 1)
RECORDS = [json.loads(line) for line in (ROOT / "examples/caseload/hebi.jsonl").read_text().splitlines()[:30]]


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("policies") / "policies"
    shutil.copytree(ROOT / "policies" / "common", folder / "common")
    shutil.copytree(Path(__file__).parent / "bounds", folder / "bounds")
    return folder


def interpreter(evaluator: RegionEvaluator, record: Any) -> dict[str, Any] | str:
    wanted = [n for n in evaluator.outputs if n in evaluator.program.rules]
    try:
        values, _ = evaluator.program.evaluate(validate_household(record), AS_OF, wanted)
    except DiagnosticError as error:
        return error.diagnostics[0].message
    return {n: render(values[n] if n in values else evaluator.resolved.values[n], evaluator.types[n])
            for n in evaluator.household_outputs}


def held(evaluator: RegionEvaluator, answer: dict[str, Any]) -> bool:
    """Whether every value fits its output column (64-bit integers; money in 64-bit fen)."""
    limit = 2**63 - 1
    for name, value in answer.items():
        if evaluator.types[name] == t.INT and abs(value) > limit:
            return False
        if isinstance(evaluator.types[name], t.Money) and abs(Decimal(value) * 100) > limit:
            return False
    return True


def batch(evaluator: RegionEvaluator) -> tuple[list[dict[str, Any]], list[str]]:
    answer = evaluator.evaluate([validate_household(r) for r in RECORDS])
    rows = [{k: (str(v) if not isinstance(v, (bool, int)) else v) if not isinstance(v, date) else v.isoformat()
             for k, v in row.items() if k != "id"} for row in answer.household.to_pylist()]
    return rows, [r.reason for r in answer.rejected]


@pytest.mark.parametrize("supplied", [
    {"bounds.count": "9000000000000000000"},  # a sum of two of them is past 2^63
    {"bounds.count": "-9223372036854775807"},
    {"bounds.amount": "12345678901234567890123456789"},  # a 29-digit amount
    {"bounds.rate": "0.1234567890123456789012345"},  # a rate with 25 decimals
    {"bounds.months": "100000"},  # past the year 9999
    {"bounds.months": "7980"},  # the year 10001: date(…) is not a date
    {"bounds.months": "-24260"},  # before the year 1
    {},
])
def test_the_batch_answers_what_the_interpreter_answers(tree: Path, supplied: dict[str, str]) -> None:
    evaluator = RegionEvaluator(PolicyLibrary.open(tree), "bounds", AS_OF, supplied)
    expected = [interpreter(evaluator, r) for r in RECORDS]
    rows, reasons = batch(evaluator)
    assert rows == [e for e in expected if isinstance(e, dict) and held(evaluator, e)]
    assert len(rows) + len(reasons) == len(RECORDS)
    unheld = sum(1 for e in expected if isinstance(e, dict) and not held(evaluator, e))
    assert unheld == sum("64-bit" in r for r in reasons)


def test_a_value_no_column_holds_is_a_rejection_naming_the_output(tree: Path) -> None:
    evaluator = RegionEvaluator(PolicyLibrary.open(tree), "bounds", AS_OF, {"bounds.count": "9000000000000000000"})
    rows, reasons = batch(evaluator)
    assert not rows
    assert all(r.startswith("bounds.count_sum: 180000000000000000") and "64-bit" in r for r in reasons)


def test_the_command_reports_a_huge_supplied_value_without_a_traceback(tree: Path, tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(json.dumps(dict(r, hukou="bounds")) for r in RECORDS[:3]) + "\n")
    done = subprocess.run([sys.executable, "-m", "engine.cli", "batch", "--policies", str(tree), "--region", "bounds",
                           "--date", "2021-01-01", "--set", "bounds.amount=12345678901234567890123456789",
                           str(source), "--out", str(tmp_path / "x.jsonl")], capture_output=True, text=True,
                          cwd=ROOT, check=False, timeout=300)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    errors = [json.loads(line) for line in (tmp_path / "x.jsonl.errors.jsonl").read_text().splitlines()]
    assert len(errors) == 3 and all("bounds.amount_sum" in e["reason"] for e in errors)
