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


async def test_cooldown_refuses_with_the_time_left(bot, harness, guild) -> None:
    calls: list[int] = []

    @app_commands.command(name="costly", description="spends credits")
    @expensive_cooldown("clone")
    async def costly(interaction: discord.Interaction) -> None:
        calls.append(interaction.user.id)
        await interaction.response.send_message("done", ephemeral=True)

    bot.tree.add_command(costly)
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


async def test_the_application_owner_is_exempt_without_configured_owners(fakefish, tmp_path) -> None:
    """Regression: the exemption used only `owner_ids`, so with none configured the application's
    owner (the fallback every other owner check honours) was rate-limited."""
    from tests.bot_fixtures import start_bot
    from tests.discord_harness import APPLICATION_OWNER_ID, FakeGuild, Harness

    bot = await start_bot(make_settings(fakefish.base_url, tmp_path))
    harness = Harness(bot)
    try:
        calls: list[int] = []

        @app_commands.command(name="costly", description="spends credits")
        @expensive_cooldown("clone")
        async def costly(interaction: discord.Interaction) -> None:
            calls.append(interaction.user.id)
            await interaction.response.send_message("done", ephemeral=True)

        bot.tree.add_command(costly)
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
