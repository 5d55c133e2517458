"""Voice sessions across discord.py's reconnects, with discord.py's real VoiceClient against the
loopback voice server (tests/voice_gateway.py): a voice WebSocket closed with 4006 mid-clip keeps
the session and its queue; a moderator's kick (4014 with the channel gone) ends it."""

from __future__ import annotations

from typing import Any

import discord
import pytest

from bot.audio.ogg import OggDemuxer
from tests.cogs.test_speak import in_voice, speak
from tests.discord_harness import wait_for
from tests.voice_gateway import LoopbackVoice

SILENCE = b"\xf8\xff\xfe"


@pytest.fixture
async def voice_server(bot: Any, guild: Any, tmp_path: Any) -> Any:
    bot.voice_sessions.voice_client_cls = discord.VoiceClient  # the real one, not the recorder
    async with LoopbackVoice(bot, guild, tmp_path) as server:
        yield server


def spoken(fakefish: Any, count: int) -> list[bytes]:
    return [p for i in range(count) for p in OggDemuxer().feed(fakefish.audio_of(i)) if p != SILENCE]


def followups(harness: Any) -> list[str]:
    return [s.content for s in harness.sent if s.kind == "followup"]


def missing_at_most_one(received: list[bytes], expected: list[bytes]) -> bool:
    """`received` is `expected` in order, without repeats, short of at most one packet (the one
    discord.py's player had read when it found the connection down)."""
    if received == expected:
        return True
    return len(received) == len(expected) - 1 and any(
        received == expected[:i] + expected[i + 1:] for i in range(len(expected)))


async def test_4006_mid_clip_keeps_the_session_and_the_queue(bot, harness, guild, fakefish,
                                                             voice_server) -> None:
    user_id, channel_id = in_voice(guild)
    texts = ["the first message is long enough to be cut in the middle " * 3, "the second one",
             "and a third"]
    for text in texts:
        await speak(harness, guild, user_id, text)
    session = bot.voice_sessions.get(guild.id)
    assert voice_server.identifies == 1 and voice_server.channel_id == channel_id
    await wait_for(lambda: len(voice_server.audio()) >= 25, timeout=15)  # half a second in
    await voice_server.close_voice(4006)  # session no longer valid: discord.py leaves and rejoins
    await wait_for(lambda: voice_server.identifies == 2, timeout=20)
    assert voice_server.voice_state_requests[-2:] == [None, channel_id]
    await wait_for(lambda: session.clips_played == 3, timeout=40)
    assert bot.voice_sessions.get(guild.id) is session and not session.closed
    # The interrupted clip went on from where it stopped, and the queued ones followed.
    assert missing_at_most_one(voice_server.audio(), spoken(fakefish, 3))
    assert len(fakefish.requests_for("tts")) == 3  # nothing had to be fetched again
    assert not [n for n in followups(harness) if "disconnected" in n or "connection" in n]


async def test_kick_ends_the_session_and_tells_the_requester(bot, harness, guild, fakefish,
                                                            voice_server) -> None:
    fakefish.rtf = 1.0
    user_id, _ = in_voice(guild)
    await speak(harness, guild, user_id, "a long message that is playing when the bot is kicked " * 3)
    await speak(harness, guild, user_id, "waiting in the queue")
    session = bot.voice_sessions.get(guild.id)
    await wait_for(lambda: len(voice_server.audio()) >= 10, timeout=15)
    await voice_server.kick()
    await wait_for(lambda: session.closed, timeout=10)
    assert bot.voice_sessions.get(guild.id) is None
    assert bot.get_guild(guild.id).voice_client is None
    assert voice_server.identifies == 1  # discord.py did not try to come back
    assert await fakefish.wait_disconnect("tts", timeout=3)
    assert followups(harness)[-1].startswith("I was disconnected from")


async def test_a_reconnect_that_never_succeeds_ends_the_session_with_a_message(
        bot, harness, guild, fakefish, voice_server) -> None:
    bot.settings.speak.reconnect_timeout_s = 3.0
    fakefish.rtf = 1.0
    user_id, _ = in_voice(guild)
    await speak(harness, guild, user_id, "a long message that never gets its connection back " * 3)
    session = bot.voice_sessions.get(guild.id)
    await wait_for(lambda: len(voice_server.audio()) >= 10, timeout=15)
    voice_server.refuse = True  # every new voice session is closed again at once
    await voice_server.close_voice(4006)
    await wait_for(lambda: session.closed, timeout=20)
    assert voice_server.identifies >= 2  # discord.py kept trying
    assert bot.voice_sessions.get(guild.id) is None
    assert followups(harness)[-1].startswith("I lost the voice connection in")
    assert await fakefish.wait_disconnect("tts", timeout=3)
