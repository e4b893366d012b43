"""The application the page tests serve: the staff pages over the bundled policy tree."""

from __future__ import annotations

from fastapi import FastAPI

from engine.library import PolicyLibrary
from engine.web import mount_pages


def create_app() -> FastAPI:
    app = FastAPI()
    library = PolicyLibrary.open()
    mount_pages(app, lambda: library)
    return app
