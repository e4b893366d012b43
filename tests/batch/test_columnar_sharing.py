"""The columnar program's economies hold to the interpreter: a subexpression written more than once is computed
once per batch, and an enumeration chosen by a table of text constants is a column of codes."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from engine.batch.compiler import Run
from engine.batch.run import RegionEvaluator
from engine.household.record import validate_household
from engine.runtime.library import PolicyLibrary
from engine.tools.consistency import stand_ins

LIBRARY = PolicyLibrary.open()
CASELOAD = Path(__file__).resolve().parents[2] / "examples" / "caseload"


def evaluator_and_batch(region: str, as_of: date) -> tuple[RegionEvaluator, Any, list[Any]]:
    from engine.batch.caseload import batch_of, caseload_from_households
    from engine.batch.column_checks import check

    households = [validate_household(json.loads(line))
                  for line in (CASELOAD / f"{region}.jsonl").read_text().splitlines()[:400]]
    checked = check(caseload_from_households(households, list(range(1, len(households) + 1))))
    assert not checked.bad.any()
    evaluator = RegionEvaluator(LIBRARY, region, as_of, stand_ins(LIBRARY.region(region).chain))
    return evaluator, batch_of(checked.converted, ~checked.bad), households


def interpreted(evaluator: RegionEvaluator, households: list[Any], name: str) -> list[Any]:
    return [evaluator.program.evaluate(h, evaluator.as_of, [name])[0][name] for h in households]


def test_a_subexpression_written_more_than_once_is_computed_once_per_batch() -> None:
    evaluator, batch, households = evaluator_and_batch("dongtai", date(2023, 6, 1))
    program = evaluator.columnar
    repeated = [code for code in program.shared_codes.values() if code.uses > 1]
    assert repeated  # months_between(monitoring.identified_on, as_of), written twice in one rule, and others
    calls: dict[Any, int] = {}
    for code in repeated:
        def counted(run: Run, inner: Any = code.code, key: Any = code.key) -> Any:
            calls[key] = calls.get(key, 0) + 1
            return inner(run)
        code.code = counted
    wanted = list(program.code)
    computed = program.run(batch, evaluator.as_of, wanted)
    assert calls and set(calls.values()) == {1}
    for name in ("monitoring.half_years_after_first", "monitoring.next_assessment_on"):
        column = computed[name]
        good = np.flatnonzero(~np.broadcast_to(column.bad, (len(households),)))  # the rows with an identification day
        assert len(good) > 5
        values = np.broadcast_to(column.data, (len(households),))[good]
        expected = interpreted(evaluator, [households[i] for i in good], name)
        if name.endswith("_on"):
            assert [date.fromordinal(int(d) + date(1970, 1, 1).toordinal()) for d in values] == expected
        else:
            assert [int(d) for d in values] == expected


def test_an_enumeration_chosen_by_a_table_is_coded_and_read_by_its_codes() -> None:
    evaluator, batch, households = evaluator_and_batch("inner_mongolia", date(2021, 9, 30))
    computed = evaluator.columnar.run(batch, evaluator.as_of, ["taper.band", "taper.applies", "taper.months_max"])
    band = computed["taper.band"]
    assert band.kind == "cat"  # codes of the enumeration's words, not text
    assert np.asarray(band.data).dtype == np.int16
    words = band.den.array[np.broadcast_to(band.data, (len(households),))]
    assert list(words) == interpreted(evaluator, households, "taper.band")
    assert len(set(words)) > 1
    applies = np.broadcast_to(computed["taper.applies"].data, (len(households),))
    assert [bool(v) for v in applies] == interpreted(evaluator, households, "taper.applies")
    months = np.broadcast_to(computed["taper.months_max"].data, (len(households),))
    assert [int(v) for v in months] == interpreted(evaluator, households, "taper.months_max")
