"""Fixtures for a whole FishBot: the Fish stand-in, a temporary SQLite database, the interaction
recorder and the recording voice client. Registered as a pytest plugin from tests/conftest.py."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from bot.config import Settings
from tests import discord_internals as internals
from tests.discord_harness import APPLICATION_ID, FakeGuild, Harness

if TYPE_CHECKING:
    from bot.client import FishBot


def make_settings(base_url: str, tmp_path: Path, **sections: Any) -> Settings:
    return Settings(
        discord_token="test-discord-token",  # type: ignore[arg-type]
        fish_api_key="test-key",  # type: ignore[arg-type]
        fish_base_url=base_url,
        database_url=f"sqlite+aiosqlite:///{(tmp_path / 'bot.db').as_posix()}",
        data_dir=tmp_path,
        **sections,
    )


async def start_bot(settings: Settings, **options: Any) -> FishBot:
    """The bot `fishbot run` builds (`build_bot`), with the recording voice client, set up as
    login() would, minus the network."""
    # Imported here so that test modules that don't need a whole bot never import the voice stack.
    from bot.cli import build_bot
    from tests.voice_standin import RecordingVoiceClient

    bot = await build_bot(settings, voice_client_cls=RecordingVoiceClient, **options)
    await internals.set_up_without_login(bot, APPLICATION_ID)
    await bot.setup_hook()
    return bot


@pytest.fixture
def bot_settings(fakefish: Any, tmp_path: Path) -> Settings:
    """Override in a test module to change limits."""
    return make_settings(
        fakefish.base_url, tmp_path,
        speak={"stall_timeout_s": 2.0, "idle_timeout_s": 60.0, "alone_leave_delay_s": 0.2},
        fish={"timeout_s": 5.0, "max_retries": 1},
    )


@pytest.fixture
async def bot(bot_settings: Settings) -> AsyncIterator[FishBot]:
    instance = await start_bot(bot_settings)
    try:
        yield instance
    finally:
        await instance.close()


@pytest.fixture
def harness(bot: FishBot) -> Any:
    recorder = Harness(bot)
    yield recorder
    recorder.close()


@pytest.fixture
def guild(bot: FishBot, harness: Harness) -> FakeGuild:
    return FakeGuild(bot)
