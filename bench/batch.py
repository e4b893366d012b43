"""Batch benchmarks, side by side in one run; results go to their own section of BENCHMARKS.md.

1. The benchmark rule (bench/hebi_h5/policy.yaml: Hebi's countable income with the H5
   exclusions, per-capita income, eligibility, the monthly benefit) on the same
   households for every engine: dibao's compiled columnar program on in-memory columns;
   a hand-written NumPy version, exact in integer fen (the practical limit); OpenFisca
   (openfisca-core from PyPI, in its own environment): build + calculate, vectorised.
   Each (engine, size) runs in a fresh process reporting its seconds and peak memory;
   dibao and NumPy must agree to the fen.
2. ``dibao batch`` end to end, as a caseload office runs it: Parquet tables → Parquet and
   JSON Lines → Parquet, every Hebi output, at 100,000 and 1,000,000 households. Each run
   is the installed command in a fresh process; wall time, CPU time of the process and
   its peak memory are reported, with the machine's load average when it started.
3. Every output of every region, in memory: a caseload already read as Arrow tables,
   validated, evaluated and answered as Arrow tables (``RegionEvaluator.answer``).
4. Dask: the 1,000,000 households as 8 Parquet partitions on a local cluster of two
   worker processes, against the single-process run of the same data.

    python bench/batch.py                 # everything (takes a while: run it on a quiet machine)
    python bench/batch.py --quick         # small sizes, to try the script
"""

from __future__ import annotations

import argparse
import json
import os
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

from engine.tools.consistency import stand_ins  # noqa: E402

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
    from engine.batch.columnar import Batch, ColumnarProgram
    from engine.runtime.library import PolicyLibrary

    library = PolicyLibrary.open(bench_tree())
    resolved = library.resolve("hebi_h5", AS_OF)
    program = library.program(resolved)
    columnar = ColumnarProgram(program.rules, resolved.values)
    households = int(data["households"])
    from engine.batch.caseload import vocabularies
    from engine.batch.columnar import Coded

    vocab, periods = vocabularies()[("income", "kind")], vocabularies()[("income", "per")]
    to_code = np.array([vocab.index[k] for k in KINDS], dtype=np.int16)
    per = np.where(data["per_year"], periods.index["year"], periods.index["month"]).astype(np.int16)
    batch = Batch(
        sizes={"household": households, "member": len(data["member_household"]), "income": len(data["kind"]),
               "expense": 0, "event": 0, "request": 0},
        parent={"member": data["member_household"], "income": data["income_member"],
                "expense": np.zeros(0, np.int64), "event": np.zeros(0, np.int64), "request": np.zeros(0, np.int64)},
        columns={"household": {}, "member": {},
                 "income": {"kind": Coded(to_code[data["kind"]], vocab), "amount": data["fen"],
                            "per": Coded(per, periods)}},
    )
    return columnar, batch


def dibao_rule(columnar: Any, batch: Any) -> np.ndarray:
    from engine.batch.columnar import to_fen

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


def best(function: Any, repeat: int) -> tuple[float, Any, float]:
    """The best wall seconds of ``repeat`` timed calls (the first warms caches), the last result, and the
    best CPU seconds."""
    times, cpus, result = [], [], None
    for _ in range(repeat):
        start, cpu = time.perf_counter(), time.process_time()
        result = function()
        times.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    return min(times), result, min(cpus)


def one(engine: str, size: int) -> dict[str, Any]:
    data = synthetic(size)
    baseline = peak_mb()
    repeat = 3 if size <= 1_000_000 else 2
    if engine == "numpy":
        seconds, fen, _ = best(lambda: numpy_rule(data), repeat)
        return {"seconds": seconds, "checksum": int(fen.sum()), "peak_mb": peak_mb(), "data_mb": baseline}
    if engine == "dibao":
        columnar, batch = dibao_batch(data)
        seconds, fen, _ = best(lambda: dibao_rule(columnar, batch), repeat)
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


# --- end to end --------------------------------------------------------------------------------


