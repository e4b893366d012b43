"""Benchmarks: interpreter latency, policy load+check time, CLI cold start.

Run ``make bench`` (or ``python bench/run.py``); figures are printed and written to
BENCHMARKS.md with the machine they were measured on. No figure here is asserted by a
test: this script is where performance claims live.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.household.record import validate_household  # noqa: E402
from engine.language.checker import check_program  # noqa: E402
from engine.language.parser import parse_expression  # noqa: E402
from engine.policy.policy_files import load_tree  # noqa: E402
from engine.policy.resolve import RuleCode  # noqa: E402
from engine.runtime.interpreter import Program  # noqa: E402
from engine.runtime.library import PolicyLibrary  # noqa: E402
from engine.runtime.policy_check import check_tree  # noqa: E402
from engine.tools.consistency import stand_ins  # noqa: E402

EXAMPLE = ROOT / "examples" / "households" / "contract_example.json"
TEN_OPERATIONS = (
    "if sum(sum(i.monthly for i in m.incomes where i.kind != \"honour_allowance\") for m in members)"
    " / household.size < per_month(3210 yuan/year) and household.size >= 1"
    " then (per_month(3210 yuan/year) - 100 yuan/month) * household.size else 0"
)


def best_of(function, repeat: int = 5, number: int = 20_000) -> float:  # type: ignore[no-untyped-def]
    """Best mean seconds per call over ``repeat`` rounds of ``number`` calls."""
    rounds = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            function()
        rounds.append((time.perf_counter() - start) / number)
    return min(rounds)


def household():  # type: ignore[no-untyped-def]
    return validate_household(json.loads(EXAMPLE.read_text(encoding="utf-8"), parse_float=Decimal))


def bench_expression() -> float:
    from engine.base.diagnostics import Span
    from engine.language.definitions import Definition
    from engine.language.types import MONEY_MONTH

    node = parse_expression(TEN_OPERATIONS)
    definition = Definition("benefit", "rule", MONEY_MONTH, Span("bench", 1, 1), (node,))
    result = check_program({"benefit": definition})
    assert result.ok, result.diagnostics
    program = Program({"benefit": RuleCode("benefit", MONEY_MONTH, result.bodies["benefit"][0])}, {})
    record = household()
    day = date(2017, 10, 1)
    return best_of(lambda: program.evaluate(record, day, ["benefit"]))


def bench_region(region: str, day: date, outputs: list[str] | None, overrides: dict[str, str]) -> float:
    library = PolicyLibrary.open(ROOT / "policies")
    resolved = library.resolve(region, day, overrides)
    program = library.program(resolved)
    record = household()
    wanted = outputs or [n for n in resolved.chain.outputs() if n in program.rules]
    return best_of(lambda: program.evaluate(record, day, wanted), number=5_000)




def bench_load_check() -> float:
    times = []
    for _ in range(5):
        start = time.perf_counter()
        check_tree(load_tree(ROOT / "policies"))
        times.append(time.perf_counter() - start)
    return min(times)


def bench_cli(args: list[str]) -> float:
    dibao = Path(sys.executable).parent / "dibao"
    times = []
    for _ in range(5):
        start = time.perf_counter()
        subprocess.run([str(dibao), *args], capture_output=True, check=False, cwd=ROOT)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"


def main() -> None:
    figures: list[tuple[str, str, str]] = []
    expression = bench_expression()
    figures.append(("interpreter: 10-operation expression, one validated household, warm",
                    f"{expression * 1e6:.2f} µs", "target ≤ 15 µs"))
    hebi = bench_region("hebi", date(2017, 10, 1), ["dibao.benefit_monthly"], {})
    figures.append(("interpreter: Hebi countable income → per-capita → eligibility → benefit, warm",
                    f"{hebi * 1e6:.2f} µs", "target ≤ 15 µs"))
    library = PolicyLibrary.open(ROOT / "policies")
    for region in library.regions:
        try:
            chain = library.region(region).chain
            day = min(max(date(2021, 6, 15), chain.span_from), chain.span_to)
            supplied = stand_ins(chain)
            seconds = bench_region(region, day, None, supplied)
            figures.append((f"interpreter: all outputs of {region} on {day}, warm", f"{seconds * 1e6:.1f} µs", ""))
        except Exception as error:  # a region that cannot answer for the example is reported, not hidden
            figures.append((f"interpreter: all outputs of {region}", "not measured", str(error).splitlines()[0]))
    load = bench_load_check()
    figures.append(("load + check of all regions (in process)", f"{load * 1e3:.0f} ms", "target ≤ 300 ms"))
    figures.append(("CLI cold start: dibao --help", f"{bench_cli(['--help']) * 1e3:.0f} ms", ""))
    figures.append(("CLI: dibao check (all regions, start-up included)", f"{bench_cli(['check']) * 1e3:.0f} ms",
                    "target < 1 s"))
    figures.append(("CLI: dibao explain one household (start-up included)",
                    f"{bench_cli(['explain', '--region', 'hebi', '--date', '2017-10-01', str(EXAMPLE)]) * 1e3:.0f} ms",
                    "target < 1 s"))
    write(figures)


def write(figures: list[tuple[str, str, str]]) -> None:
    from sections import write_section

    lines = [
        "## Interpreter and command line",
        "",
        "Measured by `make bench` (`python bench/run.py`), which rewrites this section.",
        "",
        f"Machine: {machine()}. Measured {time.strftime('%Y-%m-%d')}.",
        "",
        "Interpreter figures are the best mean over 5 rounds of many calls (warm: the policy is loaded,",
        "checked and compiled once; each call evaluates one already-validated household).",
        "CLI figures are the median of 5 runs of the installed `dibao` command.",
        "",
        "| what | figure | note |",
        "|---|---|---|",
    ]
    lines += [f"| {what} | {figure} | {note} |" for what, figure, note in figures]
    text = "\n".join(lines) + "\n"
    write_section("run", text)  # its own section: bench/batch.py and the others write theirs
    print(text)


if __name__ == "__main__":
    main()
