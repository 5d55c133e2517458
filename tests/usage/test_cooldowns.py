"""The shared cooldown: a member hitting an expensive command too fast gets the time left in
FishTree's ephemeral message; other members and bot owners are not held up."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import discord
import pytest
from discord import app_commands

from bot.config import Settings
from bot.usage import expensive_cooldown
from bot.usage.cooldowns import COOLDOWNS
from tests.bot_fixtures import make_settings
from tests.discord_harness import snowflake

OWNER = 4_000_000_000_000_000_002


@pytest.fixture
def bot_settings(fakefish: Any, tmp_path: Path) -> Settings:
    return make_settings(fakefish.base_url, tmp_path, owner_ids=[OWNER])


def add_costly_command(bot: Any) -> list[int]:
    """A /costly command under the clone cooldown; returns the ids of the members it ran for."""
    calls: list[int] = []

    @app_commands.command(name="costly", description="spends credits")
    async def costly(interaction: discord.Interaction) -> None:
        calls.append(interaction.user.id)
        await interaction.response.send_message("done", ephemeral=True)

    expensive_cooldown(bot.cooldowns, "clone", costly)
    bot.tree.add_command(costly)
    return calls


async def test_cooldown_refuses_with_the_time_left(bot, harness, guild) -> None:
    calls = add_costly_command(bot)
    alice, bob = guild.add_member(snowflake(), "Alice"), guild.add_member(snowflake(), "Bob")
    guild.add_member(OWNER, "Owner")
    rate, per = COOLDOWNS["clone"]
    for _ in range(rate):
        assert (await harness.run("costly", user_id=alice, guild=guild))[0].content == "done"
    refused = await harness.run("costly", user_id=alice, guild=guild)
    assert refused[0].ephemeral and refused[0].content.startswith("Slow down: you can use this again in")
    assert ("1 min" if per >= 60 else " s") in refused[0].content
    assert (await harness.run("costly", user_id=bob, guild=guild))[0].content == "done"
    for _ in range(rate + 2):
        assert (await harness.run("costly", user_id=OWNER, guild=guild))[0].content == "done"
    assert calls.count(alice) == rate


async def test_racing_uses_never_exceed_the_allowance(migrated_db) -> None:
    import asyncio

    from bot.usage.cooldowns import SharedCooldowns

    cooldowns = SharedCooldowns(migrated_db, clock=lambda: 1_000.0)
    waits = await asyncio.gather(*(cooldowns.spend(7, "speak", 5, 15.0) for _ in range(12)))
    assert sorted(waits)[:5] == [0.0] * 5
    assert all(wait > 0 for wait in sorted(waits)[5:])


async def test_one_use_comes_back_every_per_over_rate_seconds(migrated_db) -> None:
    from bot.usage.cooldowns import SharedCooldowns

    now = [1_000.0]
    cooldowns = SharedCooldowns(migrated_db, clock=lambda: now[0])
    for _ in range(5):
        assert await cooldowns.spend(7, "speak", 5, 15.0) == 0.0
    assert await cooldowns.spend(7, "speak", 5, 15.0) == pytest.approx(3.0)
    assert await cooldowns.spend(8, "speak", 5, 15.0) == 0.0  # another member
    assert await cooldowns.spend(7, "clone", 1, 60.0) == 0.0  # another command
    now[0] += 3.0
    assert await cooldowns.spend(7, "speak", 5, 15.0) == 0.0
    assert await cooldowns.spend(7, "speak", 5, 15.0) == pytest.approx(3.0)
    now[0] += 60.0  # a quiet spell refills the whole burst, no more
    for _ in range(5):
        assert await cooldowns.spend(7, "speak", 5, 15.0) == 0.0
    assert await cooldowns.spend(7, "speak", 5, 15.0) > 0
    assert await cooldowns.delete_user(7) == 1  # /forget-me: the running one stays
    assert await cooldowns.spend(7, "speak", 5, 15.0) > 0
    now[0] += 60.0
    assert await cooldowns.delete_user(7) == 1


async def test_the_application_owner_is_exempt_without_configured_owners(fakefish, tmp_path) -> None:
    """Regression: the exemption used only `owner_ids`, so with none configured the application's
    owner (the fallback every other owner check honours) was rate-limited."""
    from tests.bot_fixtures import start_bot
    from tests.discord_harness import APPLICATION_OWNER_ID, FakeGuild, Harness

    bot = await start_bot(make_settings(fakefish.base_url, tmp_path))
    harness = Harness(bot)
    try:
        calls = add_costly_command(bot)
        guild = FakeGuild(bot)
        guild.add_member(APPLICATION_OWNER_ID, "Owner")
        alice = guild.add_member(snowflake(), "Alice")
        rate, _ = COOLDOWNS["clone"]
        for _ in range(rate + 2):
            sent = await harness.run("costly", user_id=APPLICATION_OWNER_ID, guild=guild)
            assert sent[0].content == "done"
        assert await bot.is_bot_owner(discord.Object(APPLICATION_OWNER_ID))
        for _ in range(rate):
            await harness.run("costly", user_id=alice, guild=guild)
        refused = await harness.run("costly", user_id=alice, guild=guild)
        assert refused[0].content.startswith("Slow down")
        assert calls.count(APPLICATION_OWNER_ID) == rate + 2 and calls.count(alice) == rate
    finally:
        harness.close()
        await bot.close()
