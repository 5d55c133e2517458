"""A member in a voice channel, for the quota tests."""

from __future__ import annotations

from tests.discord_harness import FakeGuild, snowflake


def in_voice(guild: FakeGuild, name: str = "Alice") -> int:
    user_id = guild.add_member(snowflake(), name)
    guild.put_in_voice(user_id, guild.add_channel("Voice", kind=2))
    return user_id
