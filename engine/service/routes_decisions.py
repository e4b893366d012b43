"""Reading the decision log: ``GET /v1/decisions?household=ID`` and ``GET /v1/decisions/{id}``.

The log holds personal data, so both need ``Authorization: Bearer <token>`` with the
token the server was started with (``DIBAO_TOKEN`` or ``--token-file``). A server
started without a token has these endpoints off (403); one without a log answers 404.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from engine.service.decision_log import DecisionLog
from engine.service.state import state_of

router = APIRouter(tags=["decision log"])

_ANSWERS: dict[int | str, dict[str, str]] = {
    401: {"description": "No bearer token, or the wrong one"},
    403: {"description": "This server was started without a token: reading the log is off"},
    404: {"description": "No decision log on this server, or no such decision"},
}


def _opened(request: Request) -> DecisionLog | JSONResponse:
    state = state_of(request)
    if state.decision_log is None:
        return JSONResponse({"error": "this server keeps no decision log (start it with --log)"}, status_code=404)
    if not state.config.token:
        return JSONResponse({"error": "reading the decision log is off: start the server with DIBAO_TOKEN or "
                                      "--token-file"}, status_code=403)
    if not state.token_accepted(request.headers.get("authorization")):
        return JSONResponse({"error": "a bearer token is required"}, status_code=401,
                            headers={"WWW-Authenticate": "Bearer"})
    return state.decision_log


@router.get("/v1/decisions", responses=_ANSWERS)
async def decisions_of(request: Request, household: Annotated[str, Query(description="The household's id")],
                       limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> JSONResponse:
    """A household's logged decisions, newest first."""
    opened = _opened(request)
    if isinstance(opened, JSONResponse):
        return opened
    found = await run_in_threadpool(opened.of_household, household, limit)
    return JSONResponse({"household": household, "decisions": [d.as_dict() for d in found]})


@router.get("/v1/decisions/{decision_id}", responses=_ANSWERS)
async def decision(request: Request, decision_id: str) -> JSONResponse:
    """One logged decision: when, region, date, policy version and digest, record, overrides, determination."""
    opened = _opened(request)
    if isinstance(opened, JSONResponse):
        return opened
    found = await run_in_threadpool(opened.get, decision_id)
    if found is None:
        return JSONResponse({"error": f"no decision {decision_id!r}"}, status_code=404)
    return JSONResponse(found.as_dict())
