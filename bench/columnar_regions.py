"""The columnar evaluation alone, every output of each region: microseconds per household.

``ColumnarProgram.run`` for every output (and availability) of each region on a caseload already
validated and laid out as a batch (the generated caseload of ``bench/batch.py``'s region table,
seed 5), best of ``--repeat`` runs. ``--root`` names another checkout of the project whose engine
and policies are measured instead (the same data), so that two versions can be run alternately
side by side:

    python bench/columnar_regions.py                       # this checkout
    python bench/columnar_regions.py --root ../other-checkout
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", type=Path, default=HERE, help="the checkout to measure (default: this one)")
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--tables", type=Path, help="where the generated caseload is kept (default: a temp folder)")
    parser.add_argument("regions", nargs="*", help="regions to measure (default: all)")
    args = parser.parse_args()
    root = args.root.resolve()
    sys.path[:0] = [str(root), str(HERE / "examples")]

    import numpy as np
    from generate_caseload import generate

    from engine.batch.batch_core import RegionEvaluator
    from engine.batch.caseload import batch_of
    from engine.batch.column_checks import check
    from engine.batch.tables import table_chunks, write_tables
    from engine.runtime.library import PolicyLibrary
    from engine.tools.consistency import stand_ins

    tables = args.tables or Path(tempfile.gettempdir()) / f"dibao-regions-{args.size}"
    if not tables.exists():
        write_tables(generate(args.size, seed=5), tables)
    ((loaded, _),) = list(table_chunks(tables, args.size + 1))
    checked = check(loaded)
    batch = batch_of(checked.converted, ~checked.bad)
    library = PolicyLibrary.open(root / "policies")
    figures = []
    for region in args.regions or list(library.regions):
        chain = library.region(region).chain
        day = min(max(date(2021, 9, 30), chain.span_from), chain.span_to)
        evaluator = RegionEvaluator(library, region, day, stand_ins(chain))
        program = evaluator.columnar
        wanted = [n for n in [*evaluator.outputs, *evaluator.availability.values()] if n in program.code]
        program.run(batch, evaluator.as_of, wanted)
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            program.run(batch, evaluator.as_of, wanted)
            times.append(time.perf_counter() - start)
        figures.append(f"{region} {min(times) * 1e6 / args.size:.2f}")
    print(f"{root.name}: " + ", ".join(figures) + f" µs per household (best of {args.repeat}, "
          f"{int(np.sum(~checked.bad)):,} households)")


if __name__ == "__main__":
    main()
