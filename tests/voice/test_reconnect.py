"""Voice sessions across discord.py's reconnects, with discord.py's real VoiceClient against the
loopback voice server (tests/voice_gateway.py): a voice WebSocket closed with 4006 mid-clip keeps
the session and its queue; a moderator's kick (4014 with the channel gone) ends it. When
discord.py's own reconnect stalls (a voice server that sends no RTCP, a lost IP discovery reply),
the session connects afresh."""

from __future__ import annotations

import asyncio
from typing import Any

import discord
import pytest

from bot.audio.ogg import OggDemuxer
from bot.voice import manager
from tests.discord_harness import wait_for
from tests.discord_internals import reconnect_task
from tests.helpers.speak import in_voice, speak
from tests.voice_gateway import LoopbackVoice

SILENCE = b"\xf8\xff\xfe"


@pytest.fixture
async def voice_server(bot: Any, guild: Any, tmp_path: Any) -> Any:
    bot.voice_sessions.voice_client_cls = discord.VoiceClient  # the real one, not the recorder
    async with LoopbackVoice(bot, guild, tmp_path) as server:
        yield server


@pytest.fixture
async def silent_voice_server(bot: Any, guild: Any, tmp_path: Any) -> Any:
    """A voice server that sends nothing unasked (no RTCP), as Discord's may: nothing wakes
    discord.py's socket reader from the closed socket of a dropped connection."""
    bot.voice_sessions.voice_client_cls = discord.VoiceClient
    async with LoopbackVoice(bot, guild, tmp_path, reports=False) as server:
        yield server


def spoken(fakefish: Any, count: int) -> list[bytes]:
    return [p for i in range(count) for p in OggDemuxer().feed(fakefish.audio_of(i)) if p != SILENCE]


def heard(voice_server: Any, fakefish: Any, index: int) -> bool:
    """A packet that only the `index`-th clip has reached the voice server."""
    if len(fakefish.requests_for("tts")) <= index:
        return False
    earlier = set(spoken(fakefish, index))
    own = {p for p in OggDemuxer().feed(fakefish.audio_of(index)) if p not in earlier and p != SILENCE}
    return not own.isdisjoint(voice_server.audio())


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


@pytest.mark.parametrize(("stall_s", "fresh_clients"), [(5.0, 0), (1.0, 1)],
                         ids=["discord.py-alone", "a-fresh-connection-too"])
async def test_a_reconnect_that_never_succeeds_ends_the_session_with_a_message(
        bot, harness, guild, fakefish, voice_server, stall_s, fresh_clients) -> None:
    clients: list[discord.VoiceClient] = []

    class Counted(discord.VoiceClient):
        def __init__(self, client: discord.Client, channel: Any) -> None:
            super().__init__(client, channel)
            clients.append(self)

    bot.voice_sessions.voice_client_cls = Counted
    bot.settings.speak.reconnect_timeout_s = 3.0
    bot.settings.speak.reconnect_stall_s = stall_s  # 5 s: the session gives up before trying afresh
    fakefish.rtf = 1.0
    user_id, _ = in_voice(guild)
    await speak(harness, guild, user_id, "a long message that never gets its connection back " * 3)
    session = bot.voice_sessions.get(guild.id)
    await wait_for(lambda: len(voice_server.audio()) >= 10, timeout=15)
    voice_server.refuse = True  # every new voice session is closed again at once
    await voice_server.close_voice(4006)
    await wait_for(lambda: session.closed, timeout=20)
    assert voice_server.identifies >= 2  # discord.py kept trying
    assert len(clients) == 1 + fresh_clients
    assert bot.voice_sessions.get(guild.id) is None
    assert bot.get_guild(guild.id).voice_client is None
    assert followups(harness)[-1].startswith("I lost the voice connection in")
    assert await fakefish.wait_disconnect("tts", timeout=3)


async def test_a_stalled_reconnect_is_replaced_by_a_fresh_connection(
        bot, harness, guild, fakefish, silent_voice_server) -> None:
    server = silent_voice_server
    assert bot.settings.speak.reconnect_stall_s == 5.0  # the default
    user_id, channel_id = in_voice(guild)
    await speak(harness, guild, user_id, "a message of about three seconds, cut at two")
    session = bot.voice_sessions.get(guild.id)
    await wait_for(lambda: len(server.audio()) >= 100, timeout=15)  # 2 s into the connection
    await server.close_voice(4006)
    # Bounded from the drop: the next /speak is heard within 10 s of it. (Asked once discord.py has
    # let go of the old connection, so its audio cannot slip out on that one.)
    next_heard = asyncio.ensure_future(wait_for(lambda: heard(server, fakefish, 1), timeout=10))
    await wait_for(lambda: session.reconnecting, timeout=5)
    await speak(harness, guild, user_id, "the next one")
    await next_heard
    await wait_for(lambda: session.clips_played == 2, timeout=10)
    assert bot.voice_sessions.get(guild.id) is session and not session.closed
    assert bot.get_guild(guild.id).voice_client is session.voice and session.voice.is_connected()
    assert server.channel_id == channel_id
    # The interrupted clip went on from its buffer, then the next one; nothing fetched twice.
    assert missing_at_most_one(server.audio(), spoken(fakefish, 2))
    assert len(fakefish.requests_for("tts")) == 2
    assert not [n for n in followups(harness) if "disconnected" in n or "connection" in n]


