"""The real server, started as ``dibao serve`` on a free loopback port, and a real PostgreSQL.

``server`` starts one (with the options given) and stops it at the end of the test;
``http`` talks HTTP to it with the standard library. ``postgres_url`` is a real
PostgreSQL server: the one named by ``DIBAO_TEST_POSTGRES`` (``.ci/run`` starts one from
the distribution's packages), or else a throwaway cluster made with the installed
PostgreSQL binaries. With neither, the tests that need it fail: they are not skipped.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = json.loads((ROOT / "examples/households/contract_example.json").read_text(encoding="utf-8"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Answer:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Server:
    """A running ``dibao serve`` process."""

    args: list[str]
    env: dict[str, str]
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None

    def start(self, wait: float = 60.0) -> Server:
        self.port = free_port()
        handle, name = tempfile.mkstemp(prefix="dibao-serve-", suffix=".log")
        os.close(handle)
        self.log_path = Path(name)
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "engine.cli", "serve", "--port", str(self.port), *self.args],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"dibao serve exited {self.process.returncode}: {self.output()}")
            try:
                if self.call("GET", "/healthz").status == 200:
                    return self
            except OSError:
                time.sleep(0.1)
        raise AssertionError(f"dibao serve did not answer in {wait} s: {self.output()}")

    def call(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None,
             timeout: float = 60.0) -> Answer:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            data = body if isinstance(body, (bytes, type(None))) else json.dumps(body, ensure_ascii=False).encode()
            connection.request(method, path, body=data, headers=headers or {})
            response = connection.getresponse()
            return Answer(response.status, response.read(), {k.lower(): v for k, v in response.getheaders()})
        finally:
            connection.close()

    def output(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path else ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()


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


def dibao(*args: str, input_text: str | None = None) -> subprocess.CompletedProcess[str]:
    """The command line, as a user runs it."""
    return subprocess.run([sys.executable, "-m", "engine.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          input=input_text, timeout=300)


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
                    "distribution's postgresql package (.ci/postgres.sh does both, as root)")
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
