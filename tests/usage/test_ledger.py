"""Quota reservation: atomic under concurrency (one and two processes), released on failure,
skip and cancellation, limits from config and per-server overrides, and the ledger's records."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot import clock
from bot.config import Settings
from bot.storage.db import Database
from bot.storage.migrations import upgrade
from bot.storage.models import UsageCounter, UsageEvent
from bot.storage.settings import SettingsStore
from bot.usage import QuotaExceeded, QuotaOverrides, UsageLedger
from bot.usage.ledger import FORGOTTEN_MEMBER
from bot.usage.quotas import OVERRIDES_NAMESPACE
from bot.wording import describe

GUILD = 111_111_111_111_111_111
ALICE = 222_222_222_222_222_222


def settings(**quotas: Any) -> Settings:
    base = {"tts_bytes_per_member": 0, "tts_bytes_per_guild": 0, "clones_per_member": 0,
            "clones_per_guild": 0, "transcribe_minutes_per_member": 0, "transcribe_minutes_per_guild": 0}
    return Settings(quotas=base | quotas)  # type: ignore[arg-type]


async def counters(db: Database) -> dict[tuple[int, int, str], int]:
    async with db.session() as session:
        rows = (await session.scalars(select(UsageCounter))).all()
    return {(r.guild_id, r.user_id, r.kind): r.used for r in rows}


async def events(db: Database) -> list[tuple[int, str, int, str]]:
    async with db.session() as session:
        rows = (await session.scalars(select(UsageEvent).order_by(UsageEvent.id))).all()
    return [(r.user_id, r.kind, r.amount, r.outcome) for r in rows]


async def try_reserve(ledger: UsageLedger, **kwargs: Any) -> Any:
    try:
        return await ledger.reserve(**kwargs)
    except QuotaExceeded as exc:
        return exc


async def test_100_concurrent_requests_get_exactly_the_member_quota(migrated_db: Database) -> None:
    ledger = UsageLedger(migrated_db, settings(tts_bytes_per_member=1000))
    results = await asyncio.gather(*[
        try_reserve(ledger, kind="tts_bytes", amount=30, user_id=ALICE, guild_id=GUILD)
        for _ in range(100)
    ])
    granted = [r for r in results if not isinstance(r, QuotaExceeded)]
    assert len(granted) == 33  # 33 * 30 = 990 <= 1000 < 34 * 30
    assert (await counters(migrated_db))[(GUILD, ALICE, "tts_bytes")] == 990
    for reservation in granted:
        await reservation.commit()
    assert (await counters(migrated_db))[(GUILD, ALICE, "tts_bytes")] == 990
    outcomes = [e[3] for e in await events(migrated_db)]
    assert outcomes.count("ok") == 33 and outcomes.count("denied") == 67


async def test_100_members_at_once_never_overspend_the_guild_quota(migrated_db: Database) -> None:
    ledger = UsageLedger(migrated_db, settings(clones_per_guild=37, clones_per_member=5))
    results = await asyncio.gather(*[
        try_reserve(ledger, kind="clones", amount=1, user_id=1000 + n, guild_id=GUILD)
        for n in range(100)
    ])
    denied = [r for r in results if isinstance(r, QuotaExceeded)]
    assert len(denied) == 63 and {d.scope for d in denied} == {"guild"}
    state = await counters(migrated_db)
    assert state[(GUILD, 0, "clones")] == 37
    # A denied member's own counter was rolled back with the guild's: nothing half-reserved.
    assert sum(v for (g, u, k), v in state.items() if u != 0) == 37


async def test_two_processes_sharing_one_database_never_overspend(migrated_database_url: str) -> None:
    quota = settings(tts_bytes_per_guild=500)
    first, second = Database(migrated_database_url), Database(migrated_database_url)
    try:
        await upgrade(first)  # a no-op on the shared, already migrated PostgreSQL database
        ledgers = [UsageLedger(first, quota), UsageLedger(second, quota)]
        results = await asyncio.gather(*[
            try_reserve(ledgers[n % 2], kind="tts_bytes", amount=7, user_id=1000 + n, guild_id=GUILD)
            for n in range(100)
        ])
        assert sum(not isinstance(r, QuotaExceeded) for r in results) == 71  # 71 * 7 = 497
        assert (await counters(first))[(GUILD, 0, "tts_bytes")] == 497
    finally:
        await first.close()
        await second.close()


async def test_failure_in_the_block_releases_the_reservation(migrated_db: Database) -> None:
    ledger = UsageLedger(migrated_db, settings(tts_bytes_per_member=100))
    with pytest.raises(RuntimeError):
        async with ledger.reserve(kind="tts_bytes", amount=100, user_id=ALICE, guild_id=GUILD):
            assert (await counters(migrated_db))[(GUILD, ALICE, "tts_bytes")] == 100
            raise RuntimeError("Fish said no")
    assert (await counters(migrated_db))[(GUILD, ALICE, "tts_bytes")] == 0
    # The whole quota is available again, and the ledger says what happened.
    async with ledger.reserve(kind="tts_bytes", amount=100, user_id=ALICE, guild_id=GUILD):
        pass
    assert [e[3] for e in await events(migrated_db)] == ["failed", "ok"]
    assert (await counters(migrated_db))[(GUILD, ALICE, "tts_bytes")] == 100


async def test_skip_and_cancellation_release(migrated_db: Database) -> None:
    ledger = UsageLedger(migrated_db, settings(tts_bytes_per_member=100, tts_bytes_per_guild=100))
    reservation = await ledger.reserve(kind="tts_bytes", amount=60, user_id=ALICE, guild_id=GUILD)
    await reservation.release("skipped")
    await reservation.commit()  # too late: only the first outcome counts

    started = asyncio.Event()

    async def cancelled_request() -> None:
        async with ledger.reserve(kind="tts_bytes", amount=70, user_id=ALICE, guild_id=GUILD):
            started.set()
            await asyncio.sleep(60)

    task = asyncio.create_task(cancelled_request())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await ledger.drain()
    state = await counters(migrated_db)
    assert state[(GUILD, ALICE, "tts_bytes")] == 0 and state[(GUILD, 0, "tts_bytes")] == 0
    assert [e[2:] for e in await events(migrated_db)] == [(60, "skipped"), (70, "skipped")]


async def test_rejects_amounts_and_ids_that_would_corrupt_the_counters(migrated_db: Database) -> None:
    ledger = UsageLedger(migrated_db, settings())
    for bad in ({"amount": -1}, {"amount": 1.5}, {"user_id": 0}, {"kind": "tokens"}):
        with pytest.raises(ValueError):
            ledger.reserve(**{"kind": "tts_bytes", "amount": 1, "user_id": ALICE, "guild_id": GUILD} | bad)
    assert await counters(migrated_db) == {}


async def test_cached_outcome_gives_the_amount_back(migrated_db: Database) -> None:
    ledger = UsageLedger(migrated_db, settings(tts_bytes_per_member=10))
    reservation = await ledger.reserve(kind="tts_bytes", amount=10, user_id=ALICE, guild_id=GUILD)
    await reservation.finish("cached")
    assert (await counters(migrated_db))[(GUILD, ALICE, "tts_bytes")] == 0
    with pytest.raises(ValueError):
        await reservation.release("ok")


async def test_refusal_says_what_is_left_and_when_it_resets(migrated_db: Database) -> None:
    ledger = UsageLedger(migrated_db, settings(tts_bytes_per_member=1000))
    async with ledger.reserve(kind="tts_bytes", amount=950, user_id=ALICE, guild_id=GUILD):
        pass
    with pytest.raises(QuotaExceeded) as caught:
        await ledger.reserve(kind="tts_bytes", amount=120, user_id=ALICE, guild_id=GUILD)
    text = describe(caught.value)
    assert text is not None and "Your daily quota of speech is used up" in text
    assert "50 bytes left of 1,000 bytes" in text and "needs 120 bytes" in text
    assert "1 per English letter, 3 per Japanese or Chinese character" in text
    assert "resets in" in text and "midnight UTC" in text
    assert caught.value.remaining == 50
    # A smaller request that fits still goes through.
    async with ledger.reserve(kind="tts_bytes", amount=50, user_id=ALICE, guild_id=GUILD):
        pass


async def test_quotas_reset_at_midnight_utc(migrated_db: Database, set_now) -> None:
    set_now(datetime(2026, 12, 6, 23, 59, 30, tzinfo=UTC))
    ledger = UsageLedger(migrated_db, settings(tts_bytes_per_member=100))
    async with ledger.reserve(kind="tts_bytes", amount=100, user_id=ALICE, guild_id=GUILD):
        pass
    with pytest.raises(QuotaExceeded) as caught:
        await ledger.reserve(kind="tts_bytes", amount=1, user_id=ALICE, guild_id=GUILD)
    assert "resets in 1 min (midnight UTC)" in str(describe(caught.value))
    set_now(datetime(2026, 12, 7, 0, 0, 1, tzinfo=UTC))
    today = await ledger.member_today(ALICE, GUILD)
    assert today.used["tts_bytes"] == 0 and today.remaining("tts_bytes") == 100
    assert today.reset_in == pytest.approx(24 * 3600 - 1, abs=1)
    async with ledger.reserve(kind="tts_bytes", amount=100, user_id=ALICE, guild_id=GUILD):
        pass


async def test_a_request_across_midnight_is_settled_on_the_day_it_was_reserved(migrated_db: Database,
                                                                              set_now) -> None:
    set_now(datetime(2026, 12, 6, 23, 59, 59, tzinfo=UTC))
    ledger = UsageLedger(migrated_db, settings(tts_bytes_per_member=100))
    spent = await ledger.reserve(kind="tts_bytes", amount=60, user_id=ALICE, guild_id=GUILD)
    failed = await ledger.reserve(kind="tts_bytes", amount=40, user_id=ALICE, guild_id=GUILD)
    set_now(datetime(2026, 12, 7, 0, 0, 2, tzinfo=UTC))
    await spent.commit()
    await failed.release("failed")
    async with migrated_db.session() as session:
        rows = (await session.scalars(select(UsageCounter).where(UsageCounter.user_id == ALICE))).all()
    assert {(r.day, r.used) for r in rows} == {(date(2026, 12, 6), 60)}  # nothing moved to the new day
    assert (await ledger.member_today(ALICE, GUILD)).remaining("tts_bytes") == 100


async def test_server_overrides_lower_but_never_raise_the_limits(migrated_db: Database) -> None:
    store = SettingsStore(migrated_db)
    ledger = UsageLedger(migrated_db, settings(clones_per_member=3, tts_bytes_per_guild=0), store=store)
    await store.update_guild(GUILD, OVERRIDES_NAMESPACE,
                             {"clones_per_member": 10, "tts_bytes_per_guild": 40}, model=QuotaOverrides)
    limits = await ledger.limits("clones", GUILD)
    assert limits.member == 3  # the operator's 3 wins over the server's 10
    assert (await ledger.limits("tts_bytes", GUILD)).guild == 40  # unlimited -> the server's 40
    async with ledger.reserve(kind="tts_bytes", amount=40, user_id=ALICE, guild_id=GUILD):
        pass
    with pytest.raises(QuotaExceeded) as caught:
        await ledger.reserve(kind="tts_bytes", amount=1, user_id=ALICE + 1, guild_id=GUILD)
    assert caught.value.scope == "guild" and "This server's daily quota" in str(describe(caught.value))

    await store.update_guild(GUILD, OVERRIDES_NAMESPACE, {"clones_per_member": 0}, model=QuotaOverrides)
    with pytest.raises(QuotaExceeded) as caught:
        await ledger.reserve(kind="clones", amount=1, user_id=ALICE, guild_id=GUILD)
    assert "is 0" in str(describe(caught.value))


async def test_transcription_minutes_count_in_seconds_and_dms_skip_the_guild(migrated_db: Database) -> None:
    ledger = UsageLedger(migrated_db, settings(transcribe_minutes_per_member=1.5,
                                               transcribe_minutes_per_guild=1))
    async with ledger.reserve(kind="transcribe_seconds", amount=90, user_id=ALICE, guild_id=None):
        pass  # a DM: no guild total, only the member's 90 s
    with pytest.raises(QuotaExceeded):
        await ledger.reserve(kind="transcribe_seconds", amount=1, user_id=ALICE, guild_id=None)
    with pytest.raises(QuotaExceeded) as caught:
        await ledger.reserve(kind="transcribe_seconds", amount=61, user_id=ALICE, guild_id=GUILD)
    assert caught.value.scope == "guild" and "1 min" in str(describe(caught.value))
    state = await counters(migrated_db)
    assert state[(0, ALICE, "transcribe_seconds")] == 90
    assert state.get((GUILD, 0, "transcribe_seconds"), 0) == 0


async def test_unlimited_quotas_still_count_and_report(migrated_db: Database) -> None:
    ledger = UsageLedger(migrated_db, settings())
    for amount in (5, 7):
        async with ledger.reserve(kind="tts_bytes", amount=amount, user_id=ALICE, guild_id=GUILD):
            pass
    await ledger.record(kind="tts_bytes", amount=5, user_id=ALICE, guild_id=GUILD, outcome="cached")
    today = await ledger.member_today(ALICE, GUILD)
    assert today.used["tts_bytes"] == 12 and today.guild_used["tts_bytes"] == 12
    assert today.remaining("tts_bytes") is None
    since = clock.utc_now() - timedelta(days=1)
    assert (await ledger.guild_totals(GUILD, since))["tts_bytes"] == 12
    assert await ledger.outcome_counts(GUILD, since, "tts_bytes") == {"ok": 2, "cached": 1}
    top = await ledger.top_users(GUILD, since)
    assert top == [(ALICE, {"tts_bytes": 12, "clones": 0, "transcribe_seconds": 0, "voice_designs": 0})]


async def test_forget_user_keeps_todays_counters(migrated_db: Database) -> None:
    ledger = UsageLedger(migrated_db, settings(clones_per_member=1))
    async with ledger.reserve(kind="clones", amount=1, user_id=ALICE, guild_id=GUILD):
        pass
    assert await ledger.has_events(ALICE)
    assert await ledger.forget_user(ALICE) == 1  # the ledger row
    # Kept for the operator's accounting, without the member's id.
    assert await events(migrated_db) == [(FORGOTTEN_MEMBER, "clones", 1, "ok")]
    assert not await ledger.has_events(ALICE)
    assert await ledger.top_users(GUILD, datetime(2000, 1, 1, tzinfo=UTC)) == []
    with pytest.raises(QuotaExceeded):  # deleting one's data is not a way around the quota
        await ledger.reserve(kind="clones", amount=1, user_id=ALICE, guild_id=GUILD)
