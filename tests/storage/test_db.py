"""URL handling and the Database wrapper."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.storage.db import SQLITE_BUSY_TIMEOUT_MS, Database, normalize_database_url, redact_url

SECRET = "s3cr3t-P4ss"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("sqlite:///data/fishbot.db", "sqlite+aiosqlite:///data/fishbot.db"),
        ("sqlite:////var/lib/fishbot/fishbot.db", "sqlite+aiosqlite:////var/lib/fishbot/fishbot.db"),
        ("sqlite+aiosqlite:///data/fishbot.db", "sqlite+aiosqlite:///data/fishbot.db"),
        ("  sqlite:///data/fishbot.db\n", "sqlite+aiosqlite:///data/fishbot.db"),
        ("sqlite:///:memory:", "sqlite+aiosqlite:///%3Amemory%3A"),
        ("postgresql://bot:pw@db:5432/fishbot", "postgresql+asyncpg://bot:pw@db:5432/fishbot"),
        ("postgres://bot:pw@db/fishbot", "postgresql+asyncpg://bot:pw@db/fishbot"),
        ("POSTGRES://bot:pw@db/fishbot", "postgresql+asyncpg://bot:pw@db/fishbot"),
        ("postgresql+asyncpg://bot:pw@db/fishbot", "postgresql+asyncpg://bot:pw@db/fishbot"),
        ("postgresql://bot@db/fishbot", "postgresql+asyncpg://bot@db/fishbot"),
        # libpq's sslmode is asyncpg's ssl.
        (
            "postgres://bot:pw@db/fishbot?sslmode=require",
            "postgresql+asyncpg://bot:pw@db/fishbot?ssl=require",
        ),
        # Special characters in the password survive the round trip.
        ("postgresql://bot:p%40ss%2Fw@db/fishbot", "postgresql+asyncpg://bot:p%40ss%2Fw@db/fishbot"),
    ],
)
def test_normalize_accepts(given: str, expected: str) -> None:
    assert normalize_database_url(given) == expected
    assert normalize_database_url(expected) == expected  # idempotent


@pytest.mark.parametrize(
    "given",
    [
        "",
        "   ",
        "fishbot.db",
        "not a url at all",
        f"mysql://bot:{SECRET}@db/fishbot",
        f"mysql+aiomysql://bot:{SECRET}@db/fishbot",
        f"postgresql+psycopg2://bot:{SECRET}@db/fishbot",
        f"postgresql+psycopg://bot:{SECRET}@db/fishbot",
        f"sqlite+pysqlite:///{SECRET}.db",
        f"https://bot:{SECRET}@example.com/db",
        f"sqlite://bot:{SECRET}@host/fishbot.db",
        "sqlite://host/fishbot.db",
    ],
)
def test_normalize_rejects_without_leaking_password(given: str) -> None:
    with pytest.raises(ValueError) as excinfo:
        normalize_database_url(given)
    message = str(excinfo.value)
    assert "supported forms" in message
    assert "postgresql://" in message and "sqlite:///" in message
    if SECRET in given and "sqlite+pysqlite" not in given:
        assert SECRET not in message
    assert excinfo.value.__cause__ is None  # no chained parser error repeating the URL


def test_redact_url() -> None:
    assert SECRET not in redact_url(f"postgresql+asyncpg://bot:{SECRET}@db/fishbot")
    assert redact_url(f"postgresql://bot:{SECRET}@db/fishbot") == "postgresql://bot:***@db/fishbot"
    assert redact_url("sqlite+aiosqlite:///data/x.db") == "sqlite+aiosqlite:///data/x.db"
    # Unparseable input is still scrubbed.
    assert SECRET not in redact_url(f"::bad://bot:{SECRET}@db/x")


def test_repr_hides_password() -> None:
    db = Database(f"postgres://bot:{SECRET}@db/fishbot")
    assert SECRET not in repr(db)
    assert db.dialect == "postgresql"


def test_constructor_rejects_bad_url() -> None:
    with pytest.raises(ValueError):
        Database("mysql://x@y/z")


async def test_sqlite_creates_parent_directory_and_sets_pragmas(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "fishbot.db"
    db = Database(f"sqlite:///{path}")
    assert not path.parent.exists()  # constructing does no I/O
    try:
        async with db.session() as session:
            assert (await session.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
            assert (await session.execute(text("PRAGMA foreign_keys"))).scalar() == 1
            busy_timeout = (await session.execute(text("PRAGMA busy_timeout"))).scalar()
            assert busy_timeout == SQLITE_BUSY_TIMEOUT_MS == 30_000
        assert path.exists()
    finally:
        await db.close()


async def test_session_commits_and_rolls_back(db: Database) -> None:
    assert db.dialect in {"sqlite", "postgresql"}
    async with db.session() as session:
        await session.execute(text("CREATE TABLE t (x INTEGER)"))
    async with db.session() as session:
        await session.execute(text("INSERT INTO t VALUES (1)"))
    with pytest.raises(RuntimeError):
        async with db.session() as session:
            await session.execute(text("INSERT INTO t VALUES (2)"))
            raise RuntimeError("boom")
    async with db.session(write=True) as session:
        rows = (await session.execute(text("SELECT x FROM t"))).scalars().all()
    assert rows == [1]


async def test_close_then_reuse(db: Database) -> None:
    async with db, db.session() as session:
        assert (await session.execute(text("SELECT 1"))).scalar() == 1
    # Disposed engines reconnect on demand.
    async with db.session() as session:
        assert (await session.execute(text("SELECT 2"))).scalar() == 2


async def test_write_session_serialises_read_modify_write(db: Database) -> None:
    # The documented pattern: session(write=True) (BEGIN IMMEDIATE on SQLite) plus
    # SELECT … FOR UPDATE (PostgreSQL). Every increment must survive.
    async with db.session() as session:
        await session.execute(text("CREATE TABLE counter (n INTEGER NOT NULL)"))
        await session.execute(text("INSERT INTO counter VALUES (0)"))
    lock = " FOR UPDATE" if db.dialect == "postgresql" else ""

    async def increment() -> None:
        async with db.session(write=True) as session:
            n = (await session.execute(text(f"SELECT n FROM counter{lock}"))).scalar_one()
            await asyncio.sleep(0.01)  # let the others read in between, if they can
            await session.execute(text("UPDATE counter SET n = :n"), {"n": n + 1})

    await asyncio.gather(*(increment() for _ in range(10)))
    async with db.session() as session:
        assert (await session.execute(text("SELECT n FROM counter"))).scalar_one() == 10