# As a caseload office runs it: the county values the documents leave to the office, from a --params file.
END_TO_END = ["--region", "hebi", "--date", AS_OF.isoformat(), "--params",
              str(ROOT / "examples" / "params" / "hebi.yaml")]
BASE = 20_000  # households generated; larger caseloads repeat them under new ids


def caseload(size: int, folder: Path) -> Path:
    """``size`` Hebi households as JSON Lines (``caseload.jsonl``), Parquet tables (``tables/``) and 8 Parquet
    partitions (``parts/``): the generated base repeated under new ids (``R0001-…``), made once per size."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    sys.path.insert(0, str(ROOT / "examples"))
    from generate_caseload import generate

    from engine.batch.tables import tables_from_records

    done = folder / "done"
    if done.exists():
        return folder
    base = generate(BASE, seed=11)
    for record in base:
        record["hukou"] = "hebi"
    lines = [json.dumps(r, ensure_ascii=False, separators=(",", ":")) for r in base]
    repeats = -(-size // BASE)
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "caseload.jsonl").open("w", encoding="utf-8") as stream:
        for copy in range(repeats if size <= 1_000_000 else 0):  # JSON Lines are measured up to a million
            count = min(BASE, size - copy * BASE)
            stream.write("".join(line.replace('{"id":"', f'{{"id":"R{copy:04d}-', 1) + "\n" for line in lines[:count]))
    tables = tables_from_records(base)

    def copies(name: str, first: int, last: int) -> pa.Table:
        key = "id" if name == "households" else "household_id"
        parts = []
        for copy in range(first, last):
            table = tables[name].set_column(tables[name].schema.get_field_index(key), key, pc.binary_join_element_wise(
                pa.scalar(f"R{copy:04d}-"), tables[name][key], ""))
            if copy == repeats - 1 and size % BASE:
                kept = [f"R{copy:04d}-{r['id']}" for r in base][:size % BASE]
                table = table.filter(pc.is_in(table[key], value_set=pa.array(kept)))
            parts.append(table)
        return pa.concat_tables(parts)

    for name in tables:
        (folder / "tables").mkdir(exist_ok=True)
        pq.write_table(copies(name, 0, repeats), folder / "tables" / f"{name}.parquet")
        bounds = np.linspace(0, repeats, 9).astype(int)
        for part in range(8):
            (folder / "parts" / f"part-{part}").mkdir(parents=True, exist_ok=True)
            if bounds[part] < bounds[part + 1]:
                pq.write_table(copies(name, bounds[part], bounds[part + 1]),
                               folder / "parts" / f"part-{part}" / f"{name}.parquet")
    done.touch()
    return folder


def command(args: list[str]) -> dict[str, Any]:
    """One ``dibao`` run in a fresh process: wall seconds, CPU seconds of the process tree, peak memory."""
    script = ("import json, resource, subprocess, sys, time; start = time.perf_counter(); "
              "done = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
              "wall = time.perf_counter() - start; usage = resource.getrusage(resource.RUSAGE_CHILDREN); "
              "print(json.dumps({'wall': wall, 'cpu': usage.ru_utime + usage.ru_stime, "
              "'peak_mb': usage.ru_maxrss / 1024, 'status': done.returncode, 'stderr': done.stderr[-2000:]}))")
    load = os.getloadavg()[0]
    dibao = Path(sys.executable).parent / "dibao"
    done = subprocess.run([sys.executable, "-c", script, str(dibao), *args], capture_output=True, text=True,
                          check=False, cwd=ROOT)
    result = json.loads(done.stdout)
    result["load"] = load
    if result["status"] != 0:
        result["error"] = result["stderr"].strip().splitlines()[-1] if result["stderr"].strip() else "failed"
    return result


def end_to_end(size: int, folder: Path) -> dict[str, dict[str, Any]]:
    data = caseload(size, folder / f"caseload-{size}")
    out = folder / "out"
    return {
        "parquet": command(["batch", *END_TO_END, str(data / "tables"), "--out", str(out / f"p{size}.parquet")]),
        "jsonl": command(["batch", *END_TO_END, str(data / "caseload.jsonl"), "--out", str(out / f"j{size}.parquet")]),
    }


def dask(size: int, folder: Path) -> dict[str, dict[str, Any]]:
    data = caseload(size, folder / f"caseload-{size}")
    out = folder / "out"
    return {
        "single": command(["batch", *END_TO_END, str(data / "tables"), "--out", str(out / f"s{size}.parquet")]),
        "dask": command(["batch", *END_TO_END, str(data / "parts"), "--out", str(out / f"d{size}.parquet"),
                         "--dask", "local"]),
    }


# --- every region, in memory ---------------------------------------------------------------------


def full_regions(size: int, folder: Path) -> list[tuple[str, float, float, float, int, int]]:
    """Households per second for every region, all outputs, from Arrow tables already in memory: the whole
    answer (validation included), and evaluation alone (program, interpreter where needed, answer tables)."""
    sys.path.insert(0, str(ROOT / "examples"))
    from generate_caseload import generate

    from engine.batch.batch_core import Outputs, RegionEvaluator
    from engine.batch.caseload import batch_of
    from engine.batch.column_checks import check
    from engine.batch.tables import table_chunks, write_tables
    from engine.runtime.library import PolicyLibrary

    library = PolicyLibrary.open(ROOT / "policies")
    tables = folder / f"regions-{size}"
    if not tables.exists():
        write_tables(generate(size, seed=5), tables)
    ((loaded, _),) = list(table_chunks(tables, size + 1))
    checked = check(loaded)
    keep = ~checked.bad
    rows = np.flatnonzero(keep)

    def evaluation(evaluator: RegionEvaluator) -> None:
        batch = batch_of(checked.converted, keep)
        outputs = Outputs(evaluator, len(rows), batch.sizes["member"])
        outputs.compute(batch)
        outputs.tables(loaded, rows, np.arange(batch.sizes["member"]), batch.parent["member"],
                       np.ones(len(rows), dtype=bool))

    figures = []
    for region in library.regions:
        chain = library.region(region).chain
        day = min(max(date(2021, 9, 30), chain.span_from), chain.span_to)
        evaluator = RegionEvaluator(library, region, day, stand_ins(chain))
        whole = best(lambda: evaluator.answer(loaded), 3)  # noqa: B023 - timed at once
        alone = best(lambda: evaluation(evaluator), 3)  # noqa: B023
        answer = whole[1]
        interpreted = ", ".join(evaluator.interpreted_outputs) or "none"
        figures.append((f"{region} on {day} ({len(evaluator.outputs)} outputs; by the interpreter only: {interpreted})",
                        whole[0], whole[2], alone[0], answer.household.num_rows, len(answer.rejected)))
    return figures


# --- report ----------------------------------------------------------------------------------------


def rate(size: int, result: dict[str, Any], key: str = "seconds") -> str:
    if key not in result or result.get("error"):
        return f"— ({result.get('error', '')})"
    return f"{size / result[key]:,.0f}/s ({result[key]:.3f} s)"


def rule_table(rows: list[tuple[int, dict[str, Any], dict[str, Any], dict[str, Any]]]) -> list[str]:
    lines = [
        "## Batch: the benchmark rule (bench/hebi_h5), households per second",
        "",
        "Measured by `make bench` (`python bench/batch.py`). Each figure is one fresh process: data made",
        "in memory, then the engine timed (best of 3); peak is the process's peak resident memory (data included).",
        "OpenFisca is openfisca-core 46.0.1 from PyPI (build + calculate, float32 inputs as OpenFisca uses);",
        "NumPy is the rule written by hand in exact integer fen.",
        "",
        "| households | dibao (columns in memory) | peak MB | NumPy by hand | peak MB | dibao / NumPy | OpenFisca "
        "| peak MB | dibao / OpenFisca | agrees with NumPy |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for size, ours, hand, fisca in rows:
        ratio_hand = f"{hand['seconds'] / ours['seconds']:.2f}×" if "seconds" in ours and "seconds" in hand else "—"
        ratio_fisca = f"{fisca['seconds'] / ours['seconds']:.1f}×" if "seconds" in ours and "seconds" in fisca \
            else "—"
        lines.append(
            f"| {size:,} | {rate(size, ours)} | {ours.get('peak_mb', 0):.0f} | {rate(size, hand)} | "
            f"{hand.get('peak_mb', 0):.0f} | {ratio_hand} | {rate(size, fisca)} | {fisca.get('peak_mb', 0):.0f} | "
            f"{ratio_fisca} | {ours.get('agrees_with_numpy', '—')} |")
    lines += ["", "dibao / NumPy is NumPy's time over dibao's (1.00× = as fast as the hand-written version);",
              "dibao / OpenFisca is OpenFisca's time over dibao's.", ""]
    return lines


def run_figures(result: dict[str, Any], size: int) -> str:
    if result.get("error"):
        return f"— ({result['error']}) | | | | "
    return (f"{size / result['wall']:,.0f}/s | {result['wall']:.1f} s | {result['cpu']:.1f} s "
            f"({size / result['cpu']:,.0f}/s) | {result['peak_mb']:.0f} | {result['load']:.1f}")


def end_to_end_table(rows: list[tuple[int, dict[str, dict[str, Any]]]]) -> list[str]:
    lines = [
        "## Batch: end to end, file to file (`dibao batch`, every Hebi output)",
        "",
        "The installed command in a fresh process, start-up included: read, validate column by column,",
        "evaluate, write Parquet (a household table and a member table), errors file and sidecar. The caseload",
        "is 20,000 generated Hebi households repeated under new ids. Households per second are per second of",
        "wall time; CPU is user + system time of the process (its threads included); load is the machine's",
        "1-minute load average when the run started (2 cores: a load above 2 means the run shared them).",
        "",
        "| households | input | households/s (wall) | wall | CPU (households per CPU-second) | peak MB | load |",
        "|---|---|---|---|---|---|---|",
    ]
    for size, results in rows:
        for name, label in (("parquet", "Parquet tables"), ("jsonl", "JSON Lines")):
            lines.append(f"| {size:,} | {label} | {run_figures(results[name], size)} |")
    return [*lines, ""]


def regions_table(size: int, figures: list[tuple[str, float, float, float, int, int]]) -> list[str]:
    lines = [
        "## Batch: every output of each region, in memory",
        "",
        f"{size:,} generated households (all five regions' registrations, evaluated in each region), read as",
        "Arrow tables beforehand. *Whole answer*: column-wise validation, the columnar program, the answer as",
        "Arrow tables (`RegionEvaluator.answer`). *Evaluation*: the same without validation (columns already",
        "converted): the program, canonical values, the answer tables. Best of 3.",
        "",
        "| region | whole answer, households/s (wall) | per CPU-second | evaluation, households/s (wall) | answered "
        "| rejected |",
        "|---|---|---|---|---|---|",
    ]
    lines += [f"| {what} | {size / wall:,.0f} | {size / cpu:,.0f} | {size / alone:,.0f} | {rows:,} | {rejected:,} |"
              for what, wall, cpu, alone, rows, rejected in figures]
    return [*lines, ""]


def dask_table(rows: list[tuple[int, dict[str, dict[str, Any]]]]) -> list[str]:
    lines = [
        "## Batch: Dask, 2 local workers against one process",
        "",
        "The same caseload as above: one process on the Parquet tables, and `--dask local` (two worker",
        "processes, one thread each) on the same households as 8 Parquet partitions. CPU is the process tree's.",
        "",
        "| households | run | households/s (wall) | wall | CPU (households per CPU-second) | peak MB | load |",
        "|---|---|---|---|---|---|---|",
    ]
    for size, results in rows:
        for name, label in (("single", "one process"), ("dask", "Dask, 2 workers")):
            lines.append(f"| {size:,} | {label} | {run_figures(results[name], size)} |")
        single, spread = results["single"], results["dask"]
        if "wall" in single and "wall" in spread and not spread.get("error"):
            lines.append(f"| {size:,} | speed-up | {single['wall'] / spread['wall']:.2f}× | | | | |")
    lines += ["", *where_the_time_goes(rows)]
    return [*lines, ""]


def where_the_time_goes(rows: list[tuple[int, dict[str, dict[str, Any]]]]) -> list[str]:
    """The speed-up, and below 1.5× where the time went: cores each run kept busy, the load, Dask's own CPU."""
    notes = []
    for size, results in rows:
        single, spread = results["single"], results["dask"]
        if "wall" not in single or "wall" not in spread or spread.get("error"):
            continue
        speedup = single["wall"] / spread["wall"]
        busy_single, busy_dask = single["cpu"] / single["wall"], spread["cpu"] / spread["wall"]
        note = (f"At {size:,}: {speedup:.2f}×. Cores kept busy (CPU / wall): one process {busy_single:.2f}, Dask "
                f"{busy_dask:.2f}; Dask's CPU {spread['cpu']:.1f} s against {single['cpu']:.1f} s.")
        if speedup < 1.5:
            reasons = []
            if busy_single > 1.05:
                reasons.append(f"the one process already kept {busy_single:.2f} cores busy (the next chunk is read in "
                               f"a thread, Arrow decodes with threads), so two workers could add at most "
                               f"{2 / busy_single:.2f}×")
            if max(single["load"], spread["load"]) > 2:
                reasons.append(f"the machine's load average was {single['load']:.1f} and {spread['load']:.1f} when the "
                               "runs started, so both shared the 2 cores with other work")
            if spread["cpu"] > single["cpu"]:
                reasons.append(f"Dask added {spread['cpu'] - single['cpu']:.1f} s of CPU (starting the cluster and "
                               "its workers, opening the policy library in each of the 8 tasks)")
            note += " Where the time goes: " + "; ".join(reasons) + "."
        notes.append(note)
    return notes


