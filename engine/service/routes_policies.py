"""Routes that read the policy tree: regions, one region, one parameter's history, the diff, health."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from engine.base.diagnostics import DiagnosticError
from engine.service.openapi import ANSWERS
from engine.service.requests import Problems, RequestProblem, at
from engine.service.state import state_of

router = APIRouter()

SetQuery = Annotated[list[str] | None, Query(alias="set", description="Override a parameter: NAME=VALUE (repeatable)")]


@router.get("/healthz", tags=["service"])
async def healthz(request: Request) -> dict[str, Any]:
    """Alive, with the number of regions loaded and the kind of decision log."""
    state = state_of(request)
    log = state.decision_log
    return {"status": "ok", "regions": len(state.policies.library.regions),
            "decision_log": log.engine.dialect.name if log is not None else None}


@router.get("/v1/regions", tags=["policies"])
async def regions(request: Request) -> JSONResponse:
    """Every region: version, digest (today, or at its span's end), span, outputs, parameters to supply."""
    from engine.tools.reports import region_summaries

    library = state_of(request).policies.library
    return JSONResponse(await run_in_threadpool(region_summaries, library))


@router.get("/v1/regions/{region:path}/parameters/{name}", tags=["policies"], responses=ANSWERS)
async def parameter(request: Request, region: str, name: str) -> JSONResponse:
    """The dated history of one parameter, each value with the clause it comes from."""
    policies = state_of(request).policies
    return JSONResponse(await run_in_threadpool(policies.parameter_history, region, name))


@router.get("/v1/regions/{region:path}", tags=["policies"], responses=ANSWERS)
async def region(request: Request, region: str) -> JSONResponse:
    """One region's rules (label, clause, quote, expression, note) and parameters with their history."""
    policies = state_of(request).policies
    return JSONResponse(await run_in_threadpool(policies.region_detail, region))


@router.get("/v1/diff", tags=["policies"], responses=ANSWERS)
async def diff(request: Request, old: Annotated[str, Query(examples=["hebi@2017-06-30"])],
               new: Annotated[str, Query(examples=["hebi@2017-07-01"])],
               set_: SetQuery = None) -> JSONResponse:
    """The semantic diff of two resolved policies (REGION@DATE each): parameters and rules changed, outputs reached."""
    from engine.tools.diff import diff_report, parse_spec, side

    library = state_of(request).policies.library
    specs = {}
    problems: Problems = []
    for key, spec in (("old", old), ("new", new)):
        try:
            specs[key] = parse_spec(spec)
        except DiagnosticError as error:
            problems += [at((key,), d) for d in error.diagnostics]
    overrides = query_overrides(set_, problems)
    if problems:
        raise RequestProblem(problems)

    def report() -> dict[str, Any]:
        sides = [side(label, library, *specs[key], overrides) for key, label in (("old", old), ("new", new))]
        return diff_report(*sides)

    return JSONResponse(await run_in_threadpool(report))


def query_overrides(items: list[str] | None, problems: Problems) -> dict[str, str]:
    """``set=NAME=VALUE`` query parameters."""
    from engine.base.diagnostics import Diagnostic

    found: dict[str, str] = {}
    for item in items or ():
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or not value.strip():
            problems.append(Diagnostic("E-REQUEST", f"set: {item!r}: write NAME=VALUE", path=("set",)))
        else:
            found[name.strip()] = value.strip()
    return found
