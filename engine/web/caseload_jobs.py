"""Caseload runs started from the page: uploaded files → a batch run in the background.

Uploads are laid out as the batch command reads them (one JSON Lines file, or a folder of
tables); CSV in GBK/GB18030 is re-encoded as UTF-8 first and an Excel workbook becomes one
CSV table per sheet. Each run has its own folder; the page polls its progress and offers
the output and errors files for download when it is done. Jobs live in memory for the
life of the server and their folders are removed when it stops.
"""

from __future__ import annotations

import csv
import io
import shutil
import tempfile
import threading
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from engine.base.diagnostics import Diagnostic, DiagnosticError
from engine.runtime.library import PolicyLibrary

TABLES = ("households", "members", "incomes", "expenses", "events", "requests")
OUTPUT_FORMATS = ("csv", "parquet", "jsonl")
MAX_JOBS = 50


@dataclass
class Job:
    """One caseload run: where its files are, how far it has got, and its summary when done."""

    id: str
    region: str
    as_of: date
    folder: Path
    output: Path
    total: int | None = None
    done: int = 0
    state: str = "running"  # running, done, failed
    summary: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def errors_file(self) -> Path:
        from engine.batch.run import default_errors_path

        return default_errors_path(self.output)


class Jobs:
    """The server's caseload runs, each in a thread of its own."""

    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._root = Path(tempfile.mkdtemp(prefix="dibao-caseload-"))

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def start(self, library: PolicyLibrary, region: str, as_of: date, overrides: dict[str, str],
              uploads: list[tuple[str, bytes]], output_format: str) -> Job:
        """Lay out the uploads, check the region and date, then run in the background."""
        library.resolve(region, as_of, overrides)  # a wrong region, date or value is reported now, not later
        job_id = uuid.uuid4().hex[:12]
        folder = self._root / job_id
        folder.mkdir()
        source = lay_out(uploads, folder / "input")
        suffix = output_format if output_format in OUTPUT_FORMATS else "csv"
        job = Job(job_id, region, as_of, folder, folder / "output" / f"{region.replace('/', '-')}.{suffix}")
        job.output.parent.mkdir()
        job.total = _count(source)
        with self._lock:
            self._forget_old()
            self._jobs[job_id] = job
        threading.Thread(target=self._run, args=(job, library, source, overrides), daemon=True).start()
        return job

    def close(self) -> None:
        shutil.rmtree(self._root, ignore_errors=True)

    def _run(self, job: Job, library: PolicyLibrary, source: Path, overrides: dict[str, str]) -> None:
        from engine.batch.run import fen_text, run_batch

        def advance(count: int) -> None:
            job.done += count

        try:
            summary = run_batch(library, job.region, job.as_of, source, job.output, None, overrides,
                                progress=advance)
        except DiagnosticError as error:
            job.problems = [d.message for d in error.diagnostics]
            job.state = "failed"
            return
        except Exception as error:  # a run that breaks is reported on its page, never lost silently
            job.problems = [f"{type(error).__name__}: {error}"]
            job.state = "failed"
            return
        job.summary = {"records": summary.records, "rows": summary.rows, "rejected": summary.errors,
                       "eligible": summary.eligible, "benefit_monthly": fen_text(summary.benefit_monthly_fen),
                       "benefit_annual": fen_text(summary.benefit_monthly_fen * 12), "digest": summary.digest,
                       "version": summary.version, "rejected_for": dict(summary.rejected_for)}
        job.state = "done"

    def _forget_old(self) -> None:
        while len(self._jobs) >= MAX_JOBS:
            oldest = next(iter(self._jobs))
            shutil.rmtree(self._jobs.pop(oldest).folder, ignore_errors=True)


def lay_out(uploads: list[tuple[str, bytes]], folder: Path) -> Path:
    """The batch source for the uploaded files: a JSON Lines file, or a folder of tables."""
    folder.mkdir(parents=True)
    if not uploads:
        raise _problem("choose a file to upload")
    if len(uploads) == 1 and _suffix(uploads[0][0]) in (".jsonl", ".ndjson"):
        path = folder / "caseload.jsonl"
        path.write_bytes(uploads[0][1])
        return path
    for name, data in uploads:
        suffix, table = _suffix(name), Path(name).stem.lower()
        if suffix == ".xlsx":
            _workbook_tables(data, folder)
        elif suffix in (".csv", ".parquet") and table in TABLES:
            target = folder / f"{table}{suffix}"
            target.write_bytes(utf8_csv(data, name) if suffix == ".csv" else data)
        else:
            raise _problem(f"{name}: upload a .jsonl file, or tables named {', '.join(TABLES)} "
                           "(.csv or .parquet), or an .xlsx workbook with sheets of those names")
    return folder


def utf8_csv(data: bytes, name: str) -> bytes:
    """CSV bytes as UTF-8: a UTF-8 BOM is dropped; text that is not UTF-8 is read as GB18030 (GBK's superset)."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding).encode("utf-8")
        except UnicodeDecodeError:
            continue
    raise _problem(f"{name}: not UTF-8 or GBK text")  # pragma: no cover - gb18030 decodes almost anything


def _workbook_tables(data: bytes, folder: Path) -> None:
    """Each sheet named after a table becomes ``<table>.csv``; cell values are written as they show."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds on a damaged file
        raise _problem(f"not a readable Excel workbook: {error}") from None
    found = [sheet for sheet in book.sheetnames if sheet.lower() in TABLES]
    if not found:
        raise _problem(f"the workbook has no sheet named {', '.join(TABLES)} (it has: {', '.join(book.sheetnames)})")
    for sheet in found:
        with (folder / f"{sheet.lower()}.csv").open("w", encoding="utf-8", newline="") as stream:
            writer = csv.writer(stream)
            for row in book[sheet].iter_rows(values_only=True):
                writer.writerow(["" if cell is None else _cell(cell) for cell in row])


def _cell(value: Any) -> str:
    """Whole numbers stored as floats by Excel (``2.0``) are written as ``2``; dates as ISO dates."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat()
    return str(value)


def _count(source: Path) -> int | None:
    if source.is_file():
        with source.open("rb") as stream:
            return sum(1 for line in stream if line.strip())
    return None


def _suffix(name: str) -> str:
    return Path(name).suffix.lower()


def _problem(message: str) -> DiagnosticError:
    return DiagnosticError([Diagnostic("E-UPLOAD", message)])
