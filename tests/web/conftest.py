"""A real server on a free loopback port, and Chromium (the distribution's) driven by Playwright.

The browser tests need ``/usr/bin/chromium``; `.ci/run` installs it. Without it they fail
with a message saying how to install it: they are never skipped.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.service.support import Server

CHROMIUM = Path(os.environ.get("DIBAO_CHROMIUM", "/usr/bin/chromium"))
SHOTS = os.environ.get("DIBAO_SCREENSHOTS")


@pytest.fixture(scope="session")
def server() -> Iterator[str]:
    """``dibao serve`` on a free loopback port: the pages as staff get them."""
    running = Server([], {k: v for k, v in os.environ.items() if k != "DIBAO_TOKEN"}).start()
    try:
        yield f"http://127.0.0.1:{running.port}"
    finally:
        running.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail(f"browser tests need Chromium at {CHROMIUM}: apt-get install chromium (as .ci/run does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any, server: str) -> Iterator[Any]:
    context = browser.new_context(base_url=server, viewport={"width": 1200, "height": 900}, accept_downloads=True)
    opened = context.new_page()
    opened.set_default_timeout(30_000)
    yield opened
    context.close()


@pytest.fixture
def screenshot(tmp_path: Path) -> Any:
    """Save a screenshot of the page: into the test's folder, and into DIBAO_SCREENSHOTS when set (docs/web/)."""

    def take(page: Any, name: str, full_page: bool = False) -> Path:
        folder = Path(SHOTS) if SHOTS else tmp_path
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        assert path.stat().st_size > 1000
        return path

    return take