async def test_discord_py_s_stalled_reconnect_is_stopped_before_it_can_undo_the_fresh_one(
        bot, harness, guild, fakefish, voice_server, monkeypatch) -> None:
    # Left running, discord.py's stuck reconnect gives up at the first connection's timeout
    # (shortened here), then leaves the channel and unregisters the guild's voice client: the fresh one.
    monkeypatch.setattr(manager, "CONNECT_TIMEOUT_S", 3.0)
    bot.settings.speak.reconnect_stall_s = 1.0
    user_id, channel_id = in_voice(guild)
    await speak(harness, guild, user_id, "a message of about three seconds, cut at two")
    session = bot.voice_sessions.get(guild.id)
    stalled = session.voice
    await wait_for(lambda: len(voice_server.audio()) >= 100, timeout=15)
    voice_server.lose_discoveries = 1  # discord.py's reconnect hangs in IP discovery (always, here)
    await voice_server.close_voice(4006)
    await wait_for(lambda: session.voice is not stalled, timeout=10)  # connected afresh
    await wait_for(reconnect_task(stalled).done, timeout=10)  # discord.py's reconnect task
    await speak(harness, guild, user_id, "the next one")
    await wait_for(lambda: session.clips_played == 2, timeout=10)
    assert bot.get_guild(guild.id).voice_client is session.voice and not session.closed
    # Joined, left and rejoined by discord.py, left and joined afresh: nothing after that.
    assert voice_server.voice_state_requests == [channel_id, None, channel_id, None, channel_id]


async def test_a_speak_while_the_fresh_connection_is_made_joins_the_same_session(
        bot, harness, guild, fakefish, voice_server) -> None:
    gate = asyncio.Event()
    clients: list[discord.VoiceClient] = []

    class Gated(discord.VoiceClient):
        """The fresh connection (the second client) waits for the test before its handshake."""

        async def connect(self, **kwargs: Any) -> None:
            clients.append(self)
            if len(clients) > 1:
                await gate.wait()
            await super().connect(**kwargs)

    bot.voice_sessions.voice_client_cls = Gated
    bot.settings.speak.reconnect_stall_s = 1.0
    user_id, _ = in_voice(guild)
    await speak(harness, guild, user_id, "a message of about three seconds, cut at two")
    session = bot.voice_sessions.get(guild.id)
    await wait_for(lambda: len(voice_server.audio()) >= 100, timeout=15)
    voice_server.lose_discoveries = 1
    await voice_server.close_voice(4006)
    # The old client is gone and the guild's voice client is the fresh one, not yet connected.
    await wait_for(lambda: len(clients) == 2, timeout=10)
    assert bot.get_guild(guild.id).voice_client is clients[1] and session.reconnecting
    try:  # bounded: a session taken for stale would wait on the held connection
        sent = await asyncio.wait_for(speak(harness, guild, user_id, "the next one"), timeout=10)
    finally:
        gate.set()
    assert bot.voice_sessions.get(guild.id) is session and not session.closed  # not taken for stale
    assert "Speaking now" in sent[-1].content or "Queued" in sent[-1].content
    await wait_for(lambda: session.clips_played == 2, timeout=15)
    assert bot.voice_sessions.get(guild.id) is session and session.voice is clients[1]
    assert missing_at_most_one(voice_server.audio(), spoken(fakefish, 2))


async def test_a_kick_while_the_reconnect_is_stalled_ends_the_session(
        bot, harness, guild, fakefish, voice_server, monkeypatch) -> None:
    monkeypatch.setattr(manager, "CONNECT_TIMEOUT_S", 3.0)  # as above: when a stuck task wakes
    user_id, channel_id = in_voice(guild)
    await speak(harness, guild, user_id, "a message that is playing when the bot is kicked")
    session = bot.voice_sessions.get(guild.id)
    stalled = session.voice
    await wait_for(lambda: len(voice_server.audio()) >= 10, timeout=15)
    voice_server.lose_discoveries = 1
    await voice_server.close_voice(4006)
    # discord.py reconnects, and hangs in IP discovery; a moderator kicks the bot meanwhile.
    await wait_for(lambda: voice_server.discoveries == 2 and session.reconnecting, timeout=5)
    await voice_server.kick()
    await wait_for(lambda: session.closed, timeout=10)
    assert followups(harness)[-1].startswith("I was disconnected from")
    assert bot.get_guild(guild.id).voice_client is None
    assert voice_server.identifies == 2  # a real removal: no fresh connection
    # discord.py's stuck reconnect was stopped with the session: it leaves no channel later.
    await wait_for(reconnect_task(stalled).done, timeout=10)
    assert voice_server.voice_state_requests == [channel_id, None, channel_id, None]
