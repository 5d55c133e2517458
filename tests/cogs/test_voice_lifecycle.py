"""Who owns what in voice: sessions outlive the /speak cog, the alone timer dies with its session,
a failing player stop still leaves the channel, and an unexpected clip failure keeps its traceback."""

from __future__ import annotations

import asyncio
import logging

import discord

from tests.discord_harness import wait_for
from tests.helpers.speak import in_voice, speak, voice_client


def left_channel_state() -> discord.VoiceState:
    return discord.VoiceState(data={"channel_id": None, "session_id": "s", "deaf": False, "mute": False,
                                    "self_mute": False, "self_deaf": False, "self_video": False,
                                    "suppress": False}, channel=None)


async def test_unloading_speak_keeps_sessions_and_their_health_checks(bot, harness, guild) -> None:
    """Regression: the voice-state listeners lived in the /speak cog, whose unload closed every
    session (narration's too) and left the rest unwatched."""
    user_id, channel_id = in_voice(guild)
    await harness.run("join", user_id=user_id, guild=guild)
    session = bot.voice_sessions.get(guild.id)
    await bot.remove_cog("Speak")
    assert not session.closed and bot.voice_sessions.get(guild.id) is session
    bot.dispatch("guild_channel_delete", bot.get_guild(guild.id).get_channel(channel_id))
    await wait_for(lambda: session.closed, timeout=3)
    assert bot.voice_sessions.get(guild.id) is None


async def test_the_alone_timer_is_cancelled_with_its_session(bot, harness, guild, monkeypatch) -> None:
    monkeypatch.setattr(bot.settings.speak, "alone_leave_delay_s", 600.0)
    user_id, channel_id = in_voice(guild)
    await harness.run("join", user_id=user_id, guild=guild)
    session = bot.voice_sessions.get(guild.id)
    member = guild.guild.get_member(user_id)
    guild.put_in_voice(user_id, None)
    session.voice.channel = guild.sync().get_channel(channel_id)
    bot.dispatch("voice_state_update", member, left_channel_state(), left_channel_state())
    await wait_for(lambda: session._alone_task is not None)
    timer = session._alone_task
    await session.close()
    await asyncio.wait({timer}, timeout=3)
    assert timer.cancelled()


async def test_a_failing_player_stop_still_leaves_the_channel(bot, harness, guild, monkeypatch) -> None:
    """Regression: one `suppress` around stop() and disconnect() skipped the disconnect when the
    stop failed (here once, as a player whose stop hits a transient error)."""
    user_id, _ = in_voice(guild)
    await harness.run("join", user_id=user_id, guild=guild)
    session = bot.voice_sessions.get(guild.id)
    client = voice_client(bot, guild)
    stop = client.stop
    failures = [RuntimeError("the player's stop failed")]

    def stop_failing_once() -> None:
        if failures:
            raise failures.pop()
        stop()

    monkeypatch.setattr(client, "stop", stop_failing_once)
    await session.close()
    assert not failures and not client.is_connected()


async def test_an_unexpected_clip_failure_is_logged_with_its_traceback(bot, harness, guild, fakefish,
                                                                       monkeypatch, caplog) -> None:
    """Regression: only the exception's type name was logged, at INFO."""

    def broken_stream(**_options: object) -> None:
        raise RuntimeError("a bug in the clip path")

    monkeypatch.setattr(bot.fish.tts, "stream", broken_stream)
    user_id, _ = in_voice(guild)
    with caplog.at_level(logging.INFO, logger="bot.voice.clip"):
        await speak(harness, guild, user_id, "hello")
        session = bot.voice_sessions.get(guild.id)
        await wait_for(lambda: session.clips_played == 1, timeout=5)
    records = [r for r in caplog.records if r.name == "bot.voice.clip" and r.levelno >= logging.ERROR]
    assert len(records) == 1 and records[0].exc_info is not None
    assert "a bug in the clip path" in caplog.text
    notices = [s.content for s in harness.sent if s.kind == "followup"]
    assert "Something went wrong. Try again later." in notices
