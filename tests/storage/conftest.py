"""Fixtures for the storage tests: every database test runs on SQLite and on PostgreSQL.

SQLite: a fresh file under tmp_path. PostgreSQL: the server named by FISHBOT_TEST_POSTGRES_URL
(start one with ``.ci/start-postgres``). Each PostgreSQL test gets its own freshly created
database, dropped afterwards: the URL the code under test sees is then an ordinary deployment
URL, with no search_path tricks that migrations or advisory locks could trip over. Tests that
need the schema share one database migrated once per run, whose tables are emptied before
each test (TRUNCATE is ~30x faster than CREATE DATABASE); migration tests always get a new,
empty database. The role therefore needs CREATEDB.

Without FISHBOT_TEST_POSTGRES_URL the PostgreSQL variants are skipped, except when CI=true:
there they fail, so CI cannot silently stop testing PostgreSQL.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
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


async def _create_database(admin_url: URL, name: str, template: str = "template0") -> None:
    admin = create_async_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        async with admin.connect() as conn:
            await conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    finally:
        await admin.dispose()


async def _drop_database(admin_url: URL, name: str) -> None:
    admin = create_async_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        async with admin.connect() as conn:
            # FORCE: a test that failed may have left connections open.
            await conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.dispose()


def _admin_url() -> URL:
    return make_url(postgres_admin_url()).set(drivername="postgresql+asyncpg")


def _with_database(url: URL, name: str) -> str:
    return url.set(database=name).render_as_string(hide_password=False)


def _unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="session")
def postgresql_migrated_database() -> Iterator[str]:
    """One database per test run, migrated to head once; tests share it, emptied in between.

    Sync fixture with its own short-lived event loops, so it does not depend on the loop scope
    the async tests use.
    """
    admin_url = _admin_url()
    name = _unique("fishbot_t")

    async def create() -> None:
        await _create_database(admin_url, name)
        db = Database(_with_database(admin_url, name))
        try:
            await upgrade(db)
        finally:
            await db.close()

    asyncio.run(create())
    try:
        yield _with_database(admin_url, name)
    finally:
        asyncio.run(_drop_database(admin_url, name))


@pytest.fixture
async def postgresql_url() -> AsyncIterator[str]:
    """URL of a brand-new, empty PostgreSQL database, dropped after the test."""
    admin_url = _admin_url()
    name = _unique("fishbot_t")
    await _create_database(admin_url, name)
    try:
        yield _with_database(admin_url, name)
    finally:
        await _drop_database(admin_url, name)


@pytest.fixture
async def migrated_postgresql_url(postgresql_migrated_database: str) -> str:
    """The shared migrated database, with every table except alembic_version emptied.

    CREATE DATABASE costs ~0.3 s on this disk, TRUNCATE ~10 ms. Emptying happens before the
    test rather than after, so a test that crashed cannot leak rows into the next one.
    """
    engine = create_async_engine(postgresql_migrated_database, poolclass=NullPool)
    try:
        async with engine.begin() as conn:
            # A test that leaked a connection holding locks fails here instead of hanging.
            await conn.exec_driver_sql("SET LOCAL lock_timeout = '5s'")
            tables = (
                await conn.exec_driver_sql(
                    "SELECT quote_ident(tablename) FROM pg_tables "
                    "WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
                )
            ).scalars()
            await conn.exec_driver_sql(f"TRUNCATE {', '.join(tables)}")
    finally:
        await engine.dispose()
    return postgresql_migrated_database


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    # A missing sub-directory on purpose: Database must create it.
    return f"sqlite:///{(tmp_path / 'data' / 'fishbot.db').as_posix()}"


@pytest.fixture
def migrated_sqlite_url(sqlite_url: str) -> str:
    return sqlite_url  # migrating a SQLite file is fast enough to do per test (migrated_db)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """A URL for an empty database, once per backend."""
    return request.getfixturevalue(f"{request.param}_url")


@pytest.fixture(params=["sqlite", "postgresql"])
def migrated_database_url(request: pytest.FixtureRequest) -> str:
    """A URL for a database at the head revision, once per backend."""
    return request.getfixturevalue(f"migrated_{request.param}_url")


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    """An empty database."""
    database = Database(database_url)
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
async def migrated_db(migrated_database_url: str) -> AsyncIterator[Database]:
    """A database at the head revision."""
    database = Database(migrated_database_url)
    try:
        await upgrade(database)  # no-op for the shared PostgreSQL database
        yield database
    finally:
        await database.close()


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
