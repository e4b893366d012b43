"""A small fuzzing run with the test suite: 300 inputs across every category, fixed seed.

The full run is ``python bench/robustness.py --count 200000`` (figures in ROBUSTNESS.md).
Any failure (and any value of the wrong type) fails the suite with its input, how to replay
it, and the regression test in ``test_found_by_fuzzing.py`` that pins it when there is one.
"""

from __future__ import annotations

import importlib.util
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
COUNT = 300
SEED = 20240607


def _bench() -> ModuleType:
    name = "bench_robustness"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, ROOT / "bench" / "robustness.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


# Failures found before, each pinned by a regression test (test_found_by_fuzzing.py).
KNOWN: list[tuple[str, Callable[[Any], bool]]] = [
    ("test_integer_literal_of_4301_digits… / test_duration_of_4301_digits… / test_a_date_in_a_year…",
     lambda f: "Exceeds the limit (4300 digits)" in f.message),
    ("test_durations_compare / test_the_largest_of_several_durations",
     lambda f: "not supported between instances of 'Duration'" in f.message),
    ("test_durations_add / test_durations_subtract",
     lambda f: f.signature.startswith(("TypeError in exact.add", "TypeError in exact.sub"))),
    ("test_a_huge_rate_renders", lambda f: f.signature.startswith("InvalidOperation in outputs.")),
    ("test_an_aggregate_default_of_another_type",
     lambda f: f.signature.startswith("TypeError in builtins.") and "cannot be interpreted as an integer" in f.message),
    ("test_a_record_full_of_errors_is_validated_within_a_second",
     lambda f: f.category == "household" and f.kind == "slow"),
    ("test_an_aggregate_default_of_another_enumeration / test_text_and_a_literal_join_as_text",
     lambda f: f.kind == "wrong type: checked enum, got str"),
    ("test_round_of_an_int_is_what_its_type_says / test_an_aggregate_default_of_another_type",
     lambda f: f.kind == "wrong type: checked int, got Decimal"),
]


@pytest.fixture(scope="module")
def smoke() -> tuple[Any, float]:
    start = time.perf_counter()
    report = _bench().run(COUNT, SEED, workers=1)
    return report, time.perf_counter() - start


def test_smoke_run_is_quick_and_covers_every_category(smoke: tuple[Any, float]) -> None:
    report, seconds = smoke
    assert seconds < 60
    assert report.total.tried == COUNT
    for name, tally in report.tallies.items():
        assert tally.tried > 0, name
        # A handful each here, or (policy: about 15 mutated files, a fifth of which check clean) too few to
        # be sure of an acceptance: the full run counts them.
        if name in ("trees", "chains", "growth", "markup", "policy"):
            assert tally.rejected + tally.accepted == tally.tried, name
            continue
        assert tally.rejected > 0, name
        if name != "cli":
            assert tally.accepted > 0, name


def test_smoke_run_has_no_failures(smoke: tuple[Any, float]) -> None:
    report, _seconds = smoke
    lines = []
    for f in report.failures:
        known = [test for test, match in KNOWN if match(f)]
        lines.append(f"{f.category}:{f.index} {f.kind} {f.signature}: {f.message}\n    input: {f.input[:300]}\n"
                     f"    replay: python bench/robustness.py --seed {SEED} --replay {f.category}:{f.index}"
                     + (f"\n    pinned by: {known[0]}" if known else "\n    new"))
    assert not lines, "failures and values of the wrong type:\n" + "\n".join(lines)
