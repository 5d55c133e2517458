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
