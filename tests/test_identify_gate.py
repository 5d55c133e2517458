"""The identify gate on a real PostgreSQL server: one IDENTIFY turn per bucket at a time across
processes (each gate has its own Database, as each process does), buckets independent, the turn
released when its window ends, nothing left held by a wait that was cancelled; and the session
start threshold. SQLite keeps discord.py's own pacing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from bot import gateway
from bot.cli import build_bot
from bot.gateway import IdentifyGate, SessionStarts, SessionStartsSpent, refuse_if_spent
from bot.storage.db import Database
from tests.bot_fixtures import make_settings
from tests.storage.conftest import postgresql_url  # noqa: F401  (fixture, registered by import)


@pytest.fixture
async def databases(postgresql_url: str) -> AsyncIterator[list[Database]]:  # noqa: F811
    """Three processes' worth of connections to one server."""
    dbs = [Database(postgresql_url) for _ in range(3)]
    yield dbs
    for db in dbs:
        await db.close()


async def advisory_locks(db: Database) -> tuple[int, int]:
    """(granted, waiting) identify locks on the server."""
    async with db.engine.connect() as conn:
        rows = (await conn.execute(text(
            "SELECT granted, count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = :cls "
            "GROUP BY granted"), {"cls": gateway.LOCK_CLASS})).all()
    counts = dict(rows)
    return counts.get(True, 0), counts.get(False, 0)


async def until(db: Database, expected: tuple[int, int]) -> None:
    """Wait until the server shows `expected` (granted, waiting) identify locks."""
    async with asyncio.timeout(10):
        while await advisory_locks(db) != expected:  # noqa: ASYNC110  (server state, no event)
            await asyncio.sleep(0.02)


async def identify_connections(db: Database, expected: int) -> None:
    """Wait until the server has `expected` identify connections (a closed one's server process
    ends a moment after the client has let go)."""
    async with asyncio.timeout(10):
        while True:
            async with db.engine.connect() as conn:
                count = (await conn.execute(text(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'fishbot-identify'"
                ))).scalar_one()
            if count == expected:
                return
            await asyncio.sleep(0.02)


async def test_a_bucket_gives_one_turn_at_a_time_across_processes(databases: list[Database]) -> None:
    first, second = IdentifyGate(databases[0]), IdentifyGate(databases[1])
    first.max_concurrency = second.max_concurrency = 2
    try:
        await first.wait_turn(0)  # bucket 0
        waiting = asyncio.create_task(second.wait_turn(2))  # bucket 0 too
        await until(databases[2], (1, 1))
        await second.wait_turn(3)  # bucket 1 is free meanwhile
        assert not waiting.done()
        await first.close()  # first's window over (close ends it early)
        await waiting
        assert await advisory_locks(databases[2]) == (2, 0)
    finally:
        await first.close()
        await second.close()


async def test_the_turn_ends_with_the_window(databases: list[Database],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gateway, "IDENTIFY_WINDOW_S", 0.0)
    monkeypatch.setattr(gateway, "IDENTIFY_MARGIN_S", 0.0)
    first, second = IdentifyGate(databases[0]), IdentifyGate(databases[1])
    try:
        await first.wait_turn(0)
        await second.wait_turn(0)  # first never closed: its hold let go by itself
        await second.wait_turn(0)  # and the same process's next turn too
    finally:
        await first.close()
        await second.close()
    await until(databases[2], (0, 0))
    await identify_connections(databases[2], 0)


async def test_a_cancelled_wait_holds_nothing(databases: list[Database]) -> None:
    first, second, third = (IdentifyGate(db) for db in databases)
    try:
        await first.wait_turn(0)
        waiting = asyncio.create_task(second.wait_turn(0))
        await until(databases[2], (1, 1))
        waiting.cancel()  # e.g. the bot stopping while it waits for its turn
        with pytest.raises(asyncio.CancelledError):
            await waiting
        await until(databases[2], (1, 0))
        await first.close()
        await third.wait_turn(0)  # nobody else holds or queues for bucket 0
        await identify_connections(databases[2], 1)
    finally:
        for gate in (first, second, third):
            await gate.close()


async def test_a_postgresql_bot_takes_turns_and_a_sqlite_bot_keeps_discord_pacing(
    fakefish: Any, tmp_path: Path, postgresql_url: str,  # noqa: F811
) -> None:
    settings = make_settings(fakefish.base_url, tmp_path)
    async with await build_bot(settings) as bot:
        assert bot.identify_gate is None
        await bot.before_identify_hook(0, initial=True)  # discord.py's: the first goes at once
    async with await build_bot(settings.model_copy(update={"database_url": postgresql_url})) as bot:
        assert bot.identify_gate is not None
        assert bot.shard_connect_timeout is None  # waiting for a turn is not a connection timeout
        await bot.before_identify_hook(0, initial=True)
        assert await advisory_locks(bot.db) == (1, 0)
    db = Database(postgresql_url)
    try:
        await until(db, (0, 0))  # closing the bot let go of its turn
    finally:
        await db.close()


def starts(remaining: int, total: int = 1000) -> SessionStarts:
    return SessionStarts(shards=4, total=total, remaining=remaining, reset_after_s=5400.0, max_concurrency=1)


def test_start_up_needs_every_shard_plus_a_reserve() -> None:
    refuse_if_spent(starts(58), shard_count=8)  # 8 shards + 50 (5 % of 1000)
    with pytest.raises(SessionStartsSpent) as refused:
        refuse_if_spent(starts(57), shard_count=8)
    message = str(refused.value)
    assert "\n" not in message
    assert message.startswith("only 57 of Discord's 1000 daily session starts are left")
    assert message.endswith("they refill in 1 h 30 min")
    # A small allowance still keeps one start back.
    refuse_if_spent(starts(3, total=10), shard_count=2)
    with pytest.raises(SessionStartsSpent):
        refuse_if_spent(starts(2, total=10), shard_count=2)
