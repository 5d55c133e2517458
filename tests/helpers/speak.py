"""A member in a voice channel, /speak through the command tree, and the bot's voice client."""

from __future__ import annotations

from typing import Any

from tests.discord_harness import FakeGuild, Harness, snowflake
from tests.voice_standin import RecordingVoiceClient


def in_voice(guild: FakeGuild, name: str = "Alice", **member: Any) -> tuple[int, int]:
    user_id = guild.add_member(snowflake(), name, **member)
    channel_id = guild.add_channel("Voice", kind=2)
    guild.put_in_voice(user_id, channel_id)
    return user_id, channel_id


def voice_client(bot: Any, guild: FakeGuild) -> RecordingVoiceClient:
    client = bot.get_guild(guild.id).voice_client
    assert isinstance(client, RecordingVoiceClient)
    return client


def heard(bot: Any, guild: FakeGuild) -> bool:
    """The guild's first clip has played, and its voice client was sent its audio."""
    session = bot.voice_sessions.get(guild.id)
    voice = bot.get_guild(guild.id).voice_client
    return (session is not None and session.clips_played == 1 and isinstance(voice, RecordingVoiceClient)
            and len(voice.packets) > 10)


async def speak(harness: Harness, guild: FakeGuild, user_id: int, text: str, **options: Any) -> list[Any]:
    return await harness.run("speak", user_id=user_id, guild=guild, text=text, **options)
