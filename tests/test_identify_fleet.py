"""Several `fishbot run` processes started together against a stand-in Discord that enforces the
IDENTIFY limit (tests/discord_gateway.py): on one PostgreSQL database they take turns and no
session is invalidated; without coordination (each process on its own SQLite file, discord.py's
pacing only) the same start gets invalidated sessions. And a start-up that would spend the last
session starts is refused before any IDENTIFY, and a stop while waiting for the turn is clean."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from bot.cli import EXIT_SESSION_STARTS
from bot.gateway import LOCK_CLASS
from bot.storage.db import Database
from tests.discord_gateway import StandInDiscord
from tests.helpers.shutdown import ended, stopped
from tests.storage.conftest import (  # noqa: F401  (fixtures, registered by import)
    migrated_postgresql_url,
    postgresql_migrated_database,
)

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "stand-in-discord-token-0123456789"
# Four shards in two buckets (max_concurrency 2), two processes of two shards each: every bucket
# has a shard in each process, so each process has a rival for each of its IDENTIFYs.
SHARDS, PER_PROCESS, CONCURRENCY = 4, 2, 2


def child_env(tmp_path: Path, index: int, *, discord: StandInDiscord, fish_url: str,
              database_url: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items()
            if not k.startswith("FISHBOT_") and k not in ("DISCORD_TOKEN", "FISH_API_KEY", "DATABASE_URL")}
    return {**base, "PYTHONPATH": str(ROOT), "DISCORD_TOKEN": TOKEN, "FISH_API_KEY": "test-key",
            "FISH_BASE_URL": fish_url, "DATABASE_URL": database_url,
            "STANDIN_DISCORD_URL": discord.base_url, "FISHBOT_PROCESS_INDEX": str(index),
            "FISHBOT_DATA_DIR": str(tmp_path / f"data{index}")}


async def start(args: Sequence[str], env: dict[str, str], cwd: Path) -> asyncio.subprocess.Process:
    await asyncio.to_thread(cwd.mkdir, exist_ok=True)
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.run_gateway_child", *args, cwd=cwd, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )


async def stop(children: list[asyncio.subprocess.Process]) -> list[tuple[int, str]]:
    """SIGTERM each child; their exit codes and logs."""
    results = []
    for child in children:
        if child.returncode is None:
            child.send_signal(signal.SIGTERM)
    for child in children:
        try:
            _out, err = await asyncio.wait_for(child.communicate(), 30)
        finally:
            if child.returncode is None:
                child.kill()
                await child.wait()
        assert child.returncode is not None
        results.append((child.returncode, err.decode()))
    return results


@pytest.fixture
async def stand_in_discord() -> AsyncIterator[StandInDiscord]:
    # HELLO waits until both processes' first shards are connected: they reach their first
    # IDENTIFY at the same moment, the worst case of a fleet started together.
    async with StandInDiscord(token=TOKEN, shards=SHARDS, max_concurrency=CONCURRENCY,
                              hello_barrier=2) as discord:
        yield discord


async def start_two_processes(tmp_path: Path, discord: StandInDiscord, fish_url: str,
                              database_urls: Sequence[str]) -> tuple[int, float]:
    """Start two processes of two shards each, wait until Discord has all four sessions, stop
    them; how many sessions Discord invalidated, and how long until all four were ready."""
    args = ["run", "--shard-count", str(SHARDS), "--shards-per-process", str(PER_PROCESS)]
    children = [await start(args, child_env(tmp_path, index, discord=discord, fish_url=fish_url,
                                            database_url=database_urls[index]), tmp_path / f"p{index}")
                for index in (0, 1)]
    began = time.monotonic()
    try:
        await discord.wait_ready(set(range(SHARDS)))
    except TimeoutError:
        logs = "\n".join(log[-3000:] for _code, log in await stop(children))
        raise AssertionError(f"not every shard got a session: {discord.identifies}\n{logs}") from None
    took = time.monotonic() - began
    first = discord.identifies[0].at
    print("IDENTIFYs (s after the first, shard, accepted):",
          [(round(i.at - first, 2), i.shard_id, i.accepted) for i in discord.identifies])
    results = await stop(children)
    for code, log in results:
        assert code == 0, log
        assert "Traceback" not in log, log
        # max_concurrency as Discord (the stand-in) gave it, not the gate's cautious default of 1.
        assert f"{CONCURRENCY} IDENTIFY per 5 s" in log, log
    return len(discord.invalidated()), took


async def test_two_processes_on_postgresql_never_get_an_invalidated_session(
    stand_in_discord: StandInDiscord, fakefish: Any, tmp_path: Path, migrated_postgresql_url: str,  # noqa: F811
) -> None:
    invalidated, took = await start_two_processes(tmp_path, stand_in_discord, fakefish.base_url,
                                                  [migrated_postgresql_url] * 2)
    print(f"coordinated: {invalidated} invalidated sessions, all {SHARDS} shards ready in {took:.1f} s")
    assert invalidated == 0, stand_in_discord.identifies
    assert sorted(i.shard_id for i in stand_in_discord.identifies) == list(range(SHARDS))
    # Each process read the limits before connecting.
    assert stand_in_discord.requests.count("GET /gateway/bot") == 2


async def test_without_coordination_the_same_start_gets_invalidated_sessions(
    stand_in_discord: StandInDiscord, fakefish: Any, tmp_path: Path,
) -> None:
    """The control: each process on its own SQLite file keeps only discord.py's in-process pacing,
    and the stand-in invalidates the IDENTIFYs that come too early; discord.py then recovers."""
    urls = [f"sqlite:///{tmp_path / f'bot{index}.db'}" for index in (0, 1)]
    invalidated, took = await start_two_processes(tmp_path, stand_in_discord, fakefish.base_url, urls)
    print(f"uncoordinated: {invalidated} invalidated sessions, all {SHARDS} shards ready in {took:.1f} s")
    assert invalidated >= 1


async def test_start_up_is_refused_while_session_starts_are_nearly_spent(
    fakefish: Any, tmp_path: Path,
) -> None:
    # 1000 a day, 50 kept in reserve, 4 shards: 54 needed.
    async with StandInDiscord(token=TOKEN, shards=SHARDS, remaining=53) as discord:
        child = await start(["run", "--shard-count", str(SHARDS)],
                            child_env(tmp_path, 0, discord=discord, fish_url=fakefish.base_url,
                                      database_url=f"sqlite:///{tmp_path / 'bot.db'}"), tmp_path)
        _out, err = await asyncio.wait_for(child.communicate(), 120)
    assert child.returncode == EXIT_SESSION_STARTS, err.decode()
    lines = [line for line in err.decode().splitlines() if line.startswith("fishbot:")]
    assert lines == [
        "fishbot: only 53 of Discord's 1000 daily session starts are left and starting 4 shard(s) "
        "needs 54 (with 50 kept in reserve; running out makes Discord reset the bot token); they "
        "refill in 4 h"
    ]
    assert "Traceback" not in err.decode()
    assert discord.identifies == [] and discord.remaining == 53


async def test_a_stop_while_waiting_for_the_identify_turn_exits_and_leaves_nothing_queued(
    fakefish: Any, tmp_path: Path, migrated_postgresql_url: str,  # noqa: F811
) -> None:
    """Another process holds bucket 0 (here: the test, on its own connection); `run` waits for its
    turn with its gateway connection open. SIGTERM then ends it cleanly, without an IDENTIFY and
    without leaving a waiter in PostgreSQL's lock queue."""
    db = Database(migrated_postgresql_url)
    holder = await db.engine.connect()
    try:
        await holder.execute(text("SELECT pg_advisory_lock(:cls, 0)"), {"cls": LOCK_CLASS})
        await holder.commit()
        async with StandInDiscord(token=TOKEN, shards=1) as discord:
            child = await start(["run", "--shard-count", "1"],
                                child_env(tmp_path, 0, discord=discord, fish_url=fakefish.base_url,
                                          database_url=migrated_postgresql_url), tmp_path)
            try:
                await until_waiting(db, 1)
                log = await stopped(child, signal.SIGTERM)
            finally:
                await ended(child)
            assert discord.identifies == []
        await until_waiting(db, 0)
        assert "SIGTERM received: shutting down" in log
    finally:
        await holder.close()
        await db.close()


async def until_waiting(db: Database, count: int) -> None:
    """Wait until `count` connections queue for an identify lock (server state: no event to await)."""
    async with asyncio.timeout(60):
        while True:
            async with db.engine.connect() as conn:
                waiting = (await conn.execute(text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = :cls "
                    "AND NOT granted"), {"cls": LOCK_CLASS})).scalar_one()
            if waiting == count:
                return
            await asyncio.sleep(0.05)
