"""Database access: URL normalisation and an async engine/session wrapper.

fishbot runs on SQLite (the default, one file under the data directory) or PostgreSQL (for
several shards/processes). Everything goes through SQLAlchemy's asyncio layer with the
``aiosqlite`` and ``asyncpg`` drivers, so no query blocks the event loop.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, cast

from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, CursorResult, Result, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from bot.errors import DatabaseUnavailable

log = logging.getLogger(__name__)


def is_outage(exc: BaseException) -> bool:
    """Is `exc` the database server being away, rather than a bad query or a SQLite lock?"""
    if isinstance(exc, DatabaseUnavailable | OSError):
        return True
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        if "database is locked" in str(exc.orig) or "database is busy" in str(exc.orig):
            return False  # SQLite contention, not an outage
        return isinstance(exc, OperationalError | InterfaceError)
    # asyncpg's own errors when the server is shutting down or starting up.
    return type(exc).__name__ in {"CannotConnectNowError", "ConnectionDoesNotExistError",
                                  "AdminShutdownError", "ConnectionFailureError"}

SQLITE_DRIVER = "sqlite+aiosqlite"
POSTGRES_DRIVER = "postgresql+asyncpg"

# Driver names deployments use, mapped to the async driver we actually run.
_DRIVERS: dict[str, str] = {
    "sqlite": SQLITE_DRIVER,
    "sqlite+aiosqlite": SQLITE_DRIVER,
    "postgresql": POSTGRES_DRIVER,
    "postgres": POSTGRES_DRIVER,  # Heroku-style URLs
    "postgresql+asyncpg": POSTGRES_DRIVER,
}

SUPPORTED_FORMS = (
    "sqlite:///relative/path.db, sqlite:////absolute/path.db, sqlite+aiosqlite:///path.db, "
    "postgresql://user:password@host:5432/dbname, postgres://…, postgresql+asyncpg://…"
)

# How long a SQLite connection waits for another writer's lock before failing (milliseconds).
# With WAL and BEGIN IMMEDIATE for writes, concurrent writers queue up on it (tested). SQLite's
# busy handler polls rather than queueing fairly, so one writer among many can wait several
# times the average; 5 s let 1 of 180 concurrent writes fail on a loaded 2-core machine.
SQLITE_BUSY_TIMEOUT_MS = 30_000
# Execution option read by the "begin" listener below; see Database.session(write=True).
_SQLITE_BEGIN_OPTION = "fishbot_sqlite_begin"


def normalize_database_url(url: str) -> str:
    """Return ``url`` rewritten for the async drivers, or raise ValueError.

    Accepts ``sqlite:///path``, ``sqlite:////abs/path``, ``sqlite+aiosqlite:///path``,
    ``postgresql://…``, ``postgres://…`` and ``postgresql+asyncpg://…``. Error messages never
    contain the password.
    """
    if not isinstance(url, str) or not url.strip():
        raise ValueError(f"database URL is empty; supported forms: {SUPPORTED_FORMS}")
    try:
        parsed = make_url(url.strip())
    except ArgumentError:
        # Not even parseable, so it cannot be rendered safely: do not echo it at all.
        raise ValueError(f"database URL could not be parsed; supported forms: {SUPPORTED_FORMS}") from None
    driver = _DRIVERS.get(parsed.drivername.lower())
    if driver is None:
        raise ValueError(
            f"unsupported database URL {parsed.render_as_string(hide_password=True)!r} "
            f"(driver {parsed.drivername!r}); supported forms: {SUPPORTED_FORMS}"
        )
    if driver == SQLITE_DRIVER and (parsed.host or parsed.username or parsed.port):
        # "sqlite://host/x" is almost always a missing slash, not a remote SQLite.
        raise ValueError(
            f"SQLite URL {parsed.render_as_string(hide_password=True)!r} has a host part; "
            f"use three slashes for a relative path or four for an absolute one; "
            f"supported forms: {SUPPORTED_FORMS}"
        )
    if driver == POSTGRES_DRIVER and "sslmode" in parsed.query:
        # Hosted PostgreSQL URLs carry libpq's ?sslmode=require; asyncpg calls the same
        # setting "ssl" (same values) and would reject the unknown keyword at connect time.
        query = dict(parsed.query)
        sslmode = query.pop("sslmode")
        query.setdefault("ssl", sslmode)
        parsed = parsed.set(query=query)
    return parsed.set(drivername=driver).render_as_string(hide_password=False)


_USERINFO = re.compile(r"(://[^:/@]*:)[^@]*@")


def redact_url(url: str) -> str:
    """``url`` with any password masked, safe for logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return _USERINFO.sub(r"\1***@", url)


def _sqlite_file(url: URL) -> Path | None:
    """The database file of a SQLite URL, or None for in-memory databases."""
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    if url.query.get("mode") == "memory":
        return None
    return Path(database)