def generator_version() -> str:
    """Caseloads kept between runs belong to the generator that made them: a changed generator makes new ones."""
    import hashlib

    return hashlib.sha256((ROOT / "examples" / "generate_caseload.py").read_bytes()).hexdigest()[:12]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--one", nargs=2, metavar=("ENGINE", "SIZE"))
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--big", type=int, default=10_000_000, help="a size for dibao and NumPy only (0: none)")
    parser.add_argument("--end-to-end", type=int, nargs="*", default=[100_000, 1_000_000])
    parser.add_argument("--regions", type=int, default=100_000, help="households for the every-region figures")
    parser.add_argument("--dask", type=int, nargs="*", default=[1_000_000], help="sizes for Dask against one process")
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "dibao-bench-data",
                        help="where the generated caseloads are kept between runs (per version of the generator)")
    parser.add_argument("--quick", action="store_true", help="small sizes, to try the script")
    args = parser.parse_args()
    args.data = args.data / generator_version()
    if args.one:
        print(json.dumps(one(args.one[0], int(args.one[1]))))
        return
    if args.quick:
        args.sizes, args.big, args.end_to_end, args.regions, args.dask = [10_000], 0, [20_000], 20_000, []
    rule_rows = []
    for size in args.sizes + ([args.big] if args.big else []):
        ours, hand = measure("dibao", size), measure("numpy", size)
        fisca = openfisca(size) if size <= 1_000_000 else {"error": "not run at this size"}
        rule_rows.append((size, ours, hand, fisca))
        print(size, ours, hand, fisca, flush=True)
    e2e = [(size, end_to_end(size, args.data)) for size in args.end_to_end]
    print(e2e, flush=True)
    regions = full_regions(args.regions, args.data) if args.regions else []
    print(regions, flush=True)
    spread = [(size, dask(size, args.data)) for size in args.dask]
    print(spread, flush=True)
    text = "\n".join(rule_table(rule_rows) + end_to_end_table(e2e) + (regions_table(args.regions, regions)
                                                                       if regions else [])
                     + (dask_table(spread) if spread else []))
    write_section(text)
    print(text)


def write_section(text: str) -> None:
    """Replace the batch section of BENCHMARKS.md (between its markers; other scripts' sections stay)."""
    from run import machine
    from sections import write_section as write_named

    stamp = f"\nMachine: {machine()}; measured {time.strftime('%Y-%m-%d %H:%M')}.\n\n"
    write_named("batch", text.replace("\n\n", stamp, 1))


if __name__ == "__main__":
    main()
