"""Fixtures for the storage tests: every database test runs on SQLite and on PostgreSQL.

SQLite: a fresh file under tmp_path. PostgreSQL: the server named by FISHBOT_TEST_POSTGRES_URL
(start one with ``.ci/start-postgres``). Each PostgreSQL test gets its own freshly created
database (CREATE DATABASE costs ~50 ms here), dropped afterwards: the URL the code under test
sees is then an ordinary deployment URL, with no search_path tricks that migrations or
advisory locks could trip over. The role therefore needs CREATEDB.

Without FISHBOT_TEST_POSTGRES_URL the PostgreSQL variants are skipped, except when CI=true:
there they fail, so CI cannot silently stop testing PostgreSQL.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from bot.storage.db import Database
from bot.storage.migrations import upgrade

POSTGRES_ENV = "FISHBOT_TEST_POSTGRES_URL"


def postgres_admin_url() -> str:
    url = os.environ.get(POSTGRES_ENV, "").strip()
    if url:
        return url
    message = f"{POSTGRES_ENV} is not set (run .ci/start-postgres and export what it prints)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true but {message}", pytrace=False)
    pytest.skip(message)


@pytest.fixture
async def postgresql_url() -> AsyncIterator[str]:
    """URL of a brand-new, empty PostgreSQL database, dropped after the test."""
    admin_url = make_url(postgres_admin_url()).set(drivername="postgresql+asyncpg")
    name = f"fishbot_t_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        async with admin.connect() as conn:
            await conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE template0')
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        async with admin.connect() as conn:
            # FORCE: a test that failed may have left connections open.
            await conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    # A missing sub-directory on purpose: Database must create it.
    return f"sqlite:///{(tmp_path / 'data' / 'fishbot.db').as_posix()}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """A URL for an empty database, once per backend."""
    return request.getfixturevalue(f"{request.param}_url")


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
async def migrated_db(db: Database) -> Database:
    await upgrade(db)
    return db


class QueryCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)

    def reset(self) -> None:
        self.statements.clear()


@contextmanager
def count_queries(db: Database) -> Iterator[QueryCounter]:
    """Count every statement sent to the database (including BEGIN/COMMIT on SQLite)."""
    counter = QueryCounter()

    def before(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        counter.statements.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", before)
    try:
        yield counter
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", before)
