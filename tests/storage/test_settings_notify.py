"""Several processes on one PostgreSQL database: a settings change through one store reaches
every other store's cache through LISTEN/NOTIFY (each test waits for the notification)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from pydantic import BaseModel
from sqlalchemy import text

from bot.storage.db import Database
from bot.storage.settings import SettingsStore
from tests.discord_harness import wait_for

USER = 123456789012345678
GUILD = 987654321098765432


class Prefs(BaseModel):
    voice: str | None = None
    speed: float = 1.0


@pytest.fixture
async def two_stores(migrated_postgresql_url: str) -> AsyncIterator[tuple[SettingsStore, SettingsStore]]:
    # Two databases objects = two engines and pools, as two processes would have. A long TTL,
    # so only the notification can explain a fresh read.
    dbs = [Database(migrated_postgresql_url), Database(migrated_postgresql_url)]
    stores = [SettingsStore(db, ttl=3600) for db in dbs]
    for store in stores:
        await store.listen()
        await wait_for(store.listening.is_set)
    try:
        yield stores[0], stores[1]
    finally:
        for store, db in zip(stores, dbs, strict=True):
            await store.close()
            await db.close()


async def test_a_user_change_in_one_process_is_seen_by_the_other(two_stores) -> None:
    first, second = two_stores
    assert (await second.get_user(USER, "voice", Prefs)).voice is None  # cached: "no row"
    seen = second.remote_changes
    await first.update_user(USER, "voice", {"voice": "calm"}, model=Prefs)
    await wait_for(lambda: second.remote_changes > seen)
    assert (await second.get_user(USER, "voice", Prefs)).voice == "calm"


async def test_guild_changes_and_deletions_reach_the_other_process(two_stores) -> None:
    first, second = two_stores
    await first.update_guild(GUILD, "speak", {"speed": 1.5}, model=Prefs)
    await wait_for(lambda: second.remote_changes == 1)  # notifications arrive in commit order
    assert (await second.get_guild(GUILD, "speak", Prefs)).speed == 1.5
    await second.get_user(USER, "voice", Prefs)
    seen = second.remote_changes
    await first.update_user(USER, "voice", {"voice": "calm"}, model=Prefs)
    await wait_for(lambda: second.remote_changes > seen)
    assert (await second.get_user(USER, "voice", Prefs)).voice == "calm"

    seen = second.remote_changes
    await first.delete_guild(GUILD)
    await first.delete_user(USER)  # every namespace, as /forget-me does
    await wait_for(lambda: second.remote_changes >= seen + 2)
    assert (await second.get_guild(GUILD, "speak", Prefs)).speed == 1.0
    assert (await second.get_user(USER, "voice", Prefs)).voice is None


async def test_a_lost_listening_connection_reconnects_and_forgets_the_cache(two_stores) -> None:
    first, second = two_stores
    await second.get_user(USER, "voice", Prefs)
    # Kill the listener's connection from the server side, as a PostgreSQL restart would.
    async with first.db.session() as session:
        await session.execute(text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE application_name = 'fishbot-listener' AND datname = current_database()"))
    await wait_for(lambda: not second.listening.is_set())
    # A change made while nobody listened: the reconnect drops the whole cache.
    await first.update_user(USER, "voice", {"voice": "missed"}, model=Prefs)
    await wait_for(second.listening.is_set, timeout=15)
    assert (await second.get_user(USER, "voice", Prefs)).voice == "missed"
