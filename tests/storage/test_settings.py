"""SettingsStore: defaults, read-back, persistence, cache behaviour, concurrency, deletion."""

from __future__ import annotations

import asyncio
import logging

import pytest
from pydantic import BaseModel, ConfigDict, ValidationError, create_model
from sqlalchemy import text

from bot.storage.db import Database
from bot.storage.migrations import upgrade
from bot.storage.settings import SettingsStore

from .conftest import count_queries

GUILD = 123456789012345678  # snowflake-sized, needs BIGINT
OTHER_GUILD = 223456789012345678
USER = 987654321098765432
OTHER_USER = 887654321098765432


class Speak(BaseModel):
    voice: str | None = None
    volume: int = 100
    announce: bool = True


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def store(migrated_db: Database) -> SettingsStore:
    return SettingsStore(migrated_db)


async def test_defaults_when_nothing_stored(store: SettingsStore) -> None:
    assert await store.get_guild(GUILD, "speak", Speak) == Speak()
    assert await store.get_user(USER, "speak", Speak) == Speak()


async def test_update_and_read_back(store: SettingsStore) -> None:
    result = await store.update_guild(GUILD, "speak", {"voice": "abc"}, model=Speak)
    assert result == Speak(voice="abc")
    result = await store.update_guild(GUILD, "speak", Speak(volume=50))
    assert result == Speak(voice="abc", volume=50)  # merged, voice kept
    assert await store.get_guild(GUILD, "speak", Speak) == Speak(voice="abc", volume=50)
    # Other guilds, namespaces and the user table are untouched.
    assert await store.get_guild(OTHER_GUILD, "speak", Speak) == Speak()
    assert await store.get_guild(GUILD, "other", Speak) == Speak()
    assert await store.get_user(GUILD, "speak", Speak) == Speak()

    await store.update_user(USER, "speak", Speak(announce=False))
    assert await store.get_user(USER, "speak", Speak) == Speak(announce=False)


async def test_only_set_fields_are_stored(store: SettingsStore, migrated_db: Database) -> None:
    # Defaults are not frozen into the row, so changing a default in code reaches everyone.
    await store.update_guild(GUILD, "speak", {"volume": "70"}, model=Speak)  # coerced
    async with migrated_db.session() as session:
        data = await session.scalar(text(f"SELECT data FROM guild_settings WHERE guild_id={GUILD}"))
    if isinstance(data, str):  # SQLite hands raw JSON text to text() queries
        import json

        data = json.loads(data)
    assert data == {"volume": 70}


async def test_get_modify_update_writes_only_assigned_fields(store: SettingsStore) -> None:
    await store.update_guild(GUILD, "speak", {"voice": "abc", "volume": 10}, model=Speak)
    mine = await store.get_guild(GUILD, "speak", Speak)
    # Meanwhile somebody else changes the volume.
    await store.update_guild(GUILD, "speak", {"volume": 20}, model=Speak)
    mine.voice = "xyz"
    assert await store.update_guild(GUILD, "speak", mine) == Speak(voice="xyz", volume=20)


async def test_returned_models_do_not_alias_the_cache(store: SettingsStore) -> None:
    first = await store.get_guild(GUILD, "speak", Speak)
    first.volume = 1
    assert (await store.get_guild(GUILD, "speak", Speak)).volume == 100


async def test_invalid_update_raises_and_writes_nothing(store: SettingsStore) -> None:
    await store.update_guild(GUILD, "speak", {"voice": "abc"}, model=Speak)
    with pytest.raises(ValidationError):
        await store.update_guild(GUILD, "speak", {"volume": "loud", "voice": "x"}, model=Speak)
    assert await store.get_guild(GUILD, "speak", Speak) == Speak(voice="abc")
    with pytest.raises(ValueError, match="voise"):
        await store.update_guild(GUILD, "speak", {"voise": "typo"}, model=Speak)
    assert await store.get_guild(GUILD, "speak", Speak) == Speak(voice="abc")


@pytest.mark.parametrize("bad", [0, "", "x" * 33])
async def test_rejects_bad_keys(store: SettingsStore, bad: object) -> None:
    with pytest.raises((ValueError, TypeError)):
        if bad == 0:
            await store.get_guild(-1, "speak", Speak)
        else:
            await store.get_guild(GUILD, bad, Speak)  # type: ignore[arg-type]


async def test_persists_across_restart(database_url: str) -> None:
    db = Database(database_url)
    try:
        await upgrade(db)
        await SettingsStore(db).update_guild(GUILD, "speak", {"voice": "abc"}, model=Speak)
        await SettingsStore(db).update_user(USER, "speak", {"volume": 5}, model=Speak)
    finally:
        await db.close()
    db = Database(database_url)  # a new process: new engine, empty cache
    try:
        store = SettingsStore(db)
        assert await store.get_guild(GUILD, "speak", Speak) == Speak(voice="abc")
        assert await store.get_user(USER, "speak", Speak) == Speak(volume=5)
    finally:
        await db.close()


