"""The decision log: every determination the service gives, committed before it is given.

One table, ``decisions``: id, time, region, date, policy version and digest, the
household's id and record, the overrides and the determination. SQLite is the
embedded default (``--log decisions.db``), PostgreSQL is reached by URL
(``postgresql://…``, through psycopg 3), both through SQLAlchemy; the schema is
created, or migrated step by step, when the log is opened.

``DecisionLog.record`` is awaited by a request: rows from concurrent requests are
written by one thread in one transaction (group commit, ``engine.service.group_commit``),
and each request resumes only after that transaction has committed, so every decision
id a client has seen is in the log, even if the server is killed the next instant.
On SQLite the log is in WAL mode with ``synchronous=FULL``: a commit is synced to
disk before it returns, so a committed row survives a power failure too, not only
the death of the server.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import random
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from engine.base.diagnostics import Diagnostic, DiagnosticError
from engine.service.group_commit import GroupCommit
from engine.service.jsontext import json_text

SCHEMA_VERSION = 1

metadata = sa.MetaData()
schema_table = sa.Table("dibao_schema", metadata, sa.Column("version", sa.Integer, nullable=False))
decisions = sa.Table(
    "decisions", metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("region", sa.String(200), nullable=False),
    sa.Column("as_of", sa.Date, nullable=False),
    sa.Column("policy_version", sa.String(200), nullable=False),
    sa.Column("policy_digest", sa.String(100), nullable=False),
    sa.Column("household_id", sa.String(500), nullable=False, index=True),
    sa.Column("household", sa.Text, nullable=False),
    sa.Column("overrides", sa.Text, nullable=False),
    sa.Column("determination", sa.Text, nullable=False),
)

# Each step brings the schema from version N-1 to N; a new column or index is a new step.
MIGRATIONS: tuple[tuple[sa.Table, ...], ...] = ((decisions,),)


@dataclass(frozen=True)
class Decision:
    """One logged determination."""

    id: str
    recorded_at: datetime
    region: str
    as_of: date
    policy_version: str
    policy_digest: str
    household_id: str
    household: dict[str, Any]
    overrides: dict[str, str]
    determination: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {"decision_id": self.id, "recorded_at": self.recorded_at.isoformat(), "region": self.region,
                "date": self.as_of.isoformat(),
                "policy": {"version": self.policy_version, "digest": self.policy_digest},
                "household_id": self.household_id, "household": self.household, "set": self.overrides,
                "determination": self.determination}


def database_url(target: str) -> str:
    """``decisions.db`` → SQLite; ``postgresql://…`` → PostgreSQL through psycopg 3; other URLs as given."""
    if target.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + target.split("://", 1)[1]
    if "://" in target:
        return target
    return "sqlite:///" + str(Path(target).expanduser().resolve())


def exact_json(value: Any) -> str:
    """JSON with decimals written as their exact digits (as strings, which household records accept)."""
    return json_text(value)


class DecisionLog:
    """An opened log: its schema is current, and rows can be recorded and read."""

    def __init__(self, target: str) -> None:
        self.url = database_url(target)
        try:
            self.engine = sa.create_engine(self.url, pool_pre_ping=True)
        except (sa.exc.ArgumentError, ImportError) as error:
            raise DiagnosticError([Diagnostic("E-LOG", f"cannot use decision log {target!r}: {error}")]) from None
        if self.engine.dialect.name == "sqlite":
            sa.event.listen(self.engine, "connect", _sqlite_settings)
        self._writer: GroupCommit | None = None
        self._rows: _RowWriter | None = None
        try:
            migrate(self.engine)
        except sa.exc.SQLAlchemyError as error:
            cause = getattr(error, "orig", None) or error
            raise DiagnosticError([Diagnostic("E-LOG", f"cannot open decision log {_safe(target)}: "
                                              f"{type(cause).__name__}: {_first_line(error)}")]) from None

    def close(self) -> None:
        if self._writer is not None:
            self._writer.stop()
        if self._rows is not None:
            self._rows.close()
        self.engine.dispose()

    # --- writing -------------------------------------------------------------------------------------

    async def record(self, *, region: str, as_of: date, household: Mapping[str, Any], overrides: Mapping[str, str],
                     determination: Mapping[str, Any]) -> str:
        """Log one determination; returns its id once the row is committed (raises ``LogUnavailable`` if not)."""
        if self._writer is None:
            self._rows = _RowWriter(self.engine)
            self._writer = GroupCommit(self._rows.write)
        row = new_row(region=region, as_of=as_of, household=household, overrides=overrides,
                      determination=determination)
        await self._writer.commit(row)
        return str(row["id"])

    # --- reading -------------------------------------------------------------------------------------

    def get(self, decision_id: str) -> Decision | None:
        with self.engine.connect() as connection:
            row = connection.execute(decisions.select().where(decisions.c.id == decision_id)).first()
        return _decision(row) if row is not None else None

    def of_household(self, household_id: str, limit: int = 100) -> list[Decision]:
        query = (decisions.select().where(decisions.c.household_id == household_id)
                 .order_by(decisions.c.recorded_at.desc(), decisions.c.id).limit(limit))
        with self.engine.connect() as connection:
            return [_decision(row) for row in connection.execute(query)]

    def all(self, since: date | None = None, batch: int = 1000) -> Iterator[Decision]:
        """Every decision, oldest first (from ``since`` on, in UTC), read in batches."""
        query = decisions.select().order_by(decisions.c.recorded_at, decisions.c.id)
        if since is not None:
            query = query.where(decisions.c.recorded_at >= _stored_time(
                datetime(since.year, since.month, since.day, tzinfo=UTC), self.engine))
        with self.engine.connect() as connection:
            result = connection.execution_options(yield_per=batch).execute(query)
            for row in result:
                yield _decision(row)

    def count(self) -> int:
        with self.engine.connect() as connection:
            return int(connection.execute(sa.select(sa.func.count()).select_from(decisions)).scalar_one())


