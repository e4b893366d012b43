"""Batch benchmarks: the same rule on the same households, for every engine, in one run.

The rule (bench/hebi_h5/policy.yaml): Hebi's countable income with the H5 exclusions,
per-capita income, eligibility and the monthly benefit. Engines:

- dibao, library batch on in-memory columns (the compiled columnar program);
- dibao, end to end from Parquet tables (``dibao batch``: read, validate, evaluate, write);
- OpenFisca (openfisca-core from PyPI, in its own environment): build + calculate, vectorised;
- a hand-written NumPy version, exact in integer fen (the practical limit).

Each (engine, size) runs in a fresh process, which reports its seconds and its peak
resident memory; answers are compared (dibao and NumPy must agree to the fen). Also the
throughput of every full region (all outputs). Results go to BENCHMARKS.md, below the
figures of ``bench/run.py``.

    python bench/batch.py                 # 1e4, 1e5, 1e6 (+1e7 for dibao and NumPy)
    python bench/batch.py --sizes 10000   # a quick run
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.consistency import stand_ins  # noqa: E402

KINDS = ("wages", "business", "agriculture", "property", "private_transfer", "dividends", "industry_support",
         "basic_pension_base", "basic_pension_other", "honour_allowance", "survivor_compensation",
         "preferential_payment", "student_living_allowance", "student_hardship_subsidy", "land_compensation",
         "other")
WEIGHTS = np.array([30, 6, 30, 2, 6, 3, 3, 12, 3, 1, 1, 1, 2, 1, 1, 2], dtype=float)
EXCLUDED = [KINDS.index(k) for k in ("honour_allowance", "survivor_compensation", "preferential_payment",
                                     "student_living_allowance", "student_hardship_subsidy", "basic_pension_base")]
AS_OF = date(2017, 10, 1)
STANDARD_FEN = 321_000  # 3210 yuan a year, in force on AS_OF
OPENFISCA_VENV = ROOT / "bench" / ".venv-openfisca"


# --- data ----------------------------------------------------------------------------------------


def synthetic(households: int, seed: int = 7) -> dict[str, np.ndarray]:
    """Households, their members and incomes as columns (kind codes, amounts in fen)."""
    rng = np.random.default_rng(seed)
    members_per = rng.integers(1, 6, households)
    member_household = np.repeat(np.arange(households, dtype=np.int64), members_per)
    incomes_per = rng.choice(4, len(member_household), p=[0.3, 0.4, 0.22, 0.08])
    income_member = np.repeat(np.arange(len(member_household), dtype=np.int64), incomes_per)
    count = len(income_member)
    per_year = rng.random(count) < 0.5
    fen = np.where(per_year, rng.integers(0, 900_000, count), rng.integers(0, 90_000, count)).astype(np.int64)
    kind = rng.choice(len(KINDS), count, p=WEIGHTS / WEIGHTS.sum()).astype(np.int16)
    return {"households": np.asarray(households), "member_household": member_household,
            "income_member": income_member, "kind": kind, "fen": fen, "per_year": per_year}


# --- engines (each returns benefits in fen, or a checksum) ------------------------------------------


def numpy_rule(data: dict[str, np.ndarray]) -> np.ndarray:
    """By hand: yearly fen per income (exact), summed per household; benefit rounded half up."""
    households = int(data["households"])
    yearly = np.where(data["per_year"], data["fen"], data["fen"] * 12)
    yearly = np.where(np.isin(data["kind"], EXCLUDED), 0, yearly)
    household_of_income = data["member_household"][data["income_member"]]
    totals = np.zeros(households + 1, dtype=np.int64)
    order_sums = np.concatenate([[0], np.cumsum(yearly)])
    counts = np.bincount(household_of_income, minlength=households)
    ends = np.cumsum(counts)
    totals = order_sums[ends] - order_sums[ends - counts]
    size = np.bincount(data["member_household"], minlength=households)
    gap = STANDARD_FEN * size - totals  # twelve times the monthly benefit, in fen
    return np.where(gap > 0, (2 * gap + 12) // 24, 0)


def dibao_batch(data: dict[str, np.ndarray]) -> tuple[Any, Any]:
    """The columnar program and a batch of columns for the data (built outside the timing)."""
    from engine.columnar import Batch, ColumnarProgram
    from engine.library import PolicyLibrary

    library = PolicyLibrary.open(bench_tree())
    resolved = library.resolve("hebi_h5", AS_OF)
    program = library.program(resolved)
    columnar = ColumnarProgram(program.rules, resolved.values, library.region("hebi_h5").result.node_types)
    households = int(data["households"])
    from engine.caseload import VOCABULARIES
    from engine.columnar import Coded

    vocab = VOCABULARIES["kind"]
    to_code = np.array([vocab.index[k] for k in KINDS], dtype=np.int16)
    batch = Batch(
        sizes={"household": households, "member": len(data["member_household"]), "income": len(data["kind"]),
               "expense": 0, "event": 0, "request": 0},
        parent={"member": data["member_household"], "income": data["income_member"],
                "expense": np.zeros(0, np.int64), "event": np.zeros(0, np.int64), "request": np.zeros(0, np.int64)},
        columns={"household": {}, "member": {},
                 "income": {"kind": Coded(to_code[data["kind"]], vocab), "fen": data["fen"],
                            "per_year": data["per_year"]}},
    )
    return columnar, batch


def dibao_rule(columnar: Any, batch: Any) -> np.ndarray:
    from engine.columnar import to_fen

    benefit = columnar.run(batch, AS_OF, ["dibao.benefit_monthly"])["dibao.benefit_monthly"]
    fen, bad = to_fen(benefit)
    assert not np.any(bad)
    return np.broadcast_to(fen, (batch.sizes["household"],))


def bench_tree() -> Path:
    """The benchmark policy tree: the project's common layer and the benchmark rule."""
    tree = Path(tempfile.gettempdir()) / "dibao-bench-policies"
    if tree.exists():
        shutil.rmtree(tree)
    shutil.copytree(ROOT / "policies" / "common", tree / "common")
    shutil.copytree(ROOT / "bench" / "hebi_h5", tree / "hebi_h5")
    return tree


