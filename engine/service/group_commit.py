"""Group commit: rows from concurrent requests written in one transaction, each request woken after it.

``GroupCommit(write)`` runs one thread that takes every row queued so far (up to
``GROUP``), hands them to ``write`` (which commits them in one transaction or raises),
and then settles each request's future: with nothing when the rows are committed,
with ``LogUnavailable`` when they are not. A request's future is settled only after
``write`` has returned, so nothing is acknowledged before it is committed. The
futures of one event loop are settled by one call into that loop per group.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Callable, Sequence
from typing import Any

GROUP = 256  # rows at most in one commit

Row = dict[str, Any]
Waiting = tuple[Row, asyncio.AbstractEventLoop, "asyncio.Future[None]"]


class LogUnavailable(Exception):
    """The row could not be committed: the determination must not be given."""


class GroupCommit:
    """One thread committing queued rows in groups through ``write``, then waking their requests."""

    def __init__(self, write: Callable[[Sequence[Row]], None], name: str = "dibao-decision-log") -> None:
        self.write = write
        self.queue: queue.SimpleQueue[Waiting | None] = queue.SimpleQueue()
        self.thread = threading.Thread(target=self.run, name=name, daemon=True)
        self.thread.start()

    async def commit(self, row: Row) -> None:
        """Queue ``row`` and return once it is committed (raises ``LogUnavailable`` if it could not be)."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        self.queue.put((row, loop, done))
        await done

    def stop(self) -> None:
        self.queue.put(None)
        self.thread.join(timeout=10)

    def run(self) -> None:
        while True:
            group = self._next_group()
            if not group:
                return
            failure: str | None = None
            try:
                self.write([row for row, _, _ in group])
            except Exception as error:  # the waiting requests are told; none is answered as logged
                failure = type(error).__name__
            _wake(group, failure)

    def _next_group(self) -> list[Waiting]:
        """The rows queued so far (waiting for the first); empty once ``stop`` is asked and all is written."""
        first = self.queue.get()
        if first is None:
            return []
        group = [first]
        while len(group) < GROUP:
            try:
                item = self.queue.get_nowait()
            except queue.Empty:
                break
            if item is None:
                self.queue.put(None)  # seen again after this group is written
                break
            group.append(item)
        return group


def _wake(group: Sequence[Waiting], failure: str | None) -> None:
    by_loop: dict[asyncio.AbstractEventLoop, list[asyncio.Future[None]]] = {}
    for _row, loop, done in group:
        by_loop.setdefault(loop, []).append(done)
    for loop, futures in by_loop.items():
        with contextlib.suppress(RuntimeError):  # that loop is closed: nobody is waiting any more
            loop.call_soon_threadsafe(_settle, futures, failure)


def _settle(futures: Sequence[asyncio.Future[None]], failure: str | None) -> None:
    for done in futures:
        if done.done():
            continue
        if failure is None:
            done.set_result(None)
        else:
            done.set_exception(LogUnavailable(failure))
