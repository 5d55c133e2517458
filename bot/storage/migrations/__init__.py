"""Schema migrations (Alembic), run programmatically on bot start and by ``fishbot db upgrade``.

No alembic.ini is needed at runtime: the Alembic ``Config`` is built in code. ``alembic.ini`` in
this directory exists only for developers who want the Alembic CLI (``alembic -c
bot/storage/migrations/alembic.ini check``); see ``versions/__init__.py`` for how to add a
migration.

Event loop: reading and importing the revision scripts is file I/O, so the script directory is
loaded in a worker thread; the migrations themselves run through ``AsyncConnection.run_sync``,
whose database calls are awaited on the loop by SQLAlchemy's greenlet bridge.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext, MigrationInfo
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from bot.storage.db import Database
from bot.storage.models import Base

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent
# Key of the PostgreSQL advisory lock that serialises upgrades across processes (shards).
# Any fixed 64-bit value works; this is b"fishbot" read as an integer.
MIGRATION_LOCK_ID = int.from_bytes(b"fishbot", "big")

_script: ScriptDirectory | None = None
_script_lock = threading.Lock()
# Alembic publishes the running migration through module globals (alembic.context, alembic.op),
# so two upgrades must never interleave inside one process, whatever the database locks say.
_upgrade_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
    weakref.WeakKeyDictionary()
)


def _upgrade_lock() -> asyncio.Lock:
    loop = asyncio.get_running_loop()
    lock = _upgrade_locks.get(loop)
    if lock is None:
        lock = _upgrade_locks[loop] = asyncio.Lock()
    return lock


def alembic_config() -> Config:
    """An Alembic Config pointing at this package, built without an ini file."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def _load_script_directory() -> ScriptDirectory:
    """Load (once per process) every revision script. Blocking: call from a worker thread."""
    global _script
    with _script_lock:
        if _script is None:
            script = ScriptDirectory.from_config(alembic_config())
            script.revision_map.heads  # noqa: B018 - forces the scripts to be read and imported
            _script = script
        return _script


async def script_directory() -> ScriptDirectory:
    if _script is not None:
        return _script
    return await asyncio.to_thread(_load_script_directory)


async def head_revision() -> str:
    """The newest revision id shipped with this code."""
    script = await script_directory()
    head = script.get_current_head()
    assert head is not None, "no migrations found"
    return head


def configure_and_run(
    connection: Connection,
    on_version_apply: Callable[..., None] | None = None,
) -> None:
    """Configure the active Alembic context on ``connection`` and run its migrations.

    Shared by ``upgrade()`` and ``env.py`` (the Alembic CLI), so both behave identically.
    """
    from alembic import context

    # Alembic iterates `on_version_apply` (a list of callbacks) although its annotation says one.
    callbacks: dict[str, Any] = {"on_version_apply": [on_version_apply] if on_version_apply else []}
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite cannot ALTER most things; batch mode recreates the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        **callbacks,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_locked(connection: Connection, work: Callable[[Connection], Any]) -> Any:
    """Run ``work(connection)`` holding the migration lock.

    PostgreSQL: a session-level ``pg_advisory_lock`` on this connection, so shards starting at
    the same time migrate one after another; the later ones then find the schema at head and do
    nothing. SQLite: the caller's connection begins with BEGIN IMMEDIATE, the file's write lock,
    held until the last revision is applied.
    """
    if connection.dialect.name != "postgresql":
        # One transaction around the whole upgrade, begun before Alembic is configured: Alembic
        # treats SQLite as non-transactional DDL and would otherwise commit after each revision,
        # letting a second process in between with a stale idea of the current revision.
        with connection.begin():
            return work(connection)
    got = connection.exec_driver_sql(f"SELECT pg_try_advisory_lock({MIGRATION_LOCK_ID})").scalar()
    if not got:
        log.info("another process is migrating the database; waiting for it to finish")
        connection.exec_driver_sql(f"SELECT pg_advisory_lock({MIGRATION_LOCK_ID})")
    # The lock is session-level and survives this commit. Committing matters: Alembic treats a
    # transaction that is already open as the caller's and would then never commit it.
    connection.commit()
    try:
        return work(connection)
    finally:
        if connection.in_transaction():
            # Only reached if work() left a transaction open (e.g. it failed before Alembic
            # began its own); end it so the unlock below can run.
            connection.rollback()
        try:
            connection.exec_driver_sql(f"SELECT pg_advisory_unlock({MIGRATION_LOCK_ID})")
            connection.commit()
        except Exception:
            # Never hand a connection that may still hold the lock back to the pool:
            # invalidating it closes it, and the server releases the lock with the session.
            log.exception("could not release the migration lock; discarding the connection")
            connection.invalidate()


async def upgrade(db: Database, revision: str = "head") -> list[str]:
    """Apply pending migrations (to ``head`` by default); return the revision ids applied.

    Safe to call from several processes at once against one PostgreSQL database.
    """
    script = await script_directory()
    await db.connect()
    applied: list[str] = []

    def record(*, step: MigrationInfo, **_: Any) -> None:
        if step.is_upgrade:
            applied.extend(step.up_revision_ids)

    def migrate(connection: Connection) -> None:
        config = alembic_config()

        def upgrade_revs(rev: Any, _context: MigrationContext) -> Any:
            # What alembic.command.upgrade does; used directly so that Alembic does not re-read
            # env.py and the scripts from disk here, on the event loop.
            return script._upgrade_revs(revision, rev)

        with EnvironmentContext(config, script, fn=upgrade_revs, destination_rev=revision):
            configure_and_run(connection, on_version_apply=record)

    # On SQLite the write engine begins with BEGIN IMMEDIATE (see Database.session).
    async with _upgrade_lock(), db.write_engine.connect() as conn:
        await conn.run_sync(run_locked, migrate)
    if applied:
        log.info("database migrated: applied %s", ", ".join(applied))
    else:
        log.debug("database schema already at %s", revision)
    return applied


async def current_revision(db: Database) -> str | None:
    """The revision the database is at, or None if it has never been migrated."""
    await db.connect()

    def read(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with db.engine.connect() as conn:
        return await conn.run_sync(read)
