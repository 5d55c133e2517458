"""Cross-process cache invalidation on PostgreSQL: LISTEN/NOTIFY.

Every process sharing a PostgreSQL database keeps its own read-through settings cache. A write
sends ``pg_notify`` inside its own transaction (PostgreSQL delivers it only on commit, so nobody
re-reads before the row is there), and every process LISTENs on one dedicated connection and
drops the entries named. While that connection is down, notifications can be missed, so the
whole cache is dropped whenever it (re)connects; meanwhile the cache's TTL bounds staleness.
SQLite is one process only and needs none of this.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.pool import NullPool

from bot.storage.db import Database

log = logging.getLogger(__name__)

CHANNEL = "fishbot_settings"
# A connection that died without closing (no FIN) is noticed by a ping this often (seconds).
PING_INTERVAL_S = 30.0
MAX_BACKOFF_S = 30.0


async def notify(session: AsyncSession, payload: str) -> None:
    """Queue a notification in this transaction (PostgreSQL only; sent on commit)."""
    await session.execute(select(func.pg_notify(CHANNEL, payload)))


class ChangeListener:
    """LISTENs on `CHANNEL` and calls `on_change(payload)` for each notification, and
    `on_change(None)` ("anything may have changed") each time it (re)connects."""

    def __init__(self, db: Database, on_change: Callable[[str | None], None]) -> None:
        self._db = db
        self._on_change = on_change
        self._task: asyncio.Task[None] | None = None
        self.connected = asyncio.Event()

    def start(self) -> None:
        if self._task is None and self._db.dialect == "postgresql":
            self._task = asyncio.create_task(self._run(), name="settings-listener")

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def _received(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        self._on_change(payload)

    async def _run(self) -> None:
        # Its own engine without a pool: the listening connection is held for the process's
        # life and must not take one of the pool's slots. Same URL and connect arguments.
        engine = create_async_engine(
            self._db.url, poolclass=NullPool,
            connect_args={"server_settings": {"application_name": "fishbot-listener"}},
        )
        backoff = 1.0
        try:
            while True:
                try:
                    await self._listen(engine)
                    backoff = 1.0
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    log.warning("settings change listener lost its connection (%s); "
                                "retrying in %.0f s", type(exc).__name__, backoff)
                self.connected.clear()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_S)
        finally:
            self.connected.clear()
            await engine.dispose()

    async def _listen(self, engine: Any) -> None:
        async with engine.connect() as conn:
            raw = await conn.get_raw_connection()
            connection = raw.driver_connection
            lost = asyncio.Event()
            connection.add_termination_listener(lambda _c: lost.set())
            await connection.add_listener(CHANNEL, self._received)
            self._on_change(None)  # changes made while nobody listened
            self.connected.set()
            log.debug("listening for settings changes from other processes")
            while not lost.is_set():
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(PING_INTERVAL_S):
                        await lost.wait()
                if not lost.is_set():
                    async with asyncio.timeout(10):
                        await connection.fetchval("SELECT 1")
            raise ConnectionError("connection closed")