async def test_cache_hit_needs_no_query_and_write_invalidates(
    store: SettingsStore, migrated_db: Database
) -> None:
    with count_queries(migrated_db) as queries:
        assert await store.get_guild(GUILD, "speak", Speak) == Speak()  # miss (no row)
        assert queries.count > 0
        queries.reset()
        for _ in range(5):
            assert await store.get_guild(GUILD, "speak", Speak) == Speak()
        assert queries.count == 0, queries.statements

        await store.update_guild(GUILD, "speak", {"voice": "abc"}, model=Speak)
        queries.reset()
        assert await store.get_guild(GUILD, "speak", Speak) == Speak(voice="abc")
        assert queries.count > 0  # re-read after the write
        queries.reset()
        assert await store.get_guild(GUILD, "speak", Speak) == Speak(voice="abc")
        assert queries.count == 0


async def test_ttl_expiry(migrated_db: Database) -> None:
    clock = FakeClock()
    store = SettingsStore(migrated_db, ttl=30.0, clock=clock)
    # A second store on its own engine plays another process sharing the database.
    other_db = Database(migrated_db.url)
    other = SettingsStore(other_db)
    try:
        assert await store.get_user(USER, "speak", Speak) == Speak()
        await other.update_user(USER, "speak", {"voice": "abc"}, model=Speak)
        clock.now += 29.0
        with count_queries(migrated_db) as queries:
            assert await store.get_user(USER, "speak", Speak) == Speak()  # stale but bounded
            assert queries.count == 0
            clock.now += 2.0
            assert await store.get_user(USER, "speak", Speak) == Speak(voice="abc")
            assert queries.count > 0
    finally:
        await other_db.close()


async def test_lru_bound(migrated_db: Database) -> None:
    store = SettingsStore(migrated_db, max_entries=3)
    for guild in range(1, 6):
        await store.get_guild(guild, "speak", Speak)
    await store.get_guild(3, "speak", Speak)  # refresh: most recently used
    with count_queries(migrated_db) as queries:
        await store.get_guild(5, "speak", Speak)
        await store.get_guild(3, "speak", Speak)
        assert queries.count == 0
        await store.get_guild(1, "speak", Speak)  # evicted long ago
        assert queries.count > 0
    assert len(store._cache) == 3


# Twenty independent fields; each concurrent update sets a different one.
Wide = create_model("Wide", **{f"f{i}": (int, 0) for i in range(20)})  # type: ignore[call-overload]


async def test_concurrent_updates_of_different_fields_are_all_kept(store: SettingsStore) -> None:
    await asyncio.gather(
        *(store.update_guild(GUILD, "wide", {f"f{i}": i + 1}, model=Wide) for i in range(20))
    )
    result = await store.get_guild(GUILD, "wide", Wide)
    assert result.model_dump() == {f"f{i}": i + 1 for i in range(20)}


async def test_concurrent_updates_from_two_processes(migrated_db: Database) -> None:
    # Two engines on the same database: the in-process cache cannot help, only the row lock
    # (PostgreSQL) or BEGIN IMMEDIATE (SQLite) can.
    other_db = Database(migrated_db.url)
    stores = [SettingsStore(migrated_db), SettingsStore(other_db)]
    try:
        await asyncio.gather(
            *(stores[i % 2].update_user(USER, "wide", {f"f{i}": i + 1}, model=Wide) for i in range(20))
        )
    finally:
        await other_db.close()
    result = await SettingsStore(migrated_db).get_user(USER, "wide", Wide)
    assert result.model_dump() == {f"f{i}": i + 1 for i in range(20)}


class Listed(BaseModel):
    ids: list[int] = []
    other: int = 0


async def test_edits_of_one_list_from_two_processes_are_all_kept(migrated_db: Database) -> None:
    # Each edit appends to the list it is given: only a read under the write's lock keeps them all.
    other_db = Database(migrated_db.url)
    stores = [SettingsStore(migrated_db), SettingsStore(other_db)]
    try:
        await asyncio.gather(*(
            stores[i % 2].edit_guild(GUILD, "listed", Listed, lambda c, i=i: {"ids": [*c.ids, i]})
            for i in range(20)
        ))
    finally:
        await other_db.close()
    result = await SettingsStore(migrated_db).get_guild(GUILD, "listed", Listed)
    assert sorted(result.ids) == list(range(20))


async def test_an_edit_that_raises_writes_nothing(store: SettingsStore) -> None:
    await store.update_guild(GUILD, "listed", {"ids": [1]}, model=Listed)

    def refuse(current: Listed) -> dict[str, object]:
        assert current == Listed(ids=[1])  # the stored settings, as the model
        current.ids.append(2)  # a private copy: changing it changes nothing stored
        raise LookupError("already there")

    with pytest.raises(LookupError):
        await store.edit_guild(GUILD, "listed", Listed, refuse)
    assert await store.edit_guild(GUILD, "listed", Listed, lambda c: {"other": 5}) == Listed(ids=[1], other=5)
    with pytest.raises(ValueError, match="no fields"):
        await store.edit_guild(GUILD, "listed", Listed, lambda c: {"idz": []})
    assert await SettingsStore(store.db).get_guild(GUILD, "listed", Listed) == Listed(ids=[1], other=5)


