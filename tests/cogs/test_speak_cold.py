"""A cold /speak (the bot is not in voice yet): Fish is asked as soon as the quota is reserved,
while the voice connection is being made; audio that arrives first waits in the clip's buffer and
plays once connected. A join that fails cancels the Fish stream at once; what Fish was already
asked for stays counted ("spent"), and a hopeless join asks Fish for nothing.
Orderings are read from the stand-ins' clocks (perf_counter on both sides), never from sleeps."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import discord
import pytest
from sqlalchemy import select

from bot.audio.ogg import OggDemuxer
from bot.config import Settings
from bot.storage.models import UsageEvent
from tests.bot_fixtures import make_settings
from tests.discord_harness import FakeGuild, snowflake, wait_for
from tests.voice_standin import RecordingVoiceClient

SILENCE = b"\xf8\xff\xfe"
LONG_TEXT = "A long sentence that keeps the stand-in streaming for quite a while. " * 2


@pytest.fixture
def bot_settings(fakefish: Any, tmp_path: Path) -> Settings:
    return make_settings(
        fakefish.base_url, tmp_path,
        speak={"stall_timeout_s": 5.0, "idle_timeout_s": 60.0},
        fish={"timeout_s": 5.0, "max_retries": 0},
    )


class Handshake:
    """Times of the voice handshake, read by the tests."""

    started_at: float | None = None
    connected_at: float | None = None


def voice_client_joining_in(
    seconds: float, *, fails: bool = False
) -> tuple[type[RecordingVoiceClient], Handshake]:
    """A recording voice client whose connection takes `seconds` (Discord's voice handshake),
    then succeeds or times out."""
    handshake = Handshake()

    class JoiningVoiceClient(RecordingVoiceClient):
        async def connect(self, **kwargs: Any) -> None:
            handshake.started_at = time.perf_counter()
            await asyncio.sleep(seconds)  # stands in for gateway, voice WS, UDP discovery, DAVE
            if fails:
                raise TimeoutError
            await super().connect(**kwargs)
            handshake.connected_at = time.perf_counter()

    return JoiningVoiceClient, handshake


def member_in_voice(guild: FakeGuild) -> int:
    member = guild.add_member(snowflake(), "Alice")
    guild.put_in_voice(member, guild.add_channel("Voice", kind=2))
    return member


def audio_packets(bot: Any, guild: FakeGuild) -> list[bytes]:
    client = bot.get_guild(guild.id).voice_client
    return [data for _, data in client.packets if data != SILENCE]


async def ledger(bot: Any) -> list[tuple[int, str]]:
    async with bot.db.session() as session:
        rows = (await session.scalars(select(UsageEvent).order_by(UsageEvent.id))).all()
    return [(r.amount, r.outcome) for r in rows]


async def speak_cold(
    bot: Any, harness: Any, guild: FakeGuild, join_s: float, text: str
) -> tuple[list[Any], Handshake]:
    cls, handshake = voice_client_joining_in(join_s)
    bot.voice_sessions.voice_client_cls = cls
    sent = await harness.run("speak", user_id=member_in_voice(guild), guild=guild, text=text)
    return sent, handshake


async def test_slow_join_fast_fish_buffers_and_plays_everything(bot, harness, guild, fakefish) -> None:
    fakefish.ttfb = 0.0  # Fish answers long before the voice connection is ready
    sent, handshake = await speak_cold(bot, harness, guild, 0.5, "Hello from a cold start.")
    assert "Speaking now" in sent[-1].content
    request = fakefish.requests_for("tts")[0]
    assert handshake.started_at is not None and handshake.connected_at is not None
    # Fish was asked, and answered, while the handshake was still going on.
    assert request.received_at < handshake.connected_at
    assert request.first_byte_at is not None and request.first_byte_at < handshake.connected_at
    session = bot.voice_sessions.get(guild.id)
    await wait_for(lambda: session.clips_played == 1)
    # Nothing that arrived before the connection was lost: every packet played, in order.
    expected = [p for p in OggDemuxer().feed(fakefish.last_audio("tts")) if p != SILENCE]
    assert len(expected) > 20 and audio_packets(bot, guild) == expected
    client = bot.get_guild(guild.id).voice_client
    assert client.packets[0][0] > handshake.connected_at
    assert await ledger(bot) == [(len("Hello from a cold start."), "ok")]


async def test_fast_join_slow_fish_asks_fish_before_the_join_ends(bot, harness, guild, fakefish) -> None:
    fakefish.ttfb = 0.5  # the voice connection is ready first
    sent, handshake = await speak_cold(bot, harness, guild, 0.1, "Fish is the slow one this time.")
    assert "Speaking now" in sent[-1].content
    request = fakefish.requests_for("tts")[0]
    assert handshake.connected_at is not None
    assert request.received_at < handshake.connected_at  # in parallel, not after the join
    session = bot.voice_sessions.get(guild.id)
    await wait_for(lambda: session.clips_played == 1)
    assert request.first_byte_at is not None and request.first_byte_at > handshake.connected_at
    expected = [p for p in OggDemuxer().feed(fakefish.last_audio("tts")) if p != SILENCE]
    assert audio_packets(bot, guild) == expected


async def test_a_failing_join_cancels_the_fish_stream_and_counts_what_fish_billed(
    bot, harness, guild, fakefish
) -> None:
    fakefish.rtf = 1.0  # a long clip, still streaming when the join fails
    cls, handshake = voice_client_joining_in(0.3, fails=True)
    bot.voice_sessions.voice_client_cls = cls
    member = member_in_voice(guild)
    sent = await harness.run("speak", user_id=member, guild=guild, text=LONG_TEXT)
    assert sent[-1].ephemeral and "couldn't connect" in sent[-1].content
    request = fakefish.requests_for("tts")[0]
    assert handshake.started_at is not None and request.received_at < handshake.started_at + 0.3
    # Cancelled at the stand-in: the client went away long before the clip was fully sent.
    assert await fakefish.wait_disconnect("tts", timeout=15)
    assert request.disconnected and request.finished_at is None
    assert bot.voice_sessions.get(guild.id) is None
    # Fish had the text (and charged for it) before the join failed: counted, not given back.
    assert request.charged > 0
    await bot.usage.drain()
    assert (await bot.usage.member_today(member, guild.id)).used["tts_bytes"] == len(LONG_TEXT.strip())
    assert await ledger(bot) == [(len(LONG_TEXT.strip()), "spent")]


async def test_a_hopeless_join_spends_nothing(bot, harness, guild, fakefish) -> None:
    member = guild.add_member(snowflake(), "Alice")
    no_connect = {"id": str(guild.id), "type": 0, "allow": "0",
                  "deny": str(discord.Permissions(connect=True).value)}
    guild.put_in_voice(member, guild.add_channel("Locked", kind=2, overwrites=[no_connect]))
    sent = await harness.run("speak", user_id=member, guild=guild, text="Nobody will hear this.")
    assert sent[-1].ephemeral and "missing Connect" in sent[-1].content
    assert fakefish.requests_for("tts") == []
    assert await ledger(bot) == [(len("Nobody will hear this."), "skipped")]  # nothing spent


async def test_two_cold_speaks_at_once_share_one_connection(bot, harness, guild, fakefish) -> None:
    """Two members /speak at the same moment while the bot is not in voice: one connection is made
    and both are spoken; the second join waits for the first instead of taking its voice client,
    still connecting, for a leftover and disconnecting it."""
    cls, handshake = voice_client_joining_in(0.3)
    disconnects: list[Any] = []

    class Counted(cls):  # type: ignore[misc, valid-type]
        async def disconnect(self, *, force: bool = False) -> None:
            disconnects.append(self)
            await super().disconnect(force=force)

    bot.voice_sessions.voice_client_cls = Counted
    channel = guild.add_channel("Voice", kind=2)
    alice, bob = guild.add_member(snowflake(), "Alice"), guild.add_member(snowflake(), "Bob")
    guild.put_in_voice(alice, channel)
    guild.put_in_voice(bob, channel)
    before = len(harness.sent)
    await asyncio.gather(
        harness.run("speak", user_id=alice, guild=guild, text="Alice speaks first."),
        harness.run("speak", user_id=bob, guild=guild, text="Bob speaks at the same time."),
    )
    replies = sorted(s.content for s in harness.sent[before:] if s.kind == "followup")
    assert len(replies) == 2, replies
    assert replies[0].startswith("Queued at #2") and replies[1].startswith("Speaking now"), replies
    session = bot.voice_sessions.get(guild.id)
    assert session is not None
    await wait_for(lambda: session.clips_played == 2, timeout=15)
    assert disconnects == [] and handshake.connected_at is not None
    assert sorted(r.body["text"] for r in fakefish.requests_for("tts")) == [
        "Alice speaks first.", "Bob speaks at the same time."]
