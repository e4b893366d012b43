"""How the API says no: located diagnostics (422), unknown region (404), too large (413).

Every failure is a JSON body, never a traceback. ``BodyLimit`` refuses a body over
the route's limit, by its declared length or while it arrives. ``LastResort`` is the
outermost guard: an unexpected exception becomes a plain 500 and one line in the
server log naming the exception's type and where it was raised, never its message
or anything from the request (messages can quote a household record).
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from engine.base.diagnostics import Diagnostic, DiagnosticError
from engine.service.requests import RequestProblem, as_data, from_library, located

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

log = logging.getLogger("dibao.serve")

NOT_FOUND_CODES = frozenset({"E-REGION", "E-PARAMETER", "E-DECISION"})


class TooLarge(Exception):
    """A request body past its route's limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.limit = limit


def too_large(limit: int) -> JSONResponse:
    return JSONResponse({"error": "request body too large", "limit_bytes": limit}, status_code=413)


def unprocessable(problem: RequestProblem) -> JSONResponse:
    return JSONResponse({"error": "bad input", "diagnostics": located(problem)}, status_code=422)


def library_problem(error: DiagnosticError, text: str = "") -> JSONResponse:
    """404 when what was asked for does not exist (a region, a parameter), 422 otherwise."""
    if any(d.code in NOT_FOUND_CODES for d in error.diagnostics):
        return JSONResponse({"error": "not found", "diagnostics": [as_data(d) for d in error.diagnostics]},
                            status_code=404)
    return unprocessable(from_library(error, text))


def install_handlers(app: FastAPI) -> None:
    """Problems raised by routes become their JSON answers."""

    async def on_request_problem(_request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RequestProblem)
        return unprocessable(error)

    async def on_diagnostics(_request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, DiagnosticError)
        return library_problem(error)

    async def on_too_large(_request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, TooLarge)
        return too_large(error.limit)

    async def on_invalid_parameters(_request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RequestValidationError)
        return unprocessable(RequestProblem([_parameter_problem(e) for e in error.errors()]))

    app.add_exception_handler(RequestProblem, on_request_problem)
    app.add_exception_handler(RequestValidationError, on_invalid_parameters)
    app.add_exception_handler(DiagnosticError, on_diagnostics)
    app.add_exception_handler(TooLarge, on_too_large)


def _parameter_problem(error: Mapping[str, Any]) -> Diagnostic:
    """A query or path parameter FastAPI found missing or malformed, as one of our diagnostics."""
    where = tuple(part for part in error.get("loc", ()) if part not in ("query", "path", "body"))
    name = ".".join(str(part) for part in where) or "request"
    return Diagnostic("E-REQUEST", f"{name}: {str(error.get('msg', 'invalid')).lower()}", path=where)


class BodyLimit:
    """Refuse bodies over ``limit_for(path)`` bytes with 413, before reading them when the length is declared."""

    def __init__(self, app: ASGIApp, limit_for: Callable[[str], int]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            response = too_large(limit) if declared.isdigit() else JSONResponse(
                {"error": "bad Content-Length header"}, status_code=400)
            await response(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                raise TooLarge(limit)
            return message

        await self.app(scope, counted, send)


class LastResort:
    """The outermost layer: an access line per request, and no exception or traceback ever leaves."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        responded = False

        async def watched(message: Message) -> None:
            nonlocal status, responded
            if message["type"] == "http.response.start":
                status, responded = message["status"], True
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception as error:
            log.error("internal error in %s %s: %s", scope.get("method"), scope.get("path"), _where(error))
            if not responded:
                await JSONResponse({"error": "internal error"}, status_code=500)(scope, receive, send)
                status = 500
        log.info("%s %s %d %.1f ms", scope.get("method"), scope.get("path"), status,
                 (time.perf_counter() - started) * 1000)


def _where(error: BaseException) -> str:
    """The exception's type and the frames it passed through, without its message."""
    frames = traceback.extract_tb(error.__traceback__)
    return type(error).__name__ + " at " + " < ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} {f.name}"
                                                       for f in reversed(frames[-6:]))
