"""Group commit and the log's writer: rows of concurrent requests share one transaction, nobody is
woken before it is committed, a failed commit fails every request in it, processes sharing a SQLite
log take turns by a file lock, and JSON is written as the standard library would write it."""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
import threading
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from engine.service.decision_log import DecisionLog
from engine.service.group_commit import GroupCommit, LogUnavailable
from engine.service.jsontext import json_bytes

DETERMINATION = {"region": "hebi", "policy": {"version": "2017.2", "digest": "sha256:0"}, "household": "HB-1",
                 "outputs": {"dibao.eligible": True}}


class Gate:
    """A ``write`` that records each group and waits until it is let through."""

    def __init__(self, fail: bool = False) -> None:
        self.groups: list[list[int]] = []
        self.entered = threading.Event()
        self.release = threading.Event()
        self.fail = fail

    def write(self, rows: Sequence[dict[str, Any]]) -> None:
        self.groups.append([row["n"] for row in rows])
        self.entered.set()
        assert self.release.wait(10)
        if self.fail:
            raise OSError("disk full")


def test_rows_queued_together_are_one_group_and_nobody_is_woken_before_the_commit() -> None:
    gate = Gate()
    writer = GroupCommit(gate.write)

    async def scenario() -> None:
        first = asyncio.ensure_future(writer.commit({"n": 0}))
        await asyncio.get_running_loop().run_in_executor(None, gate.entered.wait, 10)
        rest = [asyncio.ensure_future(writer.commit({"n": n})) for n in range(1, 6)]
        await asyncio.sleep(0.2)
        assert not any(task.done() for task in [first, *rest])  # the first commit has not returned
        gate.release.set()
        await asyncio.wait_for(asyncio.gather(first, *rest), 10)

    try:
        asyncio.run(scenario())
    finally:
        writer.stop()
    assert gate.groups == [[0], [1, 2, 3, 4, 5]]


def test_a_failed_commit_fails_every_request_of_its_group() -> None:
    gate = Gate(fail=True)
    gate.release.set()
    writer = GroupCommit(gate.write)

    async def scenario() -> list[BaseException | None]:
        results = await asyncio.gather(*(writer.commit({"n": n}) for n in range(4)), return_exceptions=True)
        return list(results)

    try:
        results = asyncio.run(scenario())
    finally:
        writer.stop()
    assert all(isinstance(result, LogUnavailable) and str(result) == "OSError" for result in results)


def test_writers_sharing_a_sqlite_log_take_turns_by_the_lock_file(tmp_path: Path) -> None:
    database = tmp_path / "decisions.db"
    log = DecisionLog(str(database))
    held = os.open(str(database) + ".writer-lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(held, fcntl.LOCK_EX)  # as another worker process in its commit holds it

    async def scenario() -> str:
        task = asyncio.ensure_future(log.record(region="hebi", as_of=date(2017, 10, 1), household={"id": "HB-1"},
                                                overrides={}, determination=DETERMINATION))
        await asyncio.sleep(0.5)
        assert not task.done() and log.count() == 0
        fcntl.flock(held, fcntl.LOCK_UN)
        return await asyncio.wait_for(task, 10)

    try:
        decision_id = asyncio.run(scenario())
        assert log.get(decision_id) is not None
    finally:
        os.close(held)
        log.close()


@pytest.mark.parametrize("value", [
    {"amount": Decimal("1234.50"), "name": "张三", "n": 3, "ok": True, "none": None, "list": [Decimal("0.1"), 2]},
    {"big": 10**30, "amount": Decimal("-0.00")},
])
def test_json_is_written_as_the_standard_library_writes_it(value: dict[str, Any]) -> None:
    expected = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    assert json_bytes(value).decode() == expected
