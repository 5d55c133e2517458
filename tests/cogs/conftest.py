"""Fixtures shared by the command tests."""

from __future__ import annotations

import pytest

from bot.client import FishBot
from tests.discord_harness import FakeGuild, Harness
from tests.helpers.narration import Room


@pytest.fixture
async def room(bot: FishBot, harness: Harness, guild: FakeGuild) -> Room:
    """Ann and Bob in a voice channel, Cat outside it, and a text channel (the narration tests)."""
    return Room(bot, harness, guild)
