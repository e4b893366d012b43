"""The batch benchmark's own engine path runs on this checkout and agrees with the rule written by hand in NumPy
(a benchmark that fails to import its engine would report no figure for it)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_benchmark_rule_runs_and_agrees_with_numpy() -> None:
    run = subprocess.run([sys.executable, str(ROOT / "bench" / "batch.py"), "--one", "dibao", "2000"],
                         capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert "error" not in result, result
    assert result["agrees_with_numpy"] is True
