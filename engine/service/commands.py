"""The service's commands: ``dibao serve``, ``dibao decisions export``, ``dibao replay``.

They need the ``serve`` extra (FastAPI, uvicorn, SQLAlchemy, psycopg); without it
each says how to install it and exits 2.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import date
from pathlib import Path
from typing import Any

import click

from engine.base.diagnostics import Diagnostic, DiagnosticError
from engine.cli_options import date_value, policies_option, reports_problems

log_option = click.option("--log", "log_url", metavar="URL",
                          help="The decision log: a SQLite file (decisions.db) or postgresql://user@host/db.")


def _needs_extra() -> None:
    import importlib.util

    missing = [m for m in ("fastapi", "uvicorn", "sqlalchemy", "orjson") if importlib.util.find_spec(m) is None]
    if missing:
        raise DiagnosticError([Diagnostic("E-INSTALL", f"this command needs {', '.join(missing)}: "
                                          "pip install 'dibao[serve]'")])


def _token(token_file: Path | None) -> str | None:
    if token_file is not None:
        try:
            token = token_file.read_text(encoding="utf-8").strip()
        except OSError as error:
            raise DiagnosticError([Diagnostic("E-IO", f"{token_file}: {error.strerror or error}")]) from None
        if not token:
            raise DiagnosticError([Diagnostic("E-IO", f"{token_file}: the token file is empty")])
        return token
    return os.environ.get("DIBAO_TOKEN", "").strip() or None


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on.")
@policies_option
@log_option
@click.option("--token-file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="A file holding the bearer token for reading the log (default: $DIBAO_TOKEN).")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Worker processes (each loads the policies and opens the log).")
@click.option("--access-log/--no-access-log", default=True, show_default=True,
              help="One line per request: method, path (no query), status, time. Never a household record.")
@reports_problems
def serve_command(host: str, port: int, policies: Path | None, params: tuple[Path, ...], log_url: str | None,
                  token_file: Path | None, workers: int, access_log: bool) -> None:
    """Serve the HTTP API (OpenAPI at /openapi.json, docs at /docs) until stopped."""
    _needs_extra()
    import uvicorn

    from engine.service.app import create_app
    from engine.service.config import ENVIRONMENT_KEY, ServiceConfig

    config = ServiceConfig(policies=policies, params=params, log_url=log_url, token=_token(token_file))
    _logging(access_log)
    app = create_app(config)  # opens the policies and the log (schema made or migrated) before listening
    click.echo(f"dibao serve: {len(app.state.dibao.policies.library.regions)} regions; decision log "
               f"{'on' if log_url else 'off'}; reading the log {'on' if config.token else 'off'}", err=True)
    if workers == 1:
        uvicorn.run(app, host=host, port=port, access_log=False, log_config=None)
        return
    app.state.dibao.close()
    os.environ[ENVIRONMENT_KEY] = config.to_environment()
    uvicorn.run("engine.service.app:app_from_environment", factory=True, host=host, port=port, workers=workers,
                access_log=False, log_config=None)


def _logging(access_log: bool) -> None:
    import logging

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    for name in ("dibao.serve", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.propagate = False
        logger.setLevel(logging.INFO)
    if not access_log:
        logging.getLogger("dibao.serve").setLevel(logging.WARNING)


@click.group("decisions")
def decisions_group() -> None:
    """The decision log kept by dibao serve --log."""


@decisions_group.command("export")
@click.option("--log", "log_url", required=True, metavar="URL", help="The decision log (file or URL).")
@click.option("--since", default=None, callback=date_value, help="Only decisions recorded on or after this day (UTC).")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Output: .jsonl or .parquet (written whole or not at all).")
@reports_problems
def export_command(log_url: str, since: date | None, out: Path) -> None:
    """Write the logged decisions to a file."""
    _needs_extra()
    from engine.service.export import export

    decision_log = _existing(log_url)
    try:
        count = export(decision_log.all(since), out)
    finally:
        decision_log.close()
    click.echo(f"{count} decisions → {out}", err=True)


def _existing(log_url: str) -> Any:
    from engine.service.decision_log import DecisionLog, database_url

    url = database_url(log_url)
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        raise DiagnosticError([Diagnostic("E-IO", f"{log_url}: no such decision log")])
    return DecisionLog(log_url)


@click.command("replay")
@click.option("--log", "log_url", required=True, metavar="URL", help="The decision log (file or URL).")
@click.option("--rev", "revision", default=None, help="Replay under the policies at this git revision.")
@click.option("--since", default=None, callback=date_value, help="Only decisions recorded on or after this day (UTC).")
@click.option("--json", "as_json", is_flag=True, help="As JSON.")
@policies_option
@reports_problems
def replay_command(log_url: str, revision: str | None, since: date | None, as_json: bool,
                   policies: Path | None, params: tuple[Path, ...]) -> None:
    """Re-evaluate logged decisions under another policy tree; exit 1 when any determination would change."""
    _needs_extra()
    from engine.runtime.library import PolicyLibrary
    from engine.service.replay import replay
    from engine.tools.diff import tree_at_revision

    here = PolicyLibrary.open(policies, params)
    if revision is not None:
        library = PolicyLibrary.open(tree_at_revision(revision, here.root.parent), params)
        label = f"revision {revision}"
    else:
        library, label = here, str(policies or here.root)
    decision_log = _existing(log_url)
    try:
        result = replay(decision_log.all(since), library, label)
    finally:
        decision_log.close()
    report = result.as_dict()
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        _print_replay(report)
    sys.exit(1 if result.changed else 0)


def _print_replay(report: dict[str, Any]) -> None:
    from engine.tools.reports import print_impact

    click.echo(f"replay of {report['decisions_read']} logged decisions under {report['new']}")
    for region, digests in report["old_digests"].items():
        click.echo(f"  {region}: logged under {', '.join(d[:19] + '…' for d in digests)}")
    for where, digest in report["new_digests"].items():
        click.echo(f"  {where}: now {digest[:19]}…")
    print_impact(report["impact"])
    changed = report["determinations_changed"]
    click.echo(f"determinations that would change: {len(changed)}")
    for key, names in list(changed.items())[:20]:
        click.echo(f"  {key}: {', '.join(names)}")
