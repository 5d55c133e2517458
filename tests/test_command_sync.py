"""`run` registers the slash commands by itself, but only when the command tree changed since the
last successful global sync (its hash is kept in the database, so restarts cost nothing)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.client import EXTENSIONS
from bot.command_sync import sync_global
from bot.config import Settings
from tests.bot_fixtures import make_settings, start_bot
from tests.rest_recorder import CommandSyncRecorder


@pytest.fixture
def settings(fakefish: Any, tmp_path: Path) -> Settings:
    return make_settings(fakefish.base_url, tmp_path)


@pytest.fixture
def syncs(monkeypatch: pytest.MonkeyPatch) -> CommandSyncRecorder:
    return CommandSyncRecorder(monkeypatch)


async def restart(settings: Settings, **options: Any) -> None:
    """One start of `run` (same database each time) up to the gateway connection."""
    bot = await start_bot(settings, auto_sync=True, **options)
    await bot.close()


async def test_first_run_syncs_an_unchanged_restart_does_not_a_changed_tree_does(
    settings: Settings, syncs: CommandSyncRecorder
) -> None:
    await restart(settings)
    assert len(syncs.calls) == 1
    names = {command["name"] for command in syncs.calls[0]}
    assert {"speak", "voices", "credits"} <= names

    await restart(settings)
    await restart(settings)
    assert len(syncs.calls) == 1  # unchanged: no request at all

    await restart(settings, extensions=tuple(e for e in EXTENSIONS if e != "cogs.credits"))
    assert len(syncs.calls) == 2
    assert "credits" not in {command["name"] for command in syncs.calls[1]}


async def test_a_failed_sync_is_retried_at_the_next_start(
    settings: Settings, syncs: CommandSyncRecorder
) -> None:
    syncs.fail_status = 500
    await restart(settings)  # logged; the bot still starts
    assert syncs.calls == []
    syncs.fail_status = None
    await restart(settings)
    assert len(syncs.calls) == 1


async def test_manual_sync_is_recorded_so_run_does_not_repeat_it(
    settings: Settings, syncs: CommandSyncRecorder
) -> None:
    bot = await start_bot(settings)  # what `fishbot sync` builds
    try:
        assert await sync_global(bot.tree, bot.state) == len(syncs.calls[0])
    finally:
        await bot.close()
    await restart(settings)
    assert len(syncs.calls) == 1


async def test_without_auto_sync_nothing_is_sent(settings: Settings, syncs: CommandSyncRecorder) -> None:
    bot = await start_bot(settings)
    await bot.close()
    assert syncs.calls == []