# --- one measurement per process ---------------------------------------------------------------------


def best(function: Any, repeat: int) -> tuple[float, Any]:
    """The best of ``repeat`` timed calls (the first warms caches), and the last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return min(times), result


def one(engine: str, size: int) -> dict[str, Any]:
    data = synthetic(size)
    baseline = peak_mb()
    repeat = 3 if size <= 1_000_000 else 2
    if engine == "numpy":
        seconds, fen = best(lambda: numpy_rule(data), repeat)
        return {"seconds": seconds, "checksum": int(fen.sum()), "peak_mb": peak_mb(), "data_mb": baseline}
    if engine == "dibao":
        columnar, batch = dibao_batch(data)
        seconds, fen = best(lambda: dibao_rule(columnar, batch), repeat)
        agree = bool(np.array_equal(fen, numpy_rule(data)))
        return {"seconds": seconds, "checksum": int(fen.sum()), "peak_mb": peak_mb(), "data_mb": baseline,
                "agrees_with_numpy": agree}
    raise SystemExit(f"unknown engine {engine}")


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(engine: str, size: int) -> dict[str, Any]:
    done = subprocess.run([sys.executable, __file__, "--one", engine, str(size)], capture_output=True, text=True,
                          check=False, cwd=ROOT)
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "failed"}
    return json.loads(done.stdout)


def openfisca(size: int) -> dict[str, Any]:
    python = OPENFISCA_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(OPENFISCA_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "openfisca-core==46.0.1"], check=True)
    data = synthetic(size)
    monthly = np.where(data["per_year"], data["fen"] / 1200, data["fen"] / 100)  # OpenFisca works in floats
    by_kind = np.zeros((len(KINDS), len(data["member_household"])), dtype=np.float32)
    np.add.at(by_kind, (data["kind"], data["income_member"]), monthly)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "data.npz"
        np.savez(path, households=data["households"], member_household=data["member_household"],
                 monthly_by_kind=by_kind)
        script = f"""
