"""/queue shows the words only to members in the bot's voice channel (who hear them anyway), and
never words read from a text channel the viewer can't read; anyone else sees who asked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import discord
import pytest

from bot.config import Settings
from tests.discord_harness import wait_for
from tests.helpers.narration import ANN, BOB, CAT, MANAGE, Room, first_clip_slow, settings_for

VIEW = str(discord.Permissions(view_channel=True).value)


@pytest.fixture
def bot_settings(fakefish: Any, tmp_path: Path) -> Settings:
    fakefish.ms_per_char = 5.0
    fakefish.min_seconds = 0.2
    return settings_for(fakefish.base_url, tmp_path)


def queue_lines(sent: list[Any]) -> list[str]:
    embed = sent[-1].embeds[0]
    assert sent[-1].ephemeral and sent[-1].allowed_mentions == {"parse": []}
    return [line for line in (embed.description or "").splitlines() if line]


async def test_queue_words_are_for_listeners_who_can_read_their_channel(bot, room: Room, guild,
                                                                         fakefish) -> None:
    # A staff channel only Ann can see, read aloud like the public one.
    staff = guild.add_channel("staff", overwrites=[
        {"id": str(guild.id), "type": 0, "allow": "0", "deny": VIEW},
        {"id": str(ANN), "type": 1, "allow": VIEW, "deny": "0"},
    ])
    await room.join_and_bind()
    await room.harness.run("narrate start", user_id=ANN, guild=guild, permissions=MANAGE, channel_id=staff)
    fakefish.ttfb = 30.0  # the first clip waits: the queue holds still while it is looked at
    room.say(ANN, "public words")
    await first_clip_slow(fakefish)
    room.say(ANN, "secret plans", channel_id=staff)
    await room.harness.run("speak", user_id=BOB, guild=guild, text="bob typed this")
    session = bot.voice_sessions.get(guild.id)
    await wait_for(lambda: len(session.queue) == 2)

    # Ann hears it all and can read both channels.
    ann = await room.harness.run("queue", user_id=ANN, guild=guild)
    assert queue_lines(ann) == ["**Now:** ann: ann said: public words", "1. ann: secret plans",
                                "2. bob: bob typed this"]
    assert not ann[-1].embeds[0].fields
    # Bob hears it too, but the staff channel's words are not his to read.
    bob = await room.harness.run("queue", user_id=BOB, guild=guild)
    assert queue_lines(bob) == ["**Now:** ann: ann said: public words", "1. ann", "2. bob: bob typed this"]
    # Cat is not in the voice channel: who asked, and nothing of what is said.
    cat = await room.harness.run("queue", user_id=CAT, guild=guild)
    assert queue_lines(cat) == ["**Now:** ann", "1. ann", "2. bob"]
    assert {f.name: f.value for f in cat[-1].embeds[0].fields} == {
        "What is said": f"Join <#{room.voice_channel}> to see the words."}
    await session.close()