def new_row(*, region: str, as_of: date, household: Mapping[str, Any], overrides: Mapping[str, str],
            determination: Mapping[str, Any]) -> dict[str, Any]:
    """A row to insert. Its id is a random UUID (122 random bits, so workers need not agree on ids), drawn
    from ``random`` rather than ``os.urandom``: the id is no secret (reading the log takes the token), and
    this saves a system call on every request."""
    identifier = str(uuid.UUID(int=random.getrandbits(128), version=4))
    return {"id": identifier, "recorded_at": datetime.now(UTC), "region": region, "as_of": as_of,
            "policy_version": determination["policy"]["version"], "policy_digest": determination["policy"]["digest"],
            "household_id": str(determination["household"]), "household": exact_json(household),
            "overrides": exact_json(dict(overrides)), "determination": exact_json(determination)}


def migrate(engine: sa.Engine) -> int:
    """Bring the schema to ``SCHEMA_VERSION``: create it in an empty database, or apply the missing steps."""
    with engine.begin() as connection:
        schema_table.create(connection, checkfirst=True)
        found = connection.execute(sa.select(schema_table.c.version)).scalar()
        version = int(found or 0)
        if version > SCHEMA_VERSION:
            raise DiagnosticError([Diagnostic("E-LOG", f"the decision log's schema is version {version}; this "
                                              f"dibao knows versions up to {SCHEMA_VERSION}: upgrade dibao")])
        for step in MIGRATIONS[version:]:
            for table in step:
                table.create(connection, checkfirst=True)
        if found is None:
            connection.execute(schema_table.insert().values(version=SCHEMA_VERSION))
        elif version < SCHEMA_VERSION:
            connection.execute(schema_table.update().values(version=SCHEMA_VERSION))
    return SCHEMA_VERSION


class _RowWriter:
    """Inserts groups of rows, each group one transaction, on a connection kept open between groups.

    Keeping the connection saves a pool check-out and a liveness query per group; after a
    failure it is dropped and the next group opens another (a PostgreSQL connection found
    broken before anything was written is replaced and the group tried once more). On
    SQLite, processes sharing the file take turns through an exclusive lock on a file
    beside it (``<file>.writer-lock``), held for each transaction: a process waiting for its
    turn is woken the moment the other has committed, where SQLite's busy handler would
    sleep and poll (up to 100 ms at a time).
    """

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.connection: sa.Connection | None = None
        database = engine.url.database if engine.dialect.name == "sqlite" else None
        self.turns = _FileTurns(Path(database + ".writer-lock")) if database and database != ":memory:" else None

    def write(self, rows: Sequence[dict[str, Any]]) -> None:
        with self.turns or contextlib.nullcontext():
            for attempt in (1, 2):
                connection = self.connection = self.connection or self.engine.connect()
                try:
                    transaction = connection.begin()
                    connection.execute(decisions.insert(), list(rows))
                except sa.exc.DBAPIError as error:
                    self._drop()
                    if attempt == 1 and error.connection_invalidated:
                        continue  # nothing was written: a broken connection, replaced
                    raise
                except BaseException:
                    self._drop()
                    raise
                try:
                    transaction.commit()
                except BaseException:
                    self._drop()
                    raise
                return

    def close(self) -> None:
        self._drop()
        if self.turns is not None:
            self.turns.close()

    def _drop(self) -> None:
        connection, self.connection = self.connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                connection.invalidate()


class _FileTurns:
    """An exclusive ``flock`` on one file, taken and released around each use (``with``)."""

    def __init__(self, path: Path) -> None:
        self.descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)

    def __enter__(self) -> None:
        fcntl.flock(self.descriptor, fcntl.LOCK_EX)

    def __exit__(self, *_exception: object) -> None:
        fcntl.flock(self.descriptor, fcntl.LOCK_UN)

    def close(self) -> None:
        os.close(self.descriptor)


def _sqlite_settings(connection: Any, _record: Any) -> None:
    """WAL lets readers and the writer work at once; FULL makes each commit durable; wait for a busy lock."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _stored_time(moment: datetime, engine: sa.Engine) -> datetime:
    return moment.replace(tzinfo=None) if engine.dialect.name == "sqlite" else moment


def _decision(row: Any) -> Decision:
    recorded = row.recorded_at if row.recorded_at.tzinfo else row.recorded_at.replace(tzinfo=UTC)
    return Decision(row.id, recorded, row.region, row.as_of, row.policy_version, row.policy_digest,
                    row.household_id, json.loads(row.household), json.loads(row.overrides),
                    json.loads(row.determination))


def _safe(target: str) -> str:
    """A URL without its password, for messages."""
    if "://" in target and "@" in target:
        scheme, rest = target.split("://", 1)
        credentials, host = rest.rsplit("@", 1)
        return f"{scheme}://{credentials.split(':', 1)[0]}:***@{host}"
    return target


def _first_line(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error)
    return text.splitlines()[0][:300] if text else ""
