"""Beyond one machine: the same batch, one task per partition, on a Dask cluster.

The input is partitioned: a folder whose parts are table folders (``part-0/households.parquet``,
``part-0/members.parquet``, …) or JSON Lines files. Each task opens the policy library,
runs ``run_batch`` on its partition (the compiled columnar evaluator with the interpreter
beside it) and writes its own output part and errors part; the results are gathered into
one summary. ``scheduler`` is a Dask scheduler address, or ``local`` for a local
multi-process cluster. The output is a folder of parts named after the input's parts, so
a partitioned run and a single-process run of the same data give the same rows.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from engine.batch import Summary, run_batch
from engine.diagnostics import Diagnostic, DiagnosticError
from engine.library import PolicyLibrary


def partitions(source: Path) -> list[Path]:
    """The parts of a partitioned input, in name order."""
    if not source.is_dir():
        raise DiagnosticError([Diagnostic("E-IO", f"{source}: --dask needs a partitioned input: a folder of table "
                                          "folders or of .jsonl files")])
    parts = sorted(p for p in source.iterdir() if p.is_dir() or p.suffix in (".jsonl", ".ndjson"))
    if not parts:
        raise DiagnosticError([Diagnostic("E-IO", f"{source}: no partitions (sub-folders of tables or .jsonl files)")])
    return parts


def run_partition(policies: str, region: str, day: str, part: str, out: str, overrides: dict[str, str],
                  chunk_size: int, params: tuple[str, ...] = ()) -> dict[str, Any]:
    """One task: a partition through the batch; returns its summary (plain data, to cross processes)."""
    library = PolicyLibrary.open(policies, params)
    summary = run_batch(library, region, date.fromisoformat(day), Path(part), Path(out), None, overrides,
                        chunk_size)
    return summary.as_dict()


def run_on_dask(library: PolicyLibrary, region: str, as_of: date, source: Path, out: Path, scheduler: str,
                overrides: dict[str, str] | None = None, chunk_size: int = 20_000) -> Summary:
    """Evaluate every partition as a Dask task and gather the summaries; ``out`` becomes a folder of parts."""
    import time

    from dask.distributed import Client, LocalCluster

    started = time.perf_counter()
    library.resolve(region, as_of, overrides)  # stop here, not in every task, on a bad region, date or --set
    parts = partitions(source)
    suffix = out.suffix or ".parquet"
    folder = out.with_suffix("") if out.suffix else out
    folder.mkdir(parents=True, exist_ok=True)
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) \
        if scheduler == "local" else None
    try:
        with Client(cluster if cluster is not None else scheduler) as client:
            futures = [client.submit(run_partition, str(library.root), region, as_of.isoformat(), str(part),
                                     str(folder / f"{part.stem}{suffix}"), dict(overrides or {}), chunk_size,
                                     _params_of(library), pure=False) for part in parts]
            results = client.gather(futures)
    finally:
        if cluster is not None:
            cluster.close()
    summary = _combine(results)
    summary.seconds = time.perf_counter() - started
    (folder / "_summary.json").write_text(json.dumps(summary.as_dict(), ensure_ascii=False, indent=2) + "\n",
                                          encoding="utf-8")
    return summary


def _params_of(library: PolicyLibrary) -> tuple[str, ...]:
    """The run's --params files, as absolute paths a worker can open."""
    return tuple(str(Path(f.path).resolve()) for f in library.local.files) if library.local is not None else ()


def _combine(results: list[dict[str, Any]]) -> Summary:
    summary = Summary(**{**results[0], "records": 0, "rows": 0, "errors": 0, "eligible": 0,
                         "benefit_monthly_fen": 0, "rejected_for": {}})
    for result in results:
        for key in ("records", "rows", "errors", "eligible", "benefit_monthly_fen"):
            setattr(summary, key, getattr(summary, key) + result[key])
        for reason, count in result["rejected_for"].items():
            summary.rejected_for[reason] = summary.rejected_for.get(reason, 0) + count
    return summary
