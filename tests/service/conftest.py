"""Fixtures of the service tests: the real server, and a real PostgreSQL.

``server`` starts ``dibao serve`` on a free loopback port (with the options given) and stops
it at the end of the test. ``postgres_url`` is a real PostgreSQL server: the one named by
``DIBAO_TEST_POSTGRES``, or else a throwaway cluster made with the installed PostgreSQL
binaries. With neither, the tests that need it fail: they are not skipped.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.service.support import Server, free_port


@pytest.fixture
def server() -> Iterator[Callable[..., Server]]:
    started: list[Server] = []

    def start(*args: str, token: str | None = None) -> Server:
        env = {k: v for k, v in os.environ.items() if k != "DIBAO_TOKEN"}
        if token is not None:
            env["DIBAO_TOKEN"] = token
        launched = Server(list(args), env)
        started.append(launched)
        return launched.start()

    yield start
    for launched in started:
        launched.stop()
        if launched.log_path is not None:
            launched.log_path.unlink(missing_ok=True)


# --- PostgreSQL -----------------------------------------------------------------------------------


def _postgres_binaries() -> Path | None:
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    return versions[-1].parent if versions else None


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A real PostgreSQL: ``DIBAO_TEST_POSTGRES``, or a throwaway cluster; failing (not skipping) without one."""
    given = os.environ.get("DIBAO_TEST_POSTGRES")
    if given:
        yield given
        return
    binaries = _postgres_binaries()
    if binaries is None:
        pytest.fail("these tests need PostgreSQL: set DIBAO_TEST_POSTGRES=postgresql://… or install the "
                    "distribution's postgresql package (make test installs it, as root)")
    folder = Path(tempfile.mkdtemp(prefix="dibao-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root: the package's postgres user runs it
        shutil.chown(folder, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    data, port = folder / "data", free_port()
    subprocess.run([*as_user, str(binaries / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"],
                   check=True, capture_output=True)
    subprocess.run([*as_user, str(binaries / "pg_ctl"), "-D", str(data), "-w", "-l", str(folder / "log"), "-o",
                    f"-p {port} -k {folder} -c listen_addresses=127.0.0.1", "start"], check=True, capture_output=True)
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*as_user, str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def log_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty decision log on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        yield str(tmp_path / "decisions.db")
        return
    base = request.getfixturevalue("postgres_url")
    import sqlalchemy as sa

    from engine.service.decision_log import database_url

    name = f"dibao_test_{os.getpid()}_{time.monotonic_ns()}"
    admin = sa.create_engine(database_url(base), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = base.rsplit("/", 1)[0] + "/" + name
    try:
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
