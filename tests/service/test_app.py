"""The application factory in process: room for other routers at ``/``, and the last-resort guard."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest
from fastapi import APIRouter

from engine.service.app import create_app


def _call(app: Any, method: str, path: str) -> tuple[int, bytes]:
    """One request through the ASGI interface, no network."""
    messages: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    scope = {"type": "http", "method": method, "path": path, "raw_path": path.encode(), "query_string": b"",
             "headers": [], "http_version": "1.1", "scheme": "http", "server": ("127.0.0.1", 80),
             "client": ("127.0.0.1", 1), "root_path": ""}
    asyncio.run(app(scope, receive, send))
    status = next(m["status"] for m in messages if m["type"] == "http.response.start")
    return status, b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")


def test_the_staff_pages_are_at_the_root_beside_the_api() -> None:
    app = create_app()
    status, body = _call(app, "GET", "/")
    assert status == 200 and '<html lang="zh-CN">' in body.decode()
    status, body = _call(app, "GET", "/healthz")
    assert status == 200 and json.loads(body)["status"] == "ok"


def test_an_unexpected_exception_is_a_plain_500_and_one_log_line(caplog: pytest.LogCaptureFixture) -> None:
    app = create_app()
    broken = APIRouter()

    @broken.get("/broken")
    async def fail() -> None:
        raise ValueError("household HB-SECRET income 1200")

    app.include_router(broken)
    with caplog.at_level(logging.INFO, logger="dibao.serve"):
        status, body = _call(app, "GET", "/broken")
    assert status == 500 and json.loads(body) == {"error": "internal error"}
    assert "HB-SECRET" not in caplog.text and "Traceback" not in caplog.text
    assert "ValueError at test_app.py" in caplog.text
