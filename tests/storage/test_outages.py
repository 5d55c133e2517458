"""Database outages and contention: a PostgreSQL server restarted under a running ledger and
settings store loses no rows (commands meanwhile get "try again in a moment", the pool reconnects
by itself); concurrent SQLite writers from two engines never see "database is locked"."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.config import Settings
from bot.errors import DatabaseUnavailable
from bot.spoken.settings import NAMESPACE, ServerSpeech
from bot.storage.db import Database
from bot.storage.migrations import upgrade
from bot.storage.models import UsageEvent
from bot.storage.settings import SettingsStore
from bot.usage import UsageLedger
from bot.wording import describe

GUILD = 333_333_333_333_333_333


async def run(*command: str) -> str:
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await process.communicate()
    assert process.returncode == 0, f"{' '.join(command)}: {out.decode()}"
    return out.decode()


@dataclass
class Cluster:
    version: str
    name: str
    port: int

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://restart:restart@127.0.0.1:{self.port}/restart"

    async def ctl(self, action: str) -> None:
        await run("pg_ctlcluster", self.version, self.name, action)

    async def psql(self, sql: str) -> None:
        await run("runuser", "-u", "postgres", "--", "psql", "-p", str(self.port), "-X", "-q",
                  "-v", "ON_ERROR_STOP=1", "-c", sql)


@pytest.fixture
async def restartable_postgres() -> AsyncIterator[Cluster]:
    """A PostgreSQL cluster of its own (the CI's installation, a throwaway data directory and
    port), because the shared test server must not be stopped under other test runs. Dropped
    afterwards; the shared server is never touched."""
    if shutil.which("pg_createcluster") is None or os.geteuid() != 0:
        message = "needs root and Debian's postgresql-common (pg_createcluster)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    version = sorted(os.listdir("/usr/lib/postgresql"), key=lambda v: [int(p) for p in v.split(".")])[-1]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    cluster = Cluster(version, f"fishbot_restart_{os.getpid()}", port)
    await run("pg_createcluster", version, cluster.name, "-p", str(port))
    try:
        await cluster.ctl("start")
        await cluster.psql("CREATE ROLE restart LOGIN PASSWORD 'restart'")
        await cluster.psql("CREATE DATABASE restart OWNER restart")
        yield cluster
    finally:
        await run("pg_dropcluster", "--stop", version, cluster.name)


async def ledger_rows(db: Database) -> list[tuple[int, str]]:
    async with db.session() as session:
        rows = (await session.scalars(select(UsageEvent).order_by(UsageEvent.id))).all()
    return [(r.amount, r.outcome) for r in rows]


async def test_postgresql_restart_loses_no_settings_and_no_ledger_rows(restartable_postgres) -> None:
    cluster = restartable_postgres
    db = Database(cluster.url)
    try:
        await upgrade(db)
        store, ledger = SettingsStore(db), UsageLedger(db, Settings())
        await store.update_guild(GUILD, NAMESPACE, {"read_bots": True}, model=ServerSpeech)
        first = await ledger.reserve(kind="tts_bytes", amount=11, user_id=1, guild_id=GUILD)
        await first.finish("ok")
        playing = await ledger.reserve(kind="tts_bytes", amount=22, user_id=2, guild_id=GUILD)

        await cluster.ctl("stop")
        # A command that writes settings meanwhile is told to try again; nothing half-saved.
        with pytest.raises(DatabaseUnavailable) as refused:
            await store.update_guild(GUILD, NAMESPACE, {"read_bots": False}, model=ServerSpeech)
        assert describe(refused.value) == ("The bot's database isn't answering right now. "
                                           "Try again in a moment.")
        # A clip that ends while the server is down: its outcome is kept and written later.
        await playing.finish("partial")
        await ledger.record(kind="tts_bytes", amount=33, user_id=3, guild_id=GUILD, outcome="cached")

        await cluster.ctl("start")
        await ledger.drain()  # the retried writes land once the server is back
        assert sorted(await ledger_rows(db)) == [(11, "ok"), (22, "partial"), (33, "cached")]
        fresh = SettingsStore(db)  # no cache: read from the restarted server
        assert (await fresh.get_guild(GUILD, NAMESPACE, ServerSpeech)).read_bots is True

        # A plain restart: the pooled connections die with the server; pre-ping replaces them,
        # so the first command afterwards just works.
        await cluster.ctl("restart")
        await store.update_guild(GUILD, NAMESPACE, {"read_bots": False}, model=ServerSpeech)
        assert (await SettingsStore(db).get_guild(GUILD, NAMESPACE, ServerSpeech)).read_bots is False
    finally:
        await db.close()


async def test_concurrent_sqlite_writers_never_see_a_lock(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{(tmp_path / 'busy.db').as_posix()}"
    first, second = Database(url), Database(url)  # two engines on one file, like two processes
    try:
        await upgrade(first)
        ledgers = [UsageLedger(first, Settings()), UsageLedger(second, Settings())]
        stores = [SettingsStore(first), SettingsStore(second)]

        async def spend(n: int) -> None:
            reservation = await ledgers[n % 2].reserve(kind="tts_bytes", amount=n + 1, user_id=1000 + n,
                                                       guild_id=GUILD)
            await reservation.finish("ok" if n % 3 else "skipped")

        async def configure(n: int) -> None:
            await stores[n % 2].update_guild(GUILD + n, NAMESPACE, {"max_length": n + 1},
                                             model=ServerSpeech)

        await asyncio.gather(*[spend(n) for n in range(120)], *[configure(n) for n in range(60)])
        await asyncio.gather(*(ledger.drain() for ledger in ledgers))
        async with first.session() as session:
            assert await session.scalar(select(func.count()).select_from(UsageEvent)) == 120
        for n in range(60):
            config = await SettingsStore(second).get_guild(GUILD + n, NAMESPACE, ServerSpeech)
            assert config.max_length == n + 1
    finally:
        await first.close()
        await second.close()
