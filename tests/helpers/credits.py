"""The credit tests' members and permissions, embed fields and the low-balance alert."""

from __future__ import annotations

from typing import Any

import discord
import pytest

from tests.discord_harness import FakeGuild
from tests.rest_recorder import RestRecorder

OWNER = 4_000_000_000_000_000_001
MANAGE = discord.Permissions(manage_guild=True).value


PLAIN = discord.Permissions.general().value & ~MANAGE


async def low_balance_alert(bot: Any, guild: FakeGuild, fakefish: Any,
                            monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Run the balance check with 4.2 credits left (below the threshold of 5) and an alert channel:
    the one message, posted in that channel."""
    channel_id = guild.add_channel("ops")
    guild.sync()
    monkeypatch.setattr(bot.settings.credits, "alert_channel_id", channel_id)
    rest = RestRecorder(bot, monkeypatch)
    fakefish.credit = "4.2"
    assert await bot.get_cog("Credits").check_balance() == "alerted"
    [(posted_in, payload)] = rest.messages
    assert posted_in == channel_id
    return payload


def field(embed: discord.Embed, name: str) -> str:
    return next(f.value for f in embed.fields if f.name == name)