async def _store_raw(db: Database, table: str, owner: int, namespace: str, raw: str) -> None:
    column = "guild_id" if table == "guild_settings" else "user_id"
    cast = "CAST(:data AS JSONB)" if db.dialect == "postgresql" else ":data"
    async with db.session() as session:
        await session.execute(
            text(f"INSERT INTO {table} ({column}, namespace, data) VALUES (:o, :n, {cast})"),
            {"o": owner, "n": namespace, "data": raw},
        )


async def test_invalid_stored_fields_fall_back_field_by_field(
    store: SettingsStore, migrated_db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    await _store_raw(migrated_db, "guild_settings", GUILD, "speak", '{"voice": "abc", "volume": "loud"}')
    with caplog.at_level(logging.WARNING, logger="bot.storage.settings"):
        assert await store.get_guild(GUILD, "speak", Speak) == Speak(voice="abc")
    assert "volume" in caplog.text and "loud" not in caplog.text  # names, not values
    # A later write drops the broken field instead of failing.
    assert await store.update_guild(GUILD, "speak", {"announce": False}, model=Speak) == Speak(
        voice="abc", announce=False
    )


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")
    level: int = 1


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("[1, 2, 3]", Strict()),  # not an object at all
        ('"text"', Strict()),
        ('{"level": 5, "removed_field": true}', Strict(level=5)),  # unknown key dropped
        ('{"level": {"nested": 1}}', Strict()),
    ],
)
async def test_unusable_blob_falls_back_to_defaults(
    store: SettingsStore, migrated_db: Database, raw: str, expected: Strict
) -> None:
    await _store_raw(migrated_db, "user_settings", USER, "strict", raw)
    assert await store.get_user(USER, "strict", Strict) == expected


async def test_delete_user_removes_every_namespace(store: SettingsStore, migrated_db: Database) -> None:
    for namespace in ("speak", "clone", "transcribe"):
        await store.update_user(USER, namespace, {"voice": namespace}, model=Speak)
    await store.update_user(OTHER_USER, "speak", {"voice": "keep"}, model=Speak)
    await store.update_guild(USER, "speak", {"voice": "guild with the same id"}, model=Speak)
    assert (await store.get_user(USER, "clone", Speak)).voice == "clone"  # now cached

    assert await store.delete_user(USER) == 3
    assert await store.delete_user(USER) == 0
    for namespace in ("speak", "clone", "transcribe"):
        assert await store.get_user(USER, namespace, Speak) == Speak()
    assert (await store.get_user(OTHER_USER, "speak", Speak)).voice == "keep"
    assert (await store.get_guild(USER, "speak", Speak)).voice == "guild with the same id"
    async with migrated_db.session() as session:
        left = await session.scalar(
            text("SELECT count(*) FROM user_settings WHERE user_id = :u"), {"u": USER}
        )
    assert left == 0


async def test_delete_guild(store: SettingsStore) -> None:
    await store.update_guild(GUILD, "speak", {"voice": "a"}, model=Speak)
    await store.update_guild(GUILD, "other", {"voice": "b"}, model=Speak)
    assert await store.delete_guild(GUILD, "other") == 1
    assert (await store.get_guild(GUILD, "speak", Speak)).voice == "a"
    assert await store.delete_guild(GUILD) == 1
    assert await store.get_guild(GUILD, "speak", Speak) == Speak()


async def test_update_without_model_merges_raw_json(store: SettingsStore) -> None:
    assert await store.update_user(USER, "misc", {"a": 1}) == {"a": 1}
    assert await store.update_user(USER, "misc", {"b": [1, 2]}) == {"a": 1, "b": [1, 2]}


class Mentioning(BaseModel):
    members: list[int] = []
    note: str = ""


async def test_a_data_deletion_request_finds_the_guilds_that_mention_a_member(store: SettingsStore) -> None:
    """One query over every guild's JSON (JSONB on PostgreSQL): the guilds whose stored value
    mentions the member, and no other; the user settings and other namespaces are not read."""
    third = OTHER_GUILD + 1
    await store.update_guild(GUILD, "listed", {"members": [1, USER]}, model=Mentioning)
    await store.update_guild(OTHER_GUILD, "listed", {"members": [OTHER_USER]}, model=Mentioning)
    await store.update_guild(third, "listed", {"note": f"%_{USER}"}, model=Mentioning)  # LIKE's wildcards
    await store.update_guild(third, "other", {"members": [USER]}, model=Mentioning)
    await store.update_user(USER, "listed", {"members": [USER]}, model=Mentioning)
    found = await store.guilds_mentioning("listed", Mentioning, USER)
    assert found == {GUILD: Mentioning(members=[1, USER]), third: Mentioning(note=f"%_{USER}")}
    assert await store.guilds_mentioning("listed", Mentioning, 4242) == {}
    assert await store.user_namespaces(USER) == ["listed"]
    assert await store.user_namespaces(OTHER_USER) == []
