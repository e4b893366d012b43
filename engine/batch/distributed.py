"""Beyond one machine: the same batch, one task per partition, on a Dask cluster.

The input is partitioned: a folder whose parts are table folders (``part-0/households.parquet``,
``part-0/members.parquet``, …) or JSON Lines files. Each task opens the policy library,
runs ``run_batch`` on its partition (the same column-wise path as a single run) and
writes its own output part, errors part and sidecar; the results are gathered into one
summary. ``scheduler`` is a Dask scheduler address, or ``local`` for a local
multi-process cluster. The output is a folder of parts named after the input's parts, so
a partitioned run and a single-process run of the same data give the same rows.

The folder is written whole or not at all: the parts go to a temporary folder beside it,
``_summary.json`` last, and the folder is put in place when every task has succeeded.
Before anything runs, the output folder is checked not to be, hold or lie inside the
input, and the parts' output names not to collide (``a.jsonl`` and ``a.ndjson``).
Household ids are checked for repeats within a partition, not across partitions.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from datetime import date
from pathlib import Path
from typing import Any

from engine.base.diagnostics import Diagnostic, DiagnosticError
from engine.batch.output_files import Lock, refuse
from engine.batch.run import RegionEvaluator, Summary, run_batch
from engine.runtime.library import PolicyLibrary


def partitions(source: Path) -> list[Path]:
    """The parts of a partitioned input, in name order."""
    if not source.is_dir():
        raise DiagnosticError([Diagnostic("E-IO", f"{source}: --dask needs a partitioned input: a folder of table "
                                          "folders or of .jsonl files")])
    parts = sorted(p for p in source.iterdir() if p.is_dir() or p.suffix in (".jsonl", ".ndjson"))
    if not parts:
        raise DiagnosticError([Diagnostic("E-IO", f"{source}: no partitions (sub-folders of tables or .jsonl files)")])
    seen: dict[str, Path] = {}
    for part in parts:
        name = part.stem.casefold()
        if name in seen:
            raise refuse(part, f"the partitions {seen[name].name} and {part.name} would write the same output part "
                         f"({part.stem}); rename one")
        seen[name] = part
    return parts


def output_folder(out: Path) -> tuple[Path, str]:
    suffix = out.suffix or ".parquet"
    return (out.with_suffix("") if out.suffix else out), suffix


def run_partition(policies: str, region: str, day: str, part: str, out: str, overrides: dict[str, str],
                  chunk_size: int, any_hukou: bool = False, params: tuple[str, ...] = ()) -> dict[str, Any]:
    """One task: a partition through the batch; returns its summary (plain data, to cross processes)."""
    evaluator = _compiled(policies, region, day, overrides, params)
    summary = run_batch(evaluator.library, region, date.fromisoformat(day), Path(part), Path(out), None, overrides,
                        chunk_size, any_hukou=any_hukou, evaluator=evaluator)
    return summary.as_dict()


_COMPILED: dict[tuple[str, ...], RegionEvaluator] = {}


def _compiled(policies: str, region: str, day: str, overrides: dict[str, str],
              params: tuple[str, ...] = ()) -> RegionEvaluator:
    """The region compiled once per worker process for the tasks of a run (the policy files' sizes and times
    are part of the key, so a worker that outlives a run never uses a changed policy)."""
    files = [*(p for p in Path(policies).rglob("*") if p.is_file()), *(Path(p) for p in params)]
    stamp = sorted((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in files)
    key = (policies, region, day, json.dumps(sorted(overrides.items())), json.dumps(stamp), *params)
    if key not in _COMPILED:
        _COMPILED.clear()
        _COMPILED[key] = RegionEvaluator(PolicyLibrary.open(policies, params), region, date.fromisoformat(day),
                                         overrides)
    return _COMPILED[key]


def run_on_dask(library: PolicyLibrary, region: str, as_of: date, source: Path, out: Path, scheduler: str,
                overrides: dict[str, str] | None = None, chunk_size: int = 50_000,
                any_hukou: bool = False) -> Summary:
    """Evaluate every partition as a Dask task and gather the summaries; ``out`` becomes a folder of parts."""
    import time

    from dask.distributed import Client, LocalCluster

    started = time.perf_counter()
    library.resolve(region, as_of, overrides)  # stop here, not in every task, on a bad region, date or --set
    parts = partitions(source)
    folder, suffix = output_folder(out)
    _apart(folder, source)
    temporary = folder.with_name(f".{folder.name}.{os.getpid()}.tmp")
    with Lock(folder):
        shutil.rmtree(temporary, ignore_errors=True)
        temporary.mkdir(parents=True)
        try:
            # dask.distributed ships without type annotations: its constructors are untyped calls
            cluster = LocalCluster(  # type: ignore[no-untyped-call]
                n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) \
                if scheduler == "local" else None
            try:
                with Client(cluster if cluster is not None else scheduler) as client:  # type: ignore[no-untyped-call]
                    futures = [client.submit(run_partition, str(library.root), region, as_of.isoformat(), str(part),
                                             str(temporary / f"{part.stem}{suffix}"), dict(overrides or {}),
                                             chunk_size, any_hukou, _params_of(library), pure=False)
                               for part in parts]
                    results = client.gather(futures)
            finally:
                if cluster is not None:
                    cluster.close()
            summary = _combine(results)
            summary.seconds = time.perf_counter() - started
            (temporary / "_summary.json").write_text(json.dumps(summary.as_dict(), ensure_ascii=False, indent=2)
                                                     + "\n", encoding="utf-8")
            _put_in_place(temporary, folder)
        except BaseException:
            shutil.rmtree(temporary, ignore_errors=True)
            raise
    return summary


def _params_of(library: PolicyLibrary) -> tuple[str, ...]:
    """The run's --params files, as absolute paths a worker can open."""
    return tuple(str(Path(f.path).resolve()) for f in library.local.files) if library.local is not None else ()


def _apart(folder: Path, source: Path) -> None:
    here, there = folder.resolve(), source.resolve()
    if here == there or there in here.parents or here in there.parents:
        raise refuse(folder, f"the output folder {folder} would overwrite the input {source}; write it elsewhere")
    if folder.exists() and not folder.is_dir():
        raise refuse(folder, f"{folder} is a file; the output of --dask is a folder of parts")


def _put_in_place(temporary: Path, folder: Path) -> None:
    """The new folder in place of the old one (kept aside until the new one is there)."""
    aside = folder.with_name(f".{folder.name}.{os.getpid()}.old")
    if folder.exists():
        os.replace(folder, aside)
    os.replace(temporary, folder)
    with contextlib.suppress(OSError):
        shutil.rmtree(aside)


def _combine(results: list[dict[str, Any]]) -> Summary:
    summary = Summary(**{**results[0], "records": 0, "rows": 0, "errors": 0, "eligible": 0,
                         "benefit_monthly_fen": 0, "rejected_for": {}})
    for result in results:
        for key in ("records", "rows", "errors", "eligible", "benefit_monthly_fen"):
            setattr(summary, key, getattr(summary, key) + result[key])
        for reason, count in result["rejected_for"].items():
            summary.rejected_for[reason] = summary.rejected_for.get(reason, 0) + count
    return summary
