"""Members and their cloned voices for the voice-library tests (with their fixtures)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from tests.bot_fixtures import make_settings
from tests.discord_harness import FakeGuild

ANN, BOB, OWNER, ADMIN = 4242, 5353, 6464, 7575


@pytest.fixture
def bot_settings(fakefish: Any, tmp_path: Path) -> Settings:
    return make_settings(fakefish.base_url, tmp_path, owner_ids=[OWNER],
                         fish={"timeout_s": 5.0, "max_retries": 0})


@pytest.fixture
def members(guild: FakeGuild) -> None:
    for user_id, name in ((ANN, "ann"), (BOB, "bob"), (OWNER, "owner"), (ADMIN, "admin")):
        guild.add_member(user_id, name)


async def own_voice(bot: Any, fakefish: Any, user_id: int, title: str, *,
                    visibility: str = "private") -> str:
    """A voice on the operator's account, recorded as cloned through the bot by `user_id`."""
    voice = fakefish.add_voice(title, visibility=visibility)
    await bot.voice_owners.record(voice_id=voice["_id"], user_id=user_id, guild_id=None, title=title,
                                     visibility=visibility)
    return voice["_id"]
