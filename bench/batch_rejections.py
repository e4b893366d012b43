"""Whole-answer speed of one region in memory when some households are rejected.

Generated households (``examples/generate_caseload.py``, seed 5), a share of them broken in
one of four common ways (a date that is not a real day, a labour capacity not among the
allowed values, a negative income, a birth date before 1900), written as Parquet tables
and read into memory; then ``RegionEvaluator.answer`` (validation, the rejections' words,
evaluation, the answer tables) timed twice after a warm-up. Prints households per second of
wall time and per CPU-second, rows answered and records rejected.

    python bench/batch_rejections.py 20000 inner_mongolia 0.08
"""

from __future__ import annotations

import os
import random
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(os.environ.get("DIBAO_ROOT", Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "examples"))

from generate_caseload import generate  # noqa: E402

from engine.batch.batch_core import RegionEvaluator  # noqa: E402
from engine.batch.tables import table_chunks, write_tables  # noqa: E402
from engine.runtime.library import PolicyLibrary  # noqa: E402
from engine.tools.consistency import stand_ins  # noqa: E402


def broken_tables(size: int, share: float) -> Path:
    folder = Path(tempfile.gettempdir()) / f"dibao-bench-rejections-{size}-{share}"
    if folder.exists():
        return folder
    records = generate(size, seed=5)
    rng = random.Random(3)
    for record in records:
        if rng.random() < share:
            kind, member = rng.randrange(4), record["members"][0]
            if kind == 0:
                member["birth_date"] = "1950-02-30"
            elif kind == 1:
                member["labour_capacity"] = "some"
            elif kind == 2 and member.get("incomes"):
                member["incomes"][0]["amount"] = "-5"
            else:
                member["birth_date"] = "1850-01-01"
    write_tables(records, folder)
    return folder


def main() -> None:
    size, region, share = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
    ((loaded, _),) = list(table_chunks(broken_tables(size, share), size + 1))
    library = PolicyLibrary.open(ROOT / "policies")
    chain = library.region(region).chain
    day = min(max(date(2021, 9, 30), chain.span_from), chain.span_to)
    evaluator = RegionEvaluator(library, region, day, stand_ins(chain))
    evaluator.answer(loaded)
    for _ in range(2):
        wall, cpu = time.perf_counter(), time.process_time()
        answer = evaluator.answer(loaded)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        print(f"{region} {size:,} households, {share:.0%} broken: {size / wall:,.0f}/s wall, {size / cpu:,.0f} per "
              f"CPU-second; {answer.household.num_rows:,} answered, {len(answer.rejected):,} rejected")


if __name__ == "__main__":
    main()
