"""A narration room (members in a voice channel and a text channel), its settings, and what
the stand-in was asked to say."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import discord

from bot.client import FishBot
from bot.config import Settings
from tests.bot_fixtures import make_settings
from tests.discord_harness import FakeGuild, Harness, events_handled, message_payload, wait_for
from tests.discord_internals import gateway_event

ANN, BOB, CAT, HELPER_BOT = 4242, 5353, 6464, 9191
MANAGE = discord.Permissions(manage_guild=True, manage_nicknames=True).value


def settings_for(base_url: str, tmp_path: Path, **extra: Any) -> Settings:
    return make_settings(base_url, tmp_path, narration={"enabled": True},
                         speak={"stall_timeout_s": 2.0, "idle_timeout_s": 60.0, "alone_leave_delay_s": 5.0},
                         fish={"timeout_s": 5.0, "max_retries": 0}, **extra)


class Room:
    """A server with Ann and Bob in a voice channel, Cat outside it, and a text channel."""

    def __init__(self, bot: FishBot, harness: Harness, guild: FakeGuild) -> None:
        self.bot, self.harness, self.guild = bot, harness, guild
        for user_id, name in ((ANN, "ann"), (BOB, "bob"), (CAT, "cat")):
            guild.add_member(user_id, name)
        guild.add_member(HELPER_BOT, "helperbot", bot=True)
        self.voice_channel = guild.add_channel("Voice", kind=2)
        guild.put_in_voice(ANN, self.voice_channel)
        guild.put_in_voice(BOB, self.voice_channel)
        self.text = guild.text_channel_id

    async def join_and_bind(self) -> None:
        await self.harness.run("join", user_id=ANN, guild=self.guild)
        sent = await self.harness.run("narrate start", user_id=ANN, guild=self.guild, permissions=MANAGE)
        assert "Reading" in sent[-1].content

    def say(self, author_id: int, content: str, **extra: Any) -> dict[str, Any]:
        payload = message_payload(self.guild, author_id=author_id, content=content,
                                  channel_id=extra.pop("channel_id", None), **extra)
        gateway_event(self.bot, "message_create", payload)
        return payload


def spoken(fakefish: Any) -> list[str]:
    return [r.body["text"] for r in fakefish.requests_for("tts")]


async def first_clip_slow(fakefish: Any) -> None:
    """Wait until the stand-in has planned the first clip, so it keeps the slow start it was given
    (the stand-in reads `ttfb` when it renders a request)."""
    await wait_for(lambda: any(r.planned_audio for r in fakefish.requests_for("tts")))


async def settle(bot: FishBot) -> None:
    """A barrier instead of a pause: every event handler discord.py has scheduled (one task per
    event) has run, and no voice session has anything left to say, so every message that was
    going to be read has been requested from Fish by now."""
    await events_handled()
    await wait_for(lambda: all(session.current is None and not session.queue
                               for session in bot.voice_sessions.sessions.values()))


async def configure(room: Room, **options: Any) -> Any:
    sent = await room.harness.run("settings narration", user_id=ANN, guild=room.guild, permissions=MANAGE,
                                  **options)
    return sent[-1]


def voice_update(room: Room, user_id: int, channel_id: int | None, *, suppress: bool = False) -> None:
    """A member joins, moves or leaves, as Discord sends it (and as the fake guild remembers it)."""
    room.guild.put_in_voice(user_id, channel_id)
    member = next(m for m in room.guild.members if m["user"]["id"] == str(user_id))
    for state in room.guild.voice_states:
        if state["user_id"] == str(user_id):
            state["suppress"] = suppress
    gateway_event(room.bot, "voice_state_update", {
        "guild_id": str(room.guild.id), "channel_id": str(channel_id) if channel_id else None,
        "user_id": str(user_id), "session_id": "s", "deaf": False, "mute": False, "self_deaf": False,
        "self_mute": False, "self_video": False, "suppress": suppress, "request_to_speak_timestamp": None,
        "member": member,
    })
