"""``POST /v1/batch``: a caseload through one region, every record answered or rejected.

The caseload is a JSON Lines body, or a JSON Lines file uploaded as ``file`` in a
multipart form; at most ``max_batch_bytes`` and ``max_batch_records`` (413 past
either). It is run by the batch engine (``engine.batch.run.run_batch``) in a temporary
folder, and the answer holds every row and every rejected record with its line and
reason: records = rows + rejected, always.
"""

from __future__ import annotations

import json
import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from engine.base.diagnostics import Diagnostic, DiagnosticError
from engine.service import openapi
from engine.service.problems import library_problem
from engine.service.requests import Problems, RequestProblem
from engine.service.routes_policies import SetQuery, query_overrides
from engine.service.state import ServiceState, state_of

router = APIRouter(tags=["evaluation"])


@router.post("/v1/batch", openapi_extra=openapi.BATCH, responses=openapi.ANSWERS)
async def batch(request: Request, region: Annotated[str, Query(examples=["hebi"])],
                date_: Annotated[str, Query(alias="date", examples=["2017-10-01"])],
                set_: SetQuery = None) -> JSONResponse:
    """Evaluate a caseload (JSON Lines) and answer with its rows and its rejected records."""
    state = state_of(request)
    problems: Problems = []
    overrides = query_overrides(set_, problems)
    as_of = _day(date_, problems)
    if problems:
        raise RequestProblem(problems)
    assert as_of is not None
    content = await _caseload(request)
    records = sum(1 for line in content.split(b"\n") if line.strip())
    limit = state.config.max_batch_records
    if records > limit:
        return JSONResponse({"error": f"{records} records; a request may hold at most {limit}",
                             "limit_records": limit}, status_code=413)
    try:
        answer = await run_in_threadpool(_run, state, region, as_of, overrides, content)
    except DiagnosticError as error:
        return library_problem(error)
    return JSONResponse(answer)


async def _caseload(request: Request) -> bytes:
    kind = request.headers.get("content-type", "")
    if kind.startswith("multipart/form-data"):
        async with request.form(max_files=1, max_fields=0) as form:
            upload = form.get("file")
            if upload is None or isinstance(upload, str):
                raise RequestProblem([Diagnostic("E-REQUEST", "file: upload the caseload as 'file'", path=("file",))])
            return bytes(await upload.read())
    return await request.body()


def _day(text: str, problems: Problems) -> date | None:
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
    except ValueError:
        pass
    problems.append(Diagnostic("E-REQUEST", f"date: {text!r} is not a date written YYYY-MM-DD", path=("date",)))
    return None


def _run(state: ServiceState, region: str, as_of: date, overrides: dict[str, str], content: bytes) -> dict[str, Any]:
    from engine.batch.run import fen_text, run_batch

    with tempfile.TemporaryDirectory(prefix="dibao-batch-") as folder:
        source, out, errors = (Path(folder) / name for name in ("caseload.jsonl", "rows.jsonl", "rejected.jsonl"))
        source.write_bytes(content)
        summary = run_batch(state.policies.library, region, as_of, source, out, errors, overrides)
        rows = _lines(out)
        rejected = _lines(errors)
    if summary.records != len(rows) + len(rejected):  # pragma: no cover - an invariant of run_batch
        raise RuntimeError("records in differ from rows out + rejected")
    return {"region": region, "date": as_of.isoformat(),
            "policy": {"version": summary.version, "digest": summary.digest},
            "records": summary.records, "eligible": summary.eligible,
            "benefit_monthly": fen_text(summary.benefit_monthly_fen), "rows": rows, "rejected": rejected}


def _lines(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as stream:
        return [json.loads(line) for line in stream if line.strip()]
