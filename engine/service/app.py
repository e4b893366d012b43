"""The application factory: ``create_app(config)`` → a FastAPI app serving the API.

The API is under ``/v1`` with ``/healthz``, ``/openapi.json`` and ``/docs``; the staff
pages (``engine.web``) are at ``/``. The policies and the log are
opened before the app is returned, so a bad tree or an unreachable log stops the
start, not the first request. ``app_from_environment`` is the factory that worker
processes call (``uvicorn --factory``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from engine.service.config import ServiceConfig
from engine.service.problems import BodyLimit, LastResort, install_handlers
from engine.service.state import ServiceState

# Routes are matched in this order, one by one: the evaluation routes, which carry the load, come first.
API_ROUTERS = ("routes_evaluation", "routes_policies", "routes_batch", "routes_decisions")


def create_app(config: ServiceConfig | None = None) -> FastAPI:
    config = config or ServiceConfig()
    state = ServiceState.start(config)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        state.close()

    app = FastAPI(title="dibao", summary="Social-assistance rules as data: determinations, explanations, diffs",
                  version="1", lifespan=lifespan)
    app.state.dibao = state
    install_handlers(app)
    from importlib import import_module

    for name in API_ROUTERS:
        app.include_router(import_module(f"engine.service.{name}").router)
    from engine.web import mount_pages

    mount_pages(app, lambda: state.policies.library)

    def limit_for(path: str) -> int:
        return config.max_batch_bytes if path == "/v1/batch" else config.max_body_bytes

    app.add_middleware(BodyLimit, limit_for=limit_for)
    app.add_middleware(LastResort)
    return app


def app_from_environment() -> FastAPI:
    """For worker processes: the config the parent process put in the environment."""
    return create_app(ServiceConfig.from_environment())
