"""Switching a server's expressive cues on or off through /settings."""

from __future__ import annotations

from tests.discord_harness import FakeGuild, Harness

MANAGE = 1 << 5


async def allow_cues(harness: Harness, guild: FakeGuild, user_id: int, on: bool = True) -> None:
    await harness.run("settings narration", user_id=user_id, guild=guild, permissions=MANAGE,
                      expressive_cues=on)
