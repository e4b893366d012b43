"""Routes that evaluate households: evaluate (logged when the log is on), explain, compare.

``/v1/evaluate`` answers exactly what ``dibao evaluate`` prints, plus ``decision_id``
when the decision log is on; the answer is sent only after its row is committed.
Evaluation is short and runs on the event loop; explain and compare, which do more,
run on worker threads.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from engine.base.diagnostics import DiagnosticError
from engine.service import openapi, requests
from engine.service.group_commit import LogUnavailable
from engine.service.jsontext import JSONAnswer
from engine.service.problems import library_problem
from engine.service.state import state_of

router = APIRouter(tags=["evaluation"])


@router.post("/v1/evaluate", openapi_extra=openapi.EVALUATE, responses={
    **openapi.ANSWERS, 503: {"description": "The decision log could not record it; nothing was decided"}})
async def evaluate(request: Request) -> Response:
    """One household in a region on a date: the contract's determination (and its decision id when logged)."""
    state = state_of(request)
    asked = requests.evaluation(await request.body(), vocabulary_of=state.policies.library.vocabulary_of)
    try:
        determination = state.policies.evaluate(asked.household, asked.region, asked.as_of, asked.overrides)
    except DiagnosticError as error:
        return library_problem(error, asked.text)
    answer: dict[str, Any] = determination.to_json()
    if state.decision_log is not None:
        try:
            answer["decision_id"] = await state.decision_log.record(
                region=asked.region, as_of=asked.as_of, household=asked.record, overrides=asked.overrides,
                determination=answer)
        except LogUnavailable as error:
            return JSONResponse({"error": f"the decision log could not record this determination ({error}); "
                                          "nothing was decided"}, status_code=503)
    return JSONAnswer(answer)


@router.post("/v1/explain", openapi_extra=openapi.EXPLAIN, responses=openapi.ANSWERS)
async def explain(request: Request) -> JSONResponse:
    """Why a household got its answer: each output's rule, values, parameters and clauses, as a tree."""
    from engine.tools.explain import explain as explain_household

    state = state_of(request)
    asked = requests.evaluation(await request.body(), with_output=True,
                                vocabulary_of=state.policies.library.vocabulary_of)
    try:
        explanation = await run_in_threadpool(explain_household, state.policies.library, asked.household,
                                              asked.region, asked.as_of, asked.overrides, asked.output)
    except DiagnosticError as error:
        return library_problem(error, asked.text)
    return JSONResponse(explanation.as_dict())


@router.post("/v1/compare", openapi_extra=openapi.COMPARE, responses=openapi.ANSWERS)
async def compare(request: Request) -> JSONResponse:
    """One household through every region side by side (``set`` applies where a region has the parameter)."""
    from engine.tools.reports import compare_regions

    state = state_of(request)
    as_of, household, overrides, text = requests.comparison(await request.body(), state.policies.library.vocabulary)
    try:
        comparison = await run_in_threadpool(compare_regions, state.policies.library, household, as_of, overrides)
    except DiagnosticError as error:
        return library_problem(error, text)
    return JSONResponse(comparison)
