"""The staff pages (Chinese by default, English by a switch), mounted on the HTTP service.

``mount_pages(app, get_library)`` adds the pages at ``/`` and their bundled assets at
``/static``; the pages read without JavaScript and need nothing from the network.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from engine.runtime.library import PolicyLibrary
from engine.web.caseload_jobs import Jobs
from engine.web.pages import pages_router

STATIC = Path(__file__).parent / "static"


def mount_pages(app: FastAPI, get_library: Callable[[], PolicyLibrary]) -> Jobs:
    """Add the pages and their assets to ``app``; the caseload runs' files go when the app stops."""
    jobs = Jobs()
    app.include_router(pages_router(get_library, jobs))
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.router.on_shutdown.append(jobs.close)
    return jobs


__all__ = ["mount_pages"]
