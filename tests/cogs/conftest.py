"""Fixtures shared by the command tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from bot.client import FishBot
from tests.cogs.test_narration import Room
from tests.discord_harness import FakeGuild, Harness


@pytest.fixture
def before_s1_retires(set_today: Callable[[date], None]) -> None:
    """s1 reads cues its own way until it retires on 2026-12-31 (then Fish serves s2.1-pro):
    modules about those days use it (`pytestmark = pytest.mark.usefixtures(...)`)."""
    set_today(date(2026, 12, 1))


@pytest.fixture
async def room(bot: FishBot, harness: Harness, guild: FakeGuild) -> Room:
    """Ann and Bob in a voice channel, Cat outside it, and a text channel (the narration tests)."""
    return Room(bot, harness, guild)
