"""Batch: a whole caseload through one region's rules, in chunks, losing nothing.

Households stream in chunks from JSON Lines (``engine.batch.json_lines``) or from a folder of
tables (``engine.batch.tables``: Parquet, CSV or Arrow IPC) as Arrow tables; each chunk is
validated column by column, evaluated by the compiled columnar program with the
interpreter beside it, and its answers are written a chunk at a time
(``engine.batch.batch_core``, ``engine.batch.writers``). A household that cannot be read, validated
or evaluated, that repeats an earlier household's id, or that is registered in another
region (unless ``any_hukou``), goes to the errors file with its id, line or row, and
reason: records in = rows out + errors, always. The files are written beside their
targets and put in place only when the run has succeeded (``engine.batch.output_files``).
"""

from __future__ import annotations

import contextvars
import json
import queue
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import pyarrow as pa
import pyarrow.compute as pc

from engine.base.diagnostics import Diagnostic, DiagnosticError
from engine.batch.batch_core import Answer, RegionEvaluator
from engine.batch.caseload import Caseload, Rejected
from engine.batch.output_files import OutputFiles, default_errors_path, member_path, refuse, sidecar_path
from engine.batch.screening import Screen
from engine.batch.spreadsheets import WriteOptions
from engine.household.vocabulary import using
from engine.runtime.library import PolicyLibrary

__all__ = ["CHUNK", "RegionEvaluator", "Rejected", "Summary", "default_errors_path", "fen_text", "input_chunks",
           "run_batch"]

CHUNK = 50_000
T = TypeVar("T")


@dataclass
class Summary:
    records: int = 0
    rows: int = 0
    errors: int = 0
    eligible: int = 0
    benefit_monthly_fen: int = 0
    seconds: float = 0.0
    digest: str = ""
    version: str = ""
    outputs: list[str] = field(default_factory=list)
    interpreter_only: dict[str, str] = field(default_factory=dict)
    rejected_for: dict[str, int] = field(default_factory=dict)  # rejections by code and field path, counted

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def count_rejection(self, rejected: Rejected) -> None:
        """Count a rejection once under each (code, field path) of its problems (see ``rejection_group``)."""
        for key in dict.fromkeys(rejection_group(d) for d in rejected.diagnostics):
            self.rejected_for[key] = self.rejected_for.get(key, 0) + 1

    def tally(self, answer: Answer) -> None:
        """Eligible households and the monthly benefit they are paid (rounded to the fen, as paid)."""
        table = answer.household
        self.rows += table.num_rows
        if "dibao.eligible" in table.column_names:
            self.eligible += int(pc.sum(pc.cast(table["dibao.eligible"], pa.int64())).as_py() or 0)
        if "dibao.benefit_monthly" in table.column_names:
            total = pc.sum(table["dibao.benefit_monthly"]).as_py()
            self.benefit_monthly_fen += int(total * 100) if total is not None else 0


def rejection_group(diagnostic: Diagnostic) -> str:
    """What a rejection is counted under in the summary: its code and field path, list indices dropped
    (``E-HOUSEHOLD members[].birth_date``); a problem about no field of the record, its code and the name it
    begins with (``E-EVAL income.employment_cost_deduction_cap``: a value to supply)."""
    if diagnostic.path is not None:
        text = "".join("[]" if isinstance(part, int) else f".{part}" for part in diagnostic.path).lstrip(".")
        return f"{diagnostic.code} {text or 'record'}"
    subject = re.split(r" \(|: ", diagnostic.message, maxsplit=1)[0]
    subject = re.sub(r"'[^']*'", "…", re.sub(r"^(\w+) row \d+", r"\1 rows", subject))
    return f"{diagnostic.code} {subject[:80]}"


# --- reading -----------------------------------------------------------------------------------


def input_chunks(path: Path, size: int, encoding: str | None = None) -> Iterator[tuple[Caseload, list[Rejected]]]:
    """Chunks of households as tables, each with the records rejected before validation (``encoding``: of CSV
    tables)."""
    if path.is_dir() or path.suffix.lower() == ".xlsx":
        from engine.batch.tables import table_chunks

        return table_chunks(path, size, encoding)
    if str(path) == "-" or path.suffix in (".jsonl", ".ndjson"):
        from engine.batch.json_lines import jsonl_chunks

        return jsonl_chunks(path, size)
    raise DiagnosticError([Diagnostic("E-IO", f"{path}: give a JSON Lines file (.jsonl), a folder of tables "
                                      "(households and members as .parquet, .csv or .arrow) or an Excel workbook "
                                      "(.xlsx)")])