class Database:
    """One async engine plus a session factory.

    Call ``await db.connect()`` once at start-up (``session()`` and the migration runner do it
    for you); use ``async with db.session() as s:`` for units of work and ``await db.close()``
    on shutdown.
    """

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url: str = normalize_database_url(url)
        self._url = make_url(self.url)
        self._prepared = False
        self._prepare_lock = asyncio.Lock()
        kwargs: dict[str, Any] = {"echo": echo}
        if self._url.get_backend_name() == "postgresql":
            # A bot process runs a handful of concurrent units of work; keep the footprint small
            # because several shards share one server's max_connections. pre_ping + recycle
            # survive server restarts and idle-connection reapers (pgbouncer, cloud proxies).
            kwargs.update(
                pool_size=5,
                max_overflow=10,
                pool_timeout=30,
                pool_recycle=1800,
                pool_pre_ping=True,
                connect_args={"server_settings": {"application_name": "fishbot"}},
            )
        # Creating the engine does no I/O; connections are opened lazily on the event loop.
        self.engine: AsyncEngine = create_async_engine(self.url, **kwargs)
        # write_engine shares the pool; on SQLite its transactions start with BEGIN IMMEDIATE
        # (see session()).
        self.write_engine: AsyncEngine = self.engine
        if self.dialect == "sqlite":
            _install_sqlite_hooks(self.engine)
            self.write_engine = self.engine.execution_options(**{_SQLITE_BEGIN_OPTION: "IMMEDIATE"})
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._write_sessions = async_sessionmaker(self.write_engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self.engine.dialect.name

    def __repr__(self) -> str:
        return f"Database({redact_url(self.url)!r})"

    async def connect(self) -> None:
        """Prepare the database location and check that a connection can be opened.

        Idempotent. For SQLite this creates the parent directory of the file; the mkdir runs in
        a worker thread (asyncio.to_thread) because filesystem calls can block, and it has to
        happen here rather than in __init__ so that constructing a Database stays free of I/O.
        """
        if self._prepared:
            return
        async with self._prepare_lock:
            if self._prepared:
                return
            path = _sqlite_file(self._url) if self.dialect == "sqlite" else None
            if path is not None:
                await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
            async with self.engine.connect() as conn:
                await conn.exec_driver_sql("SELECT 1")
            self._prepared = True
            log.debug("connected to %s", redact_url(self.url))

    @asynccontextmanager
    async def session(self, *, write: bool = False) -> AsyncIterator[AsyncSession]:
        """A unit of work: commits when the block succeeds, rolls back when it raises.

        ``write=True`` is for read-modify-write transactions. On SQLite it starts the
        transaction with ``BEGIN IMMEDIATE``, taking the database write lock before the first
        read, so concurrent writers queue up (busy_timeout) instead of interleaving or failing
        with SQLITE_BUSY when a reader upgrades to a writer. On PostgreSQL it changes nothing:
        lock the rows you read with ``SELECT … FOR UPDATE``.
        """
        try:
            await self.connect()
            maker = self._write_sessions if write else self._sessions
            async with maker.begin() as session:
                yield session
        except Exception as exc:
            if isinstance(exc, DatabaseUnavailable) or not is_outage(exc):
                raise
            log.warning("database unavailable: %s", type(exc).__name__)
            raise DatabaseUnavailable() from exc

    async def close(self) -> None:
        """Close every pooled connection. The object may be reused afterwards (it reconnects)."""
        await self.engine.dispose()

    async def __aenter__(self) -> Database:
        await self.connect()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


def _install_sqlite_hooks(engine: AsyncEngine) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin (the recipe
        # from SQLAlchemy's SQLite docs); otherwise reads run outside any transaction and
        # BEGIN IMMEDIATE is impossible.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            # WAL: readers do not block the writer and vice versa. Persistent per file, so when a
            # new file is being converted (or written) by another process at this instant, SQLite
            # refuses at once rather than wait (a deadlock guard; the busy timeout doesn't apply):
            # that process's conversion, or the next connection's, makes the file WAL.
            try:
                cursor.execute("PRAGMA journal_mode=WAL")
            except Exception as exc:
                if "locked" not in str(exc):
                    raise
                log.debug("SQLite journal mode left to the connection holding the lock: %s", exc)
            cursor.execute("PRAGMA foreign_keys=ON")
            # NORMAL is durable across application crashes in WAL mode and much faster.
            cursor.execute("PRAGMA synchronous=NORMAL")
        finally:
            cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get(_SQLITE_BEGIN_OPTION, "")
        conn.exec_driver_sql(f"BEGIN {mode}".strip())


def affected_rows(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE touched. `session.execute` is typed as returning a plain
    Result; for those statements SQLAlchemy returns a CursorResult, which has `rowcount`."""
    return int(cast(CursorResult[Any], result).rowcount or 0)
