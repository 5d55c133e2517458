"""Alembic migrations: apply from empty, idempotent, match the models, safe under concurrency."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import re
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from bot.storage.db import Database
from bot.storage.migrations import (
    MIGRATION_LOCK_ID,
    MIGRATIONS_DIR,
    current_revision,
    head_revision,
    script_directory,
    upgrade,
)
from bot.storage.models import Base


async def test_revision_chain_is_linear_and_readable() -> None:
    script = await script_directory()
    revisions = list(script.walk_revisions())  # newest first
    assert [r.revision for r in revisions][-1] == "0001_initial"
    assert len(script.get_heads()) == 1
    for newer, older in itertools.pairwise(revisions):
        assert newer.down_revision == older.revision
    for number, rev in enumerate(reversed(revisions), start=1):
        assert re.fullmatch(r"\d{4}_[a-z0-9_]+", rev.revision), rev.revision
        assert rev.revision.startswith(f"{number:04d}_"), "revision numbers must be consecutive"
        assert Path(rev.path).name == f"{rev.revision}.py"
    assert (MIGRATIONS_DIR / "script.py.mako").exists()


async def test_upgrade_from_empty_is_idempotent(db: Database) -> None:
    head = await head_revision()
    assert await current_revision(db) is None
    applied = await upgrade(db)
    assert applied[0] == "0001_initial"
    assert applied[-1] == head
    assert await current_revision(db) == head
    assert await upgrade(db) == []
    assert await current_revision(db) == head


async def test_migrated_schema_matches_models(migrated_db: Database) -> None:
    def diff(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)

    async with migrated_db.engine.connect() as conn:
        assert await conn.run_sync(diff) == []
        tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
        pk = await conn.run_sync(lambda c: inspect(c).get_pk_constraint("guild_settings"))
    assert {"guild_settings", "user_settings", "alembic_version"} <= tables
    assert pk["constrained_columns"] == ["guild_id", "namespace"]


async def test_schema_survives_restart(database_url: str) -> None:
    first = Database(database_url)
    try:
        await upgrade(first)
    finally:
        await first.close()
    second = Database(database_url)
    try:
        assert await current_revision(second) == await head_revision()
        assert await upgrade(second) == []
    finally:
        await second.close()


async def test_concurrent_upgrades_from_several_processes(database_url: str) -> None:
    # Separate Database objects = separate engines and connections, as separate shards have.
    # On PostgreSQL pg_advisory_lock serialises them; on SQLite BEGIN IMMEDIATE does.
    dbs = [Database(database_url) for _ in range(5)]
    try:
        results = await asyncio.gather(*(upgrade(db) for db in dbs))
        head = await head_revision()
        assert sorted(len(r) for r in results)[:-1] == [0] * 4  # exactly one did the work
        assert max(results, key=len)[-1] == head
        for db in dbs:
            assert await current_revision(db) == head
    finally:
        await asyncio.gather(*(db.close() for db in dbs))


REPO_ROOT = Path(__file__).resolve().parents[2]

_UPGRADE_SCRIPT = """
import asyncio, json, sys
from bot.storage.db import Database
from bot.storage.migrations import upgrade

async def main():
    db = Database(sys.argv[1])
    try:
        print(json.dumps(await upgrade(db)))
    finally:
        await db.close()

asyncio.run(main())
"""


async def test_concurrent_upgrades_from_separate_os_processes(database_url: str) -> None:
    # The real multi-shard start: separate interpreters, so only the database lock
    # (pg_advisory_lock / BEGIN IMMEDIATE) keeps them apart.
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            _UPGRADE_SCRIPT,
            database_url,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
            cwd=REPO_ROOT,
        )
        for _ in range(4)
    ]
    outputs = await asyncio.wait_for(asyncio.gather(*(p.communicate() for p in procs)), 60)
    for proc, (_out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err.decode()
    applied = sorted((json.loads(out) for out, _ in outputs), key=len)
    head = await head_revision()
    assert applied[:-1] == [[]] * 3
    assert applied[-1][-1] == head


@pytest.fixture
async def pg_db(postgresql_url: str) -> AsyncIterator[Database]:
    """An empty PostgreSQL database (advisory locks are PostgreSQL-only)."""
    db = Database(postgresql_url)
    try:
        yield db
    finally:
        await db.close()


async def test_upgrade_waits_for_the_advisory_lock(pg_db: Database) -> None:
    async with pg_db.engine.connect() as holder:
        await holder.exec_driver_sql(f"SELECT pg_advisory_lock({MIGRATION_LOCK_ID})")
        await holder.commit()
        task = asyncio.create_task(upgrade(pg_db))
        async with asyncio.timeout(10):  # until the upgrade's request for the lock is queued
            while not (await holder.exec_driver_sql(  # noqa: ASYNC110  (only asking tells)
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
                    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            )).scalar():
                await asyncio.sleep(0.01)
        assert not task.done(), "upgrade ran although another process held the lock"
        assert await current_revision(pg_db) is None
        await holder.exec_driver_sql(f"SELECT pg_advisory_unlock({MIGRATION_LOCK_ID})")
        await holder.commit()
    applied = await asyncio.wait_for(task, 30)
    assert applied[0] == "0001_initial"
    assert applied[-1] == await head_revision()


async def test_upgrade_releases_the_advisory_lock(pg_db: Database) -> None:
    await upgrade(pg_db)
    async with pg_db.engine.connect() as conn:
        held = await conn.exec_driver_sql(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        )
        assert held.scalar() == 0
