"""The HTTP service (``dibao serve``), its decision log and the replay of logged decisions.

``app.create_app(config)`` builds the FastAPI application from a ``ServiceConfig``;
the API lives under ``/v1`` (with ``/healthz``), so other routers, such as staff
pages served from ``/``, can be added to the same application. Nothing here evaluates
a rule itself: every answer comes from the library (``engine.runtime.evaluate``, ``explain``,
``diff``, ``reports``, ``batch``). The web dependencies are the ``serve`` extra; this
package imports none of them until a module that needs them is imported.
"""
