"""SIGTERM (what `docker stop` sends) and SIGINT (Ctrl-C) stop `fishbot run` in time, with exit
code 0, one log line and no traceback, whatever it is doing: each stage of the start-up is held
by a stand-in that never answers (or a lock, or a retry), and the signal arrives there. A running
bot closes its voice session and settles the clip's quota reservation; with the database down,
the ledger write is given up in time and logged with its amount."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from bot.storage.migrations import MIGRATION_LOCK_ID
from tests.fakefish import FakeFish
from tests.helpers.shutdown import ended, stopped
from tests.run_child import TEXT
from tests.startup_standins import (
    CuttableProxy,
    DiscordRest,
    Silent,
    child_env,
    closed_port,
    start_run,
)
from tests.storage.conftest import postgresql_url  # noqa: F401  (a fixture)


@pytest.fixture
async def slow_fish() -> Any:
    # Real time: the clip is still streaming when the signal arrives.
    async with FakeFish(api_key="test-key", ttfb=0.05, rtf=1.0) as fake:
        yield fake


def assert_said_once_and_last(log: str, sig: signal.Signals) -> None:
    said = [line for line in log.splitlines() if "received: shutting down" in line]
    assert len(said) == 1 and said[0].endswith(f"{sig.name} received: shutting down"), log
    assert log.strip().splitlines()[-1] == said[0], log


# --- each stage of the start-up, held ---------------------------------------------------------


@dataclass
class Stage:
    discord_api: str  # Discord's REST API for the child
    env: dict[str, str]
    reached: asyncio.Event | str  # set by the stand-in holding the stage, or a log line to wait for


Held = Callable[[Path], AbstractAsyncContextManager[Stage]]


def sqlite(tmp_path: Path) -> dict[str, str]:
    return {"DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}"}


def refused_api() -> str:
    return f"http://127.0.0.1:{closed_port()}/api/v10"


@asynccontextmanager
async def connecting_to_the_database(tmp_path: Path) -> AsyncIterator[Stage]:
    async with Silent() as database:
        url = f"postgresql://fishbot:fishbot@127.0.0.1:{database.port}/fishbot"
        yield Stage(refused_api(), {"DATABASE_URL": url}, database.reached)


@asynccontextmanager
async def migrating(url: str) -> AsyncIterator[Stage]:
    # Another process (this test) holds the migration lock: `run` waits for it, saying so.
    holder = create_async_engine(url, poolclass=NullPool)
    try:
        async with holder.connect() as conn:
            await conn.exec_driver_sql(f"SELECT pg_advisory_lock({MIGRATION_LOCK_ID})")
            yield Stage(refused_api(), {"DATABASE_URL": url}, "another process is migrating the database")
    finally:
        await holder.dispose()


@asynccontextmanager
async def logging_in(tmp_path: Path) -> AsyncIterator[Stage]:
    async with Silent() as discord:
        yield Stage(discord.url + "/api/v10", sqlite(tmp_path), discord.reached)


@asynccontextmanager
async def retrying(tmp_path: Path) -> AsyncIterator[Stage]:
    # The case reported: neither Discord nor Fish reachable, the signal between two tries.
    env = {**sqlite(tmp_path), "FISH_BASE_URL": f"http://127.0.0.1:{closed_port()}"}
    yield Stage(refused_api(), env, "retrying in")


@asynccontextmanager
async def reaching_fish(tmp_path: Path) -> AsyncIterator[Stage]:
    # Discord answers; Fish accepts the credit check (the one call `run` waits for) and is silent.
    silent_fish = Silent(until=b"GET /wallet/self/api-credit")
    async with DiscordRest(hold="GET /gateway/bot") as discord, silent_fish:
        yield Stage(discord.api, {**sqlite(tmp_path), "FISH_BASE_URL": silent_fish.url}, silent_fish.reached)


@asynccontextmanager
async def syncing_commands(tmp_path: Path) -> AsyncIterator[Stage]:
    async with DiscordRest(hold="PUT /applications/{id}/commands") as discord:
        yield Stage(discord.api, sqlite(tmp_path), discord.reached)


@asynccontextmanager
async def connecting_to_the_gateway(tmp_path: Path) -> AsyncIterator[Stage]:
    async with DiscordRest(hold="GET /gateway/bot") as discord:
        yield Stage(discord.api, sqlite(tmp_path), discord.reached)


async def reach(child: asyncio.subprocess.Process, reached: asyncio.Event | str) -> None:
    """Wait until the child is at the stage; fail with its log if it ends first."""
    assert child.stderr is not None
    if isinstance(reached, str):
        seen = ""
        while reached not in seen:
            line = (await asyncio.wait_for(child.stderr.readline(), 60)).decode()
            assert line, f"ended before {reached!r}:\n{seen}"
            seen += line
        return
    waiting = asyncio.ensure_future(reached.wait())
    exited = asyncio.ensure_future(child.wait())
    await asyncio.wait({waiting, exited}, timeout=60, return_when=asyncio.FIRST_COMPLETED)
    waiting.cancel()
    exited.cancel()
    if not reached.is_set():
        err = await child.stderr.read() if child.returncode is not None else b"(still running)"
        raise AssertionError(f"the stage was not reached:\n{err.decode()}")


STAGES: dict[str, Held] = {
    "database": connecting_to_the_database,
    "login": logging_in,
    "retrying": retrying,
    "fish": reaching_fish,
    "sync": syncing_commands,
    "gateway": connecting_to_the_gateway,
}


async def stop_during(stage: AbstractAsyncContextManager[Stage], sig: signal.Signals, fish: FakeFish,
                      tmp_path: Path) -> None:
    async with stage as held:
        env = child_env(**{"DISCORD_TOKEN": "x" * 20, "FISH_API_KEY": "test-key",
                           "FISH_BASE_URL": fish.base_url, "FISHBOT_STARTUP_RETRY_S": "60", **held.env})
        child = await start_run(held.discord_api, tmp_path, env)
        try:
            await reach(child, held.reached)
        except BaseException:
            await ended(child)
            raise
        log = await stopped(child, sig)
    assert_said_once_and_last(log, sig)


@pytest.mark.parametrize(("stage", "sig"), [
    *((stage, signal.SIGTERM) for stage in STAGES),
    ("retrying", signal.SIGINT),
    ("sync", signal.SIGINT),
])
async def test_a_signal_during_start_up_stops_it_cleanly(
    stage: str, sig: signal.Signals, fakefish: FakeFish, tmp_path: Path
) -> None:
    await stop_during(STAGES[stage](tmp_path), sig, fakefish, tmp_path)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
async def test_a_signal_while_waiting_to_migrate_stops_it_cleanly(
    sig: signal.Signals, postgresql_url: str, fakefish: FakeFish, tmp_path: Path  # noqa: F811
) -> None:
    await stop_during(migrating(postgresql_url), sig, fakefish, tmp_path)


# --- the running bot -------------------------------------------------------------------------


async def start_speaking(tmp_path: Path, fish: FakeFish, database_url: str) -> asyncio.subprocess.Process:
    """`run` (only Discord replaced: tests/run_child.py), once its clip is playing in voice."""
    env = child_env(DISCORD_TOKEN="test-discord-token", FISH_API_KEY="test-key",
                    FISH_BASE_URL=fish.base_url, DATABASE_URL=database_url)
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.run_child", cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    assert child.stdout is not None
    try:
        line = await asyncio.wait_for(child.stdout.readline(), 60)
    except BaseException:
        await ended(child)
        raise
    assert line.strip() == b"READY", line
    return child


async def test_sigterm_closes_sessions_settles_reservations_and_exits(slow_fish, tmp_path: Path) -> None:
    database = tmp_path / "bot.db"
    child = await start_speaking(tmp_path, slow_fish, f"sqlite:///{database}")
    log = await stopped(child, signal.SIGTERM)
    assert "SIGTERM received: shutting down" in log
    assert "voice session in guild" in log and "ended (closed)" in log

    with sqlite3.connect(database) as conn:
        rows = conn.execute("SELECT kind, amount, outcome FROM usage_ledger").fetchall()
        # The reservation is settled: one ledger row for the clip that was playing.
        assert len(rows) == 1 and rows[0][:2] == ("tts_bytes", len(TEXT.strip().encode())), rows


@pytest.mark.parametrize("down", ["refusing", "not answering"])
async def test_sigterm_with_the_database_down_gives_up_the_ledger_write_in_time_and_logs_it(
    down: str, slow_fish, postgresql_url: str, tmp_path: Path,  # noqa: F811
) -> None:
    url = make_url(postgresql_url)
    async with CuttableProxy(url.host or "127.0.0.1", url.port or 5432) as proxy:
        through = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        child = await start_speaking(tmp_path, slow_fish, through)
        # The database goes down while the clip plays: stopped, or silent (a network partition).
        proxy.cut() if down == "refusing" else proxy.freeze()
        log = await stopped(child, signal.SIGTERM)
    assert "ended (closed)" in log
    if down == "refusing":
        assert "exiting now" not in log, log  # the orderly close ended in time by itself
    # The clip's outcome could not be written: logged with its amount, and given up in time.
    lost = [line for line in log.splitlines() if "gave up recording" in line]
    assert len(lost) == 1, log
    assert f"outcome of a tts_bytes reservation of {len(TEXT.strip().encode())} (member " in lost[0], lost
