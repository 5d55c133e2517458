"""The account's slots shared by every bot process on one PostgreSQL database.

Slot k is the session-level advisory lock (NAMESPACE, k), held on one connection per process that
lives as long as the process: taking a slot is `pg_try_advisory_lock` on a slot number below the
limit that no session holds (pg_locks says which), giving it back is `pg_advisory_unlock`. A process
that dies, however it dies, closes that connection (the kernel does, for a SIGKILL), and PostgreSQL
drops its locks at once; a host that vanishes is noticed by TCP keepalives within about 11 s. No
table, no heartbeat, no expiry to tune.

Processes wake each other with LISTEN/NOTIFY on `CHANNEL`, sent on the same connection:
  free <id>                a slot was given back: waiting processes try again;
  wait <id> / idle <id>    this process has requests waiting (repeated about every second while
                           they wait) / no longer has;
  cut <id> <limit> <pause> Fish refused a request: every process takes the lower limit and pause.
A waiting process also looks again every second (a dead process sends no `free`).

Fairness between processes is approximate: while k processes have requests waiting, a process that
holds its share (limit / k, rounded up) or more takes no freed slot, so no process can keep a freed
slot to itself while another waits; which of the processes under their share gets a given slot is
whichever asks first. Inside each process servers take turns (line.py). Announcements older than
STALE_S are forgotten, so a process that died stops counting as waiting.

While the database cannot be reached, slots are counted in this process only (the limit then holds
per process, not per account; Fish's 429s, which put requests back in line, cover the difference).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import secrets
from collections.abc import Coroutine, Hashable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from .slots import Listener

log = logging.getLogger(__name__)

CHANNEL = "fishbot_fish_slots"
NAMESPACE = 0x46495348  # "FISH": the first key of every slot's advisory lock
STALE_S = 3.0
ANNOUNCE_EVERY_S = 1.0
QUERY_TIMEOUT_S = 5.0
MAX_BACKOFF_S = 30.0
# A peer that vanished without closing its connection is dropped after about 5 + 2 × 3 s.
KEEPALIVES = {"tcp_keepalives_idle": "5", "tcp_keepalives_interval": "2", "tcp_keepalives_count": "3"}

HELD = """SELECT objid::int AS slot FROM pg_locks
WHERE locktype = 'advisory' AND classid = $1::int::oid AND objsubid = 2 AND granted
  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"""


class _Token:
    """One slot handed out: `slot` is its lock number, None when counted locally (no database)."""

    __slots__ = ("slot",)

    def __init__(self, slot: int | None) -> None:
        self.slot = slot


class SharedSlots:
    def __init__(self, url: str) -> None:
        self._url = url
        self.id = secrets.token_hex(6)  # this process in announcements
        self._listener: Listener | None = None
        self._engine: AsyncEngine | None = None
        self._sa_conn: AsyncConnection | None = None
        self._conn: Any = None  # asyncpg connection holding the locks; None while not connected
        self._lock = asyncio.Lock()  # one query at a time on it
        self._locked: set[_Token] = set()  # tokens whose advisory lock this connection holds
        self._counted: set[_Token] = set()  # tokens counted here only (taken or kept while offline)
        self._others: dict[str, float] = {}  # process id → when it last said it was waiting
        self._announced_at: float | None = None  # when this process last said "wait"
        self._retry_at = 0.0
        self._backoff = 1.0
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False

    def attach(self, listener: Listener) -> None:
        self._listener = listener

    async def start(self) -> None:
        await self._connection()  # a failure is logged; counting goes on locally meanwhile

    # --- the pool ----------------------------------------------------------------------------

    async def take(self, limit: int) -> Hashable | None:
        held = len(self._locked) + len(self._counted)
        contenders = 1 + self._waiting_elsewhere()
        if contenders > 1 and held >= math.ceil(limit / contenders):
            self._announce_waiting()
            return None
        conn = await self._connection()
        if conn is None:
            return self._count_locally(limit)
        try:
            async with self._lock, asyncio.timeout(QUERY_TIMEOUT_S):
                busy = {row["slot"] for row in await conn.fetch(HELD, NAMESPACE)}
                mine = {token.slot for token in self._locked}
                for slot in range(limit):
                    if slot in busy or slot in mine:
                        continue
                    if await conn.fetchval("SELECT pg_try_advisory_lock($1, $2)", NAMESPACE, slot):
                        token = _Token(slot)
                        self._locked.add(token)
                        return token
        except Exception as exc:
            self._lost(exc)
            return self._count_locally(limit)
        self._announce_waiting()
        return None

    def give_back(self, token: Hashable) -> None:
        assert isinstance(token, _Token)
        if token in self._counted:
            self._counted.discard(token)
            self._notify(f"free {self.id}")
        elif token in self._locked:
            self._locked.discard(token)
            assert token.slot is not None
            self._spawn(self._unlock(token.slot))

    async def in_use(self) -> int:
        conn = self._conn
        if conn is not None:
            try:
                async with self._lock, asyncio.timeout(QUERY_TIMEOUT_S):
                    return len(await conn.fetch(HELD, NAMESPACE)) + len(self._counted)
            except Exception as exc:
                self._lost(exc)
        return len(self._locked) + len(self._counted)

    def announce_cut(self, limit: int, pause_s: float) -> None:
        self._notify(f"cut {self.id} {limit} {pause_s:.3f}")

    def idle(self) -> None:
        if self._announced_at is not None:
            self._announced_at = None
            self._notify(f"idle {self.id}")

    async def close(self) -> None:
        self._closed = True
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks)
        await self._disconnect()

    # --- announcements -----------------------------------------------------------------------

    def _waiting_elsewhere(self) -> int:
        now = asyncio.get_running_loop().time()
        for process, seen in list(self._others.items()):
            if now - seen > STALE_S:
                del self._others[process]
        return len(self._others)

    def _announce_waiting(self) -> None:
        now = asyncio.get_running_loop().time()
        if self._announced_at is None or now - self._announced_at >= ANNOUNCE_EVERY_S:
            self._announced_at = now
            self._notify(f"wait {self.id}")

    def _notify(self, payload: str) -> None:
        if self._conn is not None:
            self._spawn(self._send(payload))

    async def _send(self, payload: str) -> None:
        conn = self._conn
        if conn is None:
            return
        try:
            async with self._lock, asyncio.timeout(QUERY_TIMEOUT_S):
                await conn.execute("SELECT pg_notify($1, $2)", CHANNEL, payload)
        except Exception as exc:
            self._lost(exc)

    async def _unlock(self, slot: int) -> None:
        conn = self._conn
        if conn is None:
            return  # the connection went, and its locks with it
        try:
            async with self._lock, asyncio.timeout(QUERY_TIMEOUT_S):
                await conn.execute("SELECT pg_advisory_unlock($1, $2), pg_notify($3, $4)",
                                   NAMESPACE, slot, CHANNEL, f"free {self.id}")
        except Exception as exc:
            self._lost(exc)

    def _received(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        kind, _, rest = payload.partition(" ")
        sender, *args = rest.split()
        listener = self._listener
        if kind == "free":
            if listener is not None:
                listener.wake()
            return
        if sender == self.id:
            return
        if kind == "wait":
            self._others[sender] = asyncio.get_running_loop().time()
        elif kind == "idle":
            self._others.pop(sender, None)
            if listener is not None:
                listener.wake()
        elif kind == "cut" and len(args) == 2 and listener is not None:
            with contextlib.suppress(ValueError):
                listener.adopt(int(args[0]), float(args[1]))

    # --- the connection ----------------------------------------------------------------------

    def _count_locally(self, limit: int) -> _Token | None:
        if len(self._locked) + len(self._counted) >= limit:
            return None
        token = _Token(None)
        self._counted.add(token)
        return token

    async def _connection(self) -> Any:
        if self._conn is not None or self._closed:
            return self._conn
        loop = asyncio.get_running_loop()
        if loop.time() < self._retry_at:
            return None
        try:
            async with asyncio.timeout(QUERY_TIMEOUT_S):
                await self._connect()
        except Exception as exc:
            await self._disconnect()
            self._retry_at = loop.time() + self._backoff
            log.warning("the shared Fish slots are unreachable (%s): counting this process's own "
                        "until the database is back (next try in %.0f s)", type(exc).__name__, self._backoff)
            self._backoff = min(MAX_BACKOFF_S, self._backoff * 2)
            return None
        self._backoff = 1.0
        return self._conn

    async def _connect(self) -> None:
        # Its own engine without a pool: the connection holds the locks for the process's life.
        self._engine = create_async_engine(
            self._url, poolclass=NullPool,
            connect_args={"server_settings": {"application_name": "fishbot-slots", **KEEPALIVES}},
        )
        self._sa_conn = await self._engine.connect()
        raw = await self._sa_conn.get_raw_connection()
        conn: Any = raw.driver_connection
        conn.add_termination_listener(lambda _c: self._lost(ConnectionError("closed")))
        await conn.add_listener(CHANNEL, self._received)
        self._conn = conn
        log.debug("sharing the account's Fish slots through the database")

    def _lost(self, exc: BaseException) -> None:
        """The connection failed: its locks are gone. Slots handed out go on being counted here
        until they are given back; the next `take` reconnects."""
        if self._conn is None:
            return
        log.warning("lost the connection holding the shared Fish slots (%s)", type(exc).__name__)
        self._conn = None
        self._counted |= self._locked
        self._locked.clear()
        self._others.clear()
        sa_conn, self._sa_conn = self._sa_conn, None
        engine, self._engine = self._engine, None
        self._spawn(self._dispose(sa_conn, engine))

    async def _disconnect(self) -> None:
        # Taken at once: a reconnection meanwhile must not lose its new connection.
        sa_conn, self._sa_conn = self._sa_conn, None
        engine, self._engine = self._engine, None
        self._conn = None
        await self._dispose(sa_conn, engine)

    @staticmethod
    async def _dispose(sa_conn: AsyncConnection | None, engine: AsyncEngine | None) -> None:
        if sa_conn is not None:
            with contextlib.suppress(Exception):
                await sa_conn.close()
        if engine is not None:
            await engine.dispose()

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