def prefetched(chunks: Iterator[T]) -> Iterator[T]:
    """The chunks, the next one read in a thread while this one is evaluated (Arrow and NumPy release the
    interpreter lock while they work, so reading and evaluating share the machine's cores)."""
    ahead: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def read() -> None:
        try:
            for item in chunks:
                while not stop.is_set():
                    try:
                        ahead.put(("chunk", item), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            ahead.put(("end", None))
        except BaseException as error:  # handed to the reader of the chunks, where it is reported
            ahead.put(("error", error))

    context = contextvars.copy_context()  # the reader validates with the run's vocabulary
    reader = threading.Thread(target=context.run, args=(read,), name="dibao-read", daemon=True)
    reader.start()
    try:
        while True:
            kind, item = ahead.get()
            if kind == "end":
                return
            if kind == "error":
                raise item
            yield item
    finally:
        stop.set()


def _readable(source: Path) -> None:
    if str(source) == "-":
        return
    if not source.exists():
        raise refuse(source, f"{source}: no such file or folder")
    if not source.is_dir() and source.suffix not in (".jsonl", ".ndjson") and source.suffix.lower() != ".xlsx":
        input_chunks(source, 1)


# --- the run ------------------------------------------------------------------------------------


def targets(out: Path, errors: Path | None, evaluator: RegionEvaluator) -> dict[str, Path]:
    """The files a run writes, by role (the sidecar last)."""
    from engine.batch.writers import output_format

    fmt = output_format(out)
    found = {"output": out}
    if fmt in ("csv", "parquet") and evaluator.member_outputs:
        found["member table"] = member_path(out)
    found["errors file"] = errors or default_errors_path(out)
    found["sidecar"] = sidecar_path(out)
    return found


def run_batch(library: PolicyLibrary, region: str, as_of: date, source: Path, out: Path, errors: Path | None = None,
              overrides: dict[str, str] | None = None, chunk_size: int = CHUNK,
              progress: Callable[[int], None] | None = None, any_hukou: bool = False,
              evaluator: RegionEvaluator | None = None, *, encoding: str | None = None,
              options: WriteOptions | None = None) -> Summary:
    """Evaluate every household of ``source`` and write ``out`` (by its suffix), its errors file and sidecar
    (``evaluator``: the region already compiled for this date and these values, to reuse; ``encoding``: of CSV
    tables read; ``options``: how CSV and Excel outputs are written). Every record is checked against the
    region's vocabulary (``PolicyLibrary.vocabulary_of``), put in force for the run."""
    with using(library.vocabulary_of(region)):
        return _run_batch(library, region, as_of, source, out, errors, overrides, chunk_size, progress, any_hukou,
                          evaluator, encoding, options)


def _run_batch(library: PolicyLibrary, region: str, as_of: date, source: Path, out: Path, errors: Path | None,
               overrides: dict[str, str] | None, chunk_size: int, progress: Callable[[int], None] | None,
               any_hukou: bool, evaluator: RegionEvaluator | None, encoding: str | None,
               options: WriteOptions | None) -> Summary:
    from engine.batch.writers import InBackground, open_writer, output_format

    started = time.perf_counter()
    evaluator = evaluator or RegionEvaluator(library, region, as_of, overrides)
    summary = Summary(digest=evaluator.resolved.digest, version=evaluator.resolved.chain.version,
                      outputs=evaluator.outputs, interpreter_only={
                          n: evaluator.columnar.unsupported.get(n, "") for n in evaluator.interpreted_outputs})
    metadata = {"dibao.region": region, "dibao.date": as_of.isoformat(), "dibao.version": summary.version,
                "dibao.digest": summary.digest, "dibao.tree": json.dumps(library.tree_info(), ensure_ascii=False)}
    _readable(source)
    files = targets(out, errors, evaluator)
    screen = Screen(region, any_hukou)
    with OutputFiles(files, [source]) as written:
        paths = {"output": written.path("output"), "members": written.path("member table")
                 if "member table" in files else None}
        writer = InBackground(open_writer(output_format(out), {k: v for k, v in paths.items() if v is not None},
                                          evaluator, metadata, options))
        try:
            with written.path("errors file").open("w", encoding="utf-8") as error_file:
                for caseload, early in prefetched(input_chunks(source, chunk_size, encoding)):
                    answer = evaluator.answer(caseload, screen) if caseload.size else None
                    rejected = early + (answer.rejected if answer is not None else [])
                    summary.records += caseload.size + len(early)
                    if answer is not None:
                        writer.write(answer)
                        summary.tally(answer)
                    _write_errors(error_file, rejected, summary)
                    if progress is not None:
                        progress(caseload.size + len(early))
        finally:
            writer.close()
        summary.seconds = time.perf_counter() - started
        sidecar = {**metadata, "dibao.tree": library.tree_info(), "summary": summary.as_dict()}
        written.path("sidecar").write_text(json.dumps(sidecar, ensure_ascii=False, indent=2) + "\n",
                                           encoding="utf-8")
    return summary


def _write_errors(stream: Any, rejected: list[Rejected], summary: Summary) -> None:
    for item in sorted(rejected, key=lambda r: r.line):
        line = json.dumps(item.as_dict(), ensure_ascii=False)
        try:
            line.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate in an id: written as its JSON escape
            line = json.dumps(item.as_dict())
        stream.write(line + "\n")
        summary.count_rejection(item)
    summary.errors += len(rejected)


def fen_text(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"



