"""Starting gateway sessions within Discord's limits, across every process of the bot.

Discord lets a bot IDENTIFY `max_concurrency` sessions per 5 s, one per bucket
(`shard_id % max_concurrency`), counted over all of its connections; an IDENTIFY too early is
answered with an invalid session (op 9) and must be sent again, and every IDENTIFY spends one of
the day's session starts (`session_start_limit`, usually 1000). Running out terminates every
session and resets the token.

- `IdentifyGate` (PostgreSQL, any number of processes): discord.py's `before_identify_hook` waits
  for the bucket's advisory lock and keeps it for `IDENTIFY_WINDOW_S` (plus a margin) after the
  IDENTIFY is sent, so the whole fleet sends at most one IDENTIFY per bucket per window. SQLite is
  one process only; there discord.py's own in-process pacing is kept.
- `fetch_session_starts` / `refuse_if_spent`: before connecting, `GET /gateway/bot` gives
  `max_concurrency` and the remaining session starts; start-up is refused while they are nearly
  spent.

Threads: none; everything runs on the bot's event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from dataclasses import dataclass

import discord
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from bot.i18n.formatting import duration
from bot.storage.db import Database

log = logging.getLogger(__name__)

# Discord's identify window (seconds). The product reads it only from here.
IDENTIFY_WINDOW_S = 5.0
# Processes reach Discord over different paths; a lock handed over exactly at 5.000 s could let
# the next IDENTIFY arrive a few milliseconds early. This much more is kept between them.
IDENTIFY_MARGIN_S = 0.25
# Advisory lock keys (two-int form): this class, and the bucket. b"fsid" read as an integer; the
# migration lock uses the one-bigint form, a separate key space.
LOCK_CLASS = int.from_bytes(b"fsid", "big")
# Unlocking politely may wait this long; then the connection is dropped (which unlocks too).
RELEASE_TIMEOUT_S = 1.0
# Kept back from a start-up: a share of the day's session starts for shards whose sessions can't be
# resumed (Discord invalidates some during the day; each then IDENTIFYs again).
RESERVE_SHARE = 0.05


class SessionStartsSpent(Exception):
    """Too few session starts are left to start now (the message is one line)."""


@dataclass(frozen=True)
class SessionStarts:
    """`GET /gateway/bot`: Discord's recommended shard count and the session start limit."""

    shards: int
    total: int
    remaining: int
    reset_after_s: float
    max_concurrency: int

    def reserve(self) -> int:
        return max(1, math.ceil(self.total * RESERVE_SHARE))

    def needed(self, shard_count: int) -> int:
        """Starts this start-up may spend: every shard of the bot, not only this process's (the
        other processes of a fleet restarting together read the same `remaining`), plus the
        reserve."""
        return shard_count + self.reserve()


async def fetch_session_starts(http: discord.http.HTTPClient) -> SessionStarts:
    """Raises discord.GatewayNotFound when Discord answers with an error."""
    shards, _url, limit = await http.get_bot_gateway()
    return SessionStarts(shards=shards, total=limit["total"], remaining=limit["remaining"],
                         reset_after_s=limit["reset_after"] / 1000, max_concurrency=limit["max_concurrency"])


def refuse_if_spent(starts: SessionStarts, shard_count: int) -> None:
    """Raise SessionStartsSpent when starting all `shard_count` shards could leave fewer than the
    reserve: a fleet crash-looping on a bad deploy must stop before the token is reset."""
    needed = starts.needed(shard_count)
    if starts.remaining >= needed:
        return
    raise SessionStartsSpent(
        f"only {starts.remaining} of Discord's {starts.total} daily session starts are left and "
        f"starting {shard_count} shard(s) needs {needed} (with {starts.reserve()} kept in reserve; "
        f"running out makes Discord reset the bot token); they refill in "
        f"{duration(starts.reset_after_s)}"
    )


class IdentifyGate:
    """One IDENTIFY per bucket per window across every process on the PostgreSQL database.

    `wait_turn` returns holding the bucket: in this process an asyncio lock (so only one waiter
    per bucket uses a database connection), across processes the advisory lock, taken on a
    connection of its own (outside the pool, which the bot's queries need meanwhile). A task
    releases both `IDENTIFY_WINDOW_S + IDENTIFY_MARGIN_S` after the IDENTIFY was sent. discord.py
    sends it straight after the hook, without giving the event loop a turn, so the hold's first
    step, which runs at the loop's next turn, comes after the IDENTIFY was written.
    """

    def __init__(self, db: Database) -> None:
        self._db = db
        self.max_concurrency = 1  # until `GET /gateway/bot` says otherwise: the strictest
        self._engine: AsyncEngine | None = None
        self._local: dict[int, asyncio.Lock] = {}
        self._holds: set[asyncio.Task[None]] = set()
        self._closing = asyncio.Event()  # ends the holds early

    def bucket(self, shard_id: int | None) -> int:
        return (shard_id or 0) % max(1, self.max_concurrency)

    def _connections(self) -> AsyncEngine:
        if self._engine is None:
            self._engine = create_async_engine(
                self._db.url, poolclass=NullPool, isolation_level="AUTOCOMMIT",
                connect_args={"server_settings": {"application_name": "fishbot-identify"}},
            )
        return self._engine

    async def wait_turn(self, shard_id: int | None) -> None:
        bucket = self.bucket(shard_id)
        local = self._local.setdefault(bucket, asyncio.Lock())
        await local.acquire()
        try:
            conn = await self._connections().connect()
        except BaseException:
            local.release()
            raise
        try:
            await conn.execute(select(func.pg_advisory_lock(LOCK_CLASS, bucket)))
        except BaseException:
            # Cancelled or failed: the lock may have been granted meanwhile. Closing the session
            # releases whatever it holds.
            await _discard(conn)
            local.release()
            raise
        log.debug("shard %s has the IDENTIFY turn of bucket %d", shard_id, bucket)
        task = asyncio.create_task(self._hold(conn, bucket, local), name=f"identify-bucket-{bucket}")
        self._holds.add(task)
        task.add_done_callback(self._holds.discard)

    async def _hold(self, conn: AsyncConnection, bucket: int, local: asyncio.Lock) -> None:
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), IDENTIFY_WINDOW_S + IDENTIFY_MARGIN_S)
            async with asyncio.timeout(RELEASE_TIMEOUT_S):  # a shutdown must not hang on it
                await conn.execute(select(func.pg_advisory_unlock(LOCK_CLASS, bucket)))
                await conn.close()
        except Exception as exc:
            log.warning("could not release the IDENTIFY turn of bucket %d (%s); dropping its connection",
                        bucket, type(exc).__name__)
            await _discard(conn)
        except BaseException:
            await _discard(conn)
            raise
        finally:
            local.release()

    async def close(self) -> None:
        """Release what is held now (the bot is closing: no IDENTIFY follows)."""
        self._closing.set()
        await asyncio.gather(*self._holds, return_exceptions=True)
        self._closing.clear()
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None


async def _discard(conn: AsyncConnection) -> None:
    """Close a connection whose state is unknown; the server ends its session and its locks."""
    with contextlib.suppress(Exception):
        await asyncio.shield(conn.invalidate())
    with contextlib.suppress(Exception):
        await asyncio.shield(conn.close())
