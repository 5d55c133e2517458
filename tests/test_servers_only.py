"""The commands are for servers that installed the bot only: registered with Discord as guild-only
(no DMs, no group DMs) and guild-install-only (switching on User Install in the developer portal
opens nothing), and an interaction that arrives from elsewhere anyway (commands registered before,
a stale client) is refused before any command runs, so nothing is spent outside a server's quotas."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.client import EXTENSIONS
from bot.config import Settings
from cogs.speak_message import MENU_NAME
from tests.bot_fixtures import make_settings, start_bot
from tests.discord_harness import FakeGuild, Harness, message_payload, snowflake
from tests.rest_recorder import CommandSyncRecorder

GUILD_CONTEXT, GUILD_INSTALL = 0, 0
REFUSAL = "I only work in servers that added me, not in DMs or as a user app."


@pytest.fixture
def syncs(monkeypatch: pytest.MonkeyPatch) -> CommandSyncRecorder:
    return CommandSyncRecorder(monkeypatch)


async def test_every_registered_command_is_for_servers_only(fakefish: Any, tmp_path: Path,
                                                            syncs: CommandSyncRecorder) -> None:
    settings: Settings = make_settings(fakefish.base_url, tmp_path, narration={"enabled": True})
    bot = await start_bot(settings, auto_sync=True, extensions=EXTENSIONS)
    loaded = len(bot.tree.get_commands(type=None))
    await bot.close()
    [payload] = syncs.calls
    # Every slash command and message menu the bot has.
    assert {command["type"] for command in payload} == {1, 3} and len(payload) == loaded
    wrong = [(c["name"], c.get("contexts"), c.get("integration_types")) for c in payload
             if c.get("contexts") != [GUILD_CONTEXT] or c.get("integration_types") != [GUILD_INSTALL]]
    assert wrong == []


async def test_a_dm_command_is_refused_before_it_runs(bot, harness: Harness, fakefish) -> None:
    # /usage and /voices were usable in DMs, with a member's own quota counted afresh there.
    for name, options in (("usage", {}), ("voices search", {"query": "Zebra"}),
                          ("speak", {"text": "from a DM"})):
        sent = await harness.run(name, user_id=snowflake(), **options)
        assert [(s.callback_type, s.content, s.ephemeral) for s in sent] == [(4, REFUSAL, True)], name
    assert fakefish.requests == []


async def test_a_dm_context_menu_is_refused(bot, harness: Harness, guild: FakeGuild, fakefish) -> None:
    author = guild.add_member(snowflake(), "Ann")
    message = message_payload(None, author_id=author, content="transcribe or read me")
    for menu in ("Transcribe", MENU_NAME):
        sent = await harness.context_menu(menu, message=message, user_id=author)
        assert [(s.content, s.ephemeral) for s in sent] == [(REFUSAL, True)], menu
    assert fakefish.requests == []


async def test_a_user_install_in_a_server_is_refused(bot, harness: Harness, guild: FakeGuild,
                                                     fakefish) -> None:
    """The member installed the app for themselves: Discord names only them as its authoriser."""
    member = guild.add_member(snowflake(), "Ann")
    guild.put_in_voice(member, guild.add_channel("Voice", kind=2))
    sent = await harness.run("speak", user_id=member, guild=guild, text="hello", user_install=True)
    assert [(s.content, s.ephemeral) for s in sent] == [(REFUSAL, True)]
    message = message_payload(guild, author_id=member, content="read me")
    sent = await harness.context_menu(MENU_NAME, message=message, user_id=member, guild=guild,
                                      user_install=True)
    assert [s.content for s in sent] == [REFUSAL]
    assert fakefish.requests_for("tts") == [] and bot.voice_sessions.get(guild.id) is None
    # The same member through the server's install is served.
    sent = await harness.run("speak", user_id=member, guild=guild, text="hello")
    assert "Speaking now" in sent[-1].content
