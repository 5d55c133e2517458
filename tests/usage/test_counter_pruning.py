"""Old quota counters are pruned by a task of their own, whatever the alert settings."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from bot.storage.db import Database
from bot.storage.migrations import upgrade
from bot.storage.models import UsageCounter
from bot.usage.ledger import COUNTER_RETENTION_DAYS
from bot.usage.quotas import utc_day
from tests.bot_fixtures import make_settings, start_bot


async def counter_days(db: Database) -> list[int]:
    async with db.session() as session:
        days = (await session.execute(select(UsageCounter.day))).scalars().all()
    return sorted((utc_day() - day).days for day in days)


async def test_counters_are_pruned_with_the_low_balance_alert_off(fakefish: Any, tmp_path: Path) -> None:
    """Regression: pruning ran inside the low-balance alert loop, which never starts with
    `low_balance_threshold = 0`, so counters then piled up for ever."""
    settings = make_settings(fakefish.base_url, tmp_path, credits={"low_balance_threshold": 0})
    db = Database(settings.resolved_database_url)
    await upgrade(db)
    async with db.session(write=True) as session:
        for age in (0, COUNTER_RETENTION_DAYS, COUNTER_RETENTION_DAYS + 1, 40):
            await session.execute(insert(UsageCounter).values(
                guild_id=1, user_id=2, kind="tts_bytes", used=5, day=utc_day() - timedelta(days=age)))
    await db.close()
    bot = await start_bot(settings)
    try:
        assert not bot.get_cog("Credits").balance_loop.is_running()
        # The first pass runs at start-up; poll the table until it has (or the time is up).
        deadline = asyncio.get_running_loop().time() + 10
        while await counter_days(bot.db) != [0, COUNTER_RETENTION_DAYS]:
            assert asyncio.get_running_loop().time() < deadline, await counter_days(bot.db)
            await asyncio.sleep(0.02)
        task = bot._pruning
    finally:
        await bot.close()
    assert task.done()  # cancelled with the bot