import json, resource, runpy, sys
sys.argv = ["openfisca_model", {str(path)!r}]
runpy.run_path({str(ROOT / "bench" / "openfisca_model.py")!r}, run_name="__main__")
print(json.dumps({{"peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""
        done = subprocess.run([str(python), "-c", script], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "failed"}
    lines = done.stdout.strip().splitlines()
    result = json.loads(lines[0]) | json.loads(lines[1])
    exact = numpy_rule(data).sum() / 100
    result["total_vs_exact_yuan"] = round(result["total"] - float(exact), 2)
    return result


def end_to_end(size: int) -> dict[str, Any]:
    """dibao batch from Parquet tables to Parquet, as a user runs it (records validated one by one)."""
    sys.path.insert(0, str(ROOT / "examples"))
    from generate_caseload import generate

    from engine.tables import write_tables

    records = generate(size, seed=11)
    for record in records:
        record["hukou"] = "hebi"
    with tempfile.TemporaryDirectory() as folder:
        tables = Path(folder) / "tables"
        write_tables(records, tables, "parquet")
        dibao = Path(sys.executable).parent / "dibao"
        start = time.perf_counter()
        done = subprocess.run([str(dibao), "batch", "--policies", str(bench_tree()), "--region", "hebi_h5",
                               "--date", AS_OF.isoformat(), str(tables), "--out", str(Path(folder) / "out.parquet")],
                              capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - start
    if done.returncode != 0:
        return {"error": done.stderr.strip()}
    return {"seconds": seconds}


def full_regions(size: int) -> list[tuple[str, str, float]]:
    """Households per second for every region, all outputs (columnar with interpreter fallback)."""
    sys.path.insert(0, str(ROOT / "examples"))
    from generate_caseload import generate

    from engine.batch import RegionEvaluator
    from engine.household import validate_household
    from engine.library import PolicyLibrary

    library = PolicyLibrary.open(ROOT / "policies")
    households = [validate_household(r) for r in generate(size, seed=5)]
    figures = []
    for region in library.regions:
        chain = library.region(region).chain
        day = min(max(date(2021, 9, 30), chain.span_from), chain.span_to)
        supplied = stand_ins(chain)
        evaluator = RegionEvaluator(library, region, day, supplied)
        start = time.perf_counter()
        chunk = evaluator.evaluate(households, list(range(1, size + 1)))
        seconds = time.perf_counter() - start
        interpreted = ", ".join(evaluator.interpreted_outputs) or "none"
        figures.append((f"{region} on {day} ({len(evaluator.outputs)} outputs; by the interpreter: {interpreted}; "
                        f"{len(chunk.rejected)} rejected)", f"{size / seconds:,.0f} households/s", seconds))
    return figures




# --- report ----------------------------------------------------------------------------------------


def run(sizes: list[int], big: int | None) -> str:
    rows = []
    for size in sizes + ([big] if big else []):
        ours = measure("dibao", size)
        hand = measure("numpy", size)
        fisca = openfisca(size) if size <= 1_000_000 else {"error": "not run at this size"}
        e2e = end_to_end(size) if size <= 100_000 else {"error": "not run at this size"}
        rows.append((size, ours, hand, fisca, e2e))
        print(size, ours, hand, fisca, e2e, flush=True)
    return report(rows)


def rate(size: int, result: dict[str, Any]) -> str:
    if "seconds" not in result:
        return f"— ({result.get('error', '')})"
    return f"{size / result['seconds']:,.0f}/s ({result['seconds']:.3f} s)"


def report(rows: list[tuple[int, dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Any]]]) -> str:
    lines = [
        "## Batch: the benchmark rule (bench/hebi_h5), households per second",
        "",
        "Measured by `make bench` (`python bench/batch.py`). Each figure is one fresh process: data made",
        "in memory, then the engine timed; peak is the process's peak resident memory (data included).",
        "OpenFisca is openfisca-core 46.0.1 from PyPI (build + calculate, float32 inputs as OpenFisca uses);",
        "NumPy is the rule written by hand in exact integer fen. End to end reads Parquet tables, validates each",
        "record, evaluates and writes Parquet, as `dibao batch` does (start-up included).",
        "",
        "| households | dibao (columns in memory) | peak MB | NumPy by hand | peak MB | dibao / NumPy | OpenFisca "
        "| peak MB | dibao / OpenFisca | dibao end to end (Parquet) | agrees with NumPy |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for size, ours, hand, fisca, e2e in rows:
        ratio_hand = f"{hand['seconds'] / ours['seconds']:.2f}×" if "seconds" in ours and "seconds" in hand else "—"
        ratio_fisca = f"{fisca['seconds'] / ours['seconds']:.1f}×" if "seconds" in ours and "seconds" in fisca \
            else "—"
        lines.append(
            f"| {size:,} | {rate(size, ours)} | {ours.get('peak_mb', 0):.0f} | {rate(size, hand)} | "
            f"{hand.get('peak_mb', 0):.0f} | {ratio_hand} | {rate(size, fisca)} | {fisca.get('peak_mb', 0):.0f} | "
            f"{ratio_fisca} | {rate(size, e2e)} | {ours.get('agrees_with_numpy', '—')} |")
    lines += ["", "dibao / NumPy is NumPy's time over dibao's (1.00× = as fast as the hand-written version);",
              "dibao / OpenFisca is OpenFisca's time over dibao's.", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--one", nargs=2, metavar=("ENGINE", "SIZE"))
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--big", type=int, default=10_000_000, help="a size for dibao and NumPy only (0: none)")
    parser.add_argument("--regions", type=int, default=20_000, help="households for the full-region figures")
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.one[0], int(args.one[1]))))
        return
    text = run(args.sizes, args.big or None)
    regions = full_regions(args.regions)
    text += "\n## Batch: every output of each region (generated caseload, columnar with interpreter fallback)\n\n"
    text += f"{args.regions:,} households each, in one chunk.\n\n| region | throughput |\n|---|---|\n"
    text += "".join(f"| {what} | {figure} |\n" for what, figure, _ in regions)
    write_section(text)
    print(text)


def write_section(text: str) -> None:
    """Replace the batch section of BENCHMARKS.md (the part ``bench/run.py`` does not write)."""
    from run import machine

    path = ROOT / "BENCHMARKS.md"
    current = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    head = current.split("\n## Batch:")[0].rstrip() + "\n"
    stamp = f"\nMachine: {machine()}; measured {time.strftime('%Y-%m-%d')}.\n\n"
    path.write_text(head + "\n" + text.replace("\n\n", stamp, 1), encoding="utf-8")


if __name__ == "__main__":
    main()
