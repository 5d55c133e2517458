"""/speak end to end: the real CommandTree, the real voice session, discord.py's real AudioPlayer
thread, and the Fish stand-in streaming real Ogg Opus over HTTP on 127.0.0.1."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import discord
import httpx
import pytest
from sqlalchemy import select

from bot.audio.ogg import OggDemuxer
from bot.fish.errors import error_from_response
from bot.storage.models import UsageEvent
from bot.wording import user_message
from tests.discord_harness import snowflake, wait_for
from tests.helpers.speak import in_voice, speak, voice_client
from tests.voice_standin import RecordingVoiceClient

SILENCE = b"\xf8\xff\xfe"


def tts_requests(fakefish: Any) -> list[Any]:
    return [r for r in fakefish.requests if r.endpoint == "tts"]


def audio_packets(client: RecordingVoiceClient) -> list[bytes]:
    return [data for _, data in client.packets if data != SILENCE]


async def test_speak_streams_opus_packets_unchanged_into_voice(bot, harness, guild, fakefish) -> None:
    user_id, channel_id = in_voice(guild)
    sent = await speak(harness, guild, user_id, "Hello there, this is fishbot.")
    assert sent[0].callback_type == 5 and sent[0].ephemeral  # deferred, ephemeral
    assert sent[-1].ephemeral and "Speaking now" in sent[-1].content
    session = bot.voice_sessions.get(guild.id)
    assert session is not None and session.channel.id == channel_id
    await wait_for(lambda: session.clips_played == 1)

    request = tts_requests(fakefish)[0]
    assert request.headers["model"] == bot.settings.fish.model
    assert request.body["format"] == "opus" and request.body["opus_bitrate"] == -1000
    # What the voice connection received is exactly the stand-in's Opus packets, in order,
    # without the OpusHead/OpusTags header packets and without re-encoding.
    # (A real Opus frame can equal the silence frame, so silence is set aside on both sides.)
    expected = OggDemuxer().feed(fakefish.last_audio("tts"))
    assert len(expected) > 40
    assert audio_packets(voice_client(bot, guild)) == [p for p in expected if p != SILENCE]


async def test_queue_plays_in_order_and_prefetches_the_next(bot, harness, guild, fakefish) -> None:
    fakefish.rtf = 0.5  # audio arrives twice as fast as it plays
    user_id, _ = in_voice(guild)
    texts = ["first message here", "second message", "third one"]
    for text in texts:
        await speak(harness, guild, user_id, text)
    replies = [s.content for s in harness.sent if s.kind == "followup"]
    assert [r.split(" in ")[0] for r in replies] == ["Speaking now", "Queued at #2", "Queued at #3"]
    session = bot.voice_sessions.get(guild.id)
    await wait_for(lambda: session.clips_played == 3, timeout=20)
    requests = tts_requests(fakefish)
    assert [r.body["text"] for r in requests] == texts
    # Prefetch: the second request started before the first clip finished playing.
    client = voice_client(bot, guild)
    first_clip_packets = len([p for p in OggDemuxer().feed(fakefish.audio_of(0)) if p != SILENCE])
    first_clip_end = [t for t, d in client.packets if d != SILENCE][first_clip_packets - 1]
    assert requests[1].received_at < first_clip_end


async def test_queued_clips_continue_in_one_player_without_end_of_track_silence(bot, harness, guild,
                                                                                   fakefish) -> None:
    fakefish.rtf = 0.5
    user_id, _ = in_voice(guild)
    await speak(harness, guild, user_id, "the first of two messages")
    await speak(harness, guild, user_id, "and the second one")
    session = bot.voice_sessions.get(guild.id)
    await wait_for(lambda: session.clips_played == 2, timeout=20)
    client = voice_client(bot, guild)
    expected = [OggDemuxer().feed(fakefish.audio_of(i)) for i in range(2)]
    # discord.py ends a track with five of its own silence frames: here they come only once, after
    # both clips, which followed each other packet to packet in the same player.
    end_of_track = [i for i, (_, data) in enumerate(client.packets) if data is discord.player.OPUS_SILENCE]
    assert end_of_track == list(range(len(client.packets) - 5, len(client.packets)))
    assert [data for _, data in client.packets[:-5]] == expected[0] + expected[1]


async def test_skip_cancels_the_upstream_stream(bot, harness, guild, fakefish) -> None:
    fakefish.rtf = 1.0  # real time: the long clip is still streaming when we skip
    user_id, _ = in_voice(guild)
    await speak(harness, guild, user_id, "a long message " * 20)
    await speak(harness, guild, user_id, "short after")
    session = bot.voice_sessions.get(guild.id)
    await wait_for(lambda: len(voice_client(bot, guild).packets) > 10)
    sent = await harness.run("skip", user_id=user_id, guild=guild)
    assert "Skipped Alice" in sent[-1].content and sent[-1].ephemeral
    assert await fakefish.wait_disconnect("tts", timeout=3)
    await wait_for(lambda: session.clips_played == 2, timeout=15)


async def test_stop_clears_queue_and_closes_streams(bot, harness, guild, fakefish) -> None:
    fakefish.rtf = 1.0
    user_id, _ = in_voice(guild)
    for text in ["one " * 30, "two", "three"]:
        await speak(harness, guild, user_id, text)
    session = bot.voice_sessions.get(guild.id)
    await wait_for(lambda: session.current is not None and len(tts_requests(fakefish)) == 2)
    sent = await harness.run("stop", user_id=user_id, guild=guild)
    assert "dropped 3" in sent[-1].content
    assert not session.queue
    await wait_for(lambda: session.current is None)
    assert await fakefish.wait_disconnect("tts", timeout=3)
    # A barrier: a new message, fetched after anything the stop left behind.
    await speak(harness, guild, user_id, "after the stop")
    await wait_for(lambda: len(tts_requests(fakefish)) >= 3)
    assert [r.body["text"] for r in tts_requests(fakefish)][2:] == ["after the stop"]  # never "three"


@pytest.mark.parametrize(
    ("fault", "status"),
    [
        ({"status": 401}, 401),
        ({"status": 402}, 402),
        # The client retries 5xx once (max_retries=1 in the fixture): both attempts fail. A 429
        # is not an error: it goes back in line (tests/test_account_limit.py).
        ({"status": 500, "times": 2}, 500),
    ],
)
async def test_fish_errors_are_told_and_the_queue_moves_on(
    bot, harness, guild, fakefish, fault: dict[str, Any], status: int
) -> None:
    fakefish.fail("tts", **fault)
    user_id, _ = in_voice(guild)
    await speak(harness, guild, user_id, "this one fails")
    await speak(harness, guild, user_id, "this one plays")
    session = bot.voice_sessions.get(guild.id)
    await wait_for(lambda: session.clips_played == 2, timeout=15)
    notices = [s.content for s in harness.sent if s.kind == "followup" and s.ephemeral]
    assert user_message_for(status) in notices
    assert len(audio_packets(voice_client(bot, guild))) > 10  # the second clip played


def user_message_for(status: int) -> str:
    headers = httpx.Headers({"retry-after": "7"})
    return user_message(error_from_response(status, '{"message": "x"}', headers))


async def ledger(bot: Any) -> list[tuple[int, str]]:
    async with bot.db.session() as session:
        rows = (await session.scalars(select(UsageEvent).order_by(UsageEvent.id))).all()
    return [(r.amount, r.outcome) for r in rows]


def whole_packets(audio: bytes) -> list[bytes]:
    """The Opus packets of complete Ogg pages in `audio` (what a player can have got of a cut stream)."""
    return OggDemuxer().feed(audio)


@pytest.mark.parametrize("fault", ["disconnect_after_bytes", "stall_after_bytes"])
async def test_stream_cut_part_way_plays_what_arrived(bot, harness, guild, fakefish, fault: str) -> None:
    user_id, _ = in_voice(guild)
    text = ("this sentence breaks off halfway through the audio " * 3).strip()
    fakefish.fail("tts", **{fault: 12000})
    await speak(harness, guild, user_id, text)
    session = bot.voice_sessions.get(guild.id)
    await wait_for(lambda: session.clips_played == 1, timeout=15)
    sent = fakefish.audio_of(0)
    assert 0 < len(sent) <= 12000
    arrived = [p for p in whole_packets(sent) if p != SILENCE]
    assert len(whole_packets(sent)) > 50  # over a second of speech reached the bot before the break
    # Every packet that arrived was played, in order: nothing received was thrown away.
    assert audio_packets(voice_client(bot, guild)) == arrived
    notices = [s.content for s in harness.sent if s.kind == "followup" and s.ephemeral]
    assert notices[-1] == "Fish Audio stopped sending audio part-way; the rest was skipped."
    assert len(tts_requests(fakefish)) == 1  # audio had arrived: never asked again
    # Fish accepted the text and sent audio for it: the ledger counts the characters as spent.
    assert await ledger(bot) == [(len(text), "partial")]
    assert (await bot.usage.member_today(user_id, guild.id)).used["tts_bytes"] == len(text)


async def test_stream_broken_before_any_audio_is_asked_for_once_more(bot, harness, guild, fakefish) -> None:
    user_id, _ = in_voice(guild)
    fakefish.fail("tts", disconnect_after_bytes=0)  # 200, then the connection drops: no audio
    await speak(harness, guild, user_id, "a second try plays this")
    session = bot.voice_sessions.get(guild.id)
    await wait_for(lambda: session.clips_played == 1, timeout=15)
    requests = tts_requests(fakefish)
    assert len(requests) == 2 and requests[0].dropped and not requests[0].audio
    assert audio_packets(voice_client(bot, guild)) == [
        p for p in whole_packets(fakefish.audio_of(1)) if p != SILENCE]
    assert [s.content for s in harness.sent if s.kind == "followup"][-1].startswith("Speaking now")
    assert await ledger(bot) == [(len("a second try plays this"), "ok")]


async def test_stream_broken_twice_before_any_audio_is_told_and_released(bot, harness, guild,
                                                                         fakefish) -> None:
    user_id, _ = in_voice(guild)
    fakefish.fail("tts", disconnect_after_bytes=0, times=2)
    await speak(harness, guild, user_id, "never arrives")
    session = bot.voice_sessions.get(guild.id)
    await wait_for(lambda: session.clips_played == 1, timeout=15)
    assert len(tts_requests(fakefish)) == 2
    assert not audio_packets(voice_client(bot, guild))
    notices = [s.content for s in harness.sent if s.kind == "followup"]
    assert notices[-1] == "Fish Audio stopped sending part-way through its answer. Try again."
    assert await ledger(bot) == [(len("never arrives"), "failed")]
    assert (await bot.usage.member_today(user_id, guild.id)).used["tts_bytes"] == 0


async def test_not_in_voice_gets_a_file(bot, harness, guild, fakefish) -> None:
    user_id = guild.add_member(snowflake(), "Bob")
    sent = await speak(harness, guild, user_id, "file please")
    assert sent[0].callback_type == 5
    files = sent[-1].file_bytes()
    assert files and files[0][0] == "speech.ogg" and files[0][1].startswith(b"OggS")
    assert sent[-1].allowed_mentions == {"parse": []}
    assert bot.voice_sessions.get(guild.id) is None


@pytest.mark.parametrize(
    ("text", "needle"),
    [("   ", "something to say"), ("x" * 1001, "limit here is 1,000")],
)
async def test_text_limits(bot, harness, guild, fakefish, text: str, needle: str) -> None:
    user_id, _ = in_voice(guild)
    sent = await speak(harness, guild, user_id, text)
    assert sent[-1].ephemeral and needle in sent[-1].content
    assert not tts_requests(fakefish)


async def test_join_refusals_name_what_is_missing(bot, harness, guild) -> None:
    # Move Members lets a bot into a full channel, Mute Members makes it a stage speaker.
    guild.everyone_permissions &= ~discord.Permissions(move_members=True, mute_members=True).value
    user_id = guild.add_member(snowflake(), "Carol")
    deny_connect = [{"id": str(guild.id), "type": 0, "allow": "0",
                     "deny": str(discord.Permissions(connect=True).value)}]
    locked = guild.add_channel("Locked", kind=2, overwrites=deny_connect)
    guild.put_in_voice(user_id, locked)
    sent = await harness.run("join", user_id=user_id, guild=guild)
    assert "Connect" in sent[-1].content and sent[-1].ephemeral

    full = guild.add_channel("Full", kind=2, user_limit=1)
    guild.put_in_voice(user_id, full)
    sent = await harness.run("join", user_id=user_id, guild=guild)
    assert "is full" in sent[-1].content

    stage = guild.add_channel("Stage", kind=13)
    guild.put_in_voice(user_id, stage)
    sent = await harness.run("join", user_id=user_id, guild=guild)
    assert "Mute Members" in sent[-1].content
    assert bot.voice_sessions.get(guild.id) is None


async def test_timed_out_member_is_refused_until_the_timeout_ends(bot, harness, guild, set_now) -> None:
    now = datetime(2026, 12, 6, 23, 30, tzinfo=UTC)
    set_now(now)
    user_id, _ = in_voice(guild, "Dave", timed_out_until=now + timedelta(hours=1))
    sent = await harness.run("join", user_id=user_id, guild=guild)
    assert "timed out" in sent[-1].content
    set_now(now + timedelta(hours=1, seconds=1))  # past midnight, and the timeout is over
    sent = await harness.run("join", user_id=user_id, guild=guild)
    assert "timed out" not in sent[-1].content and bot.voice_sessions.get(guild.id) is not None


async def test_queue_limit(bot, harness, guild, fakefish) -> None:
    fakefish.rtf = 1.0
    bot.settings.speak.queue_limit = 2
    user_id, _ = in_voice(guild)
    for text in ["a long first message " * 10, "two", "three"]:
        await speak(harness, guild, user_id, text)
    sent = await speak(harness, guild, user_id, "four")
    assert "queue is full" in sent[-1].content


async def test_queue_command_lists_requests(bot, harness, guild, fakefish) -> None:
    fakefish.rtf = 1.0
    user_id, _ = in_voice(guild, "Erin")
    for text in ["first " * 20, "second <@123> message"]:
        await speak(harness, guild, user_id, text)
    session = bot.voice_sessions.get(guild.id)
    await wait_for(lambda: session.current is not None)
    sent = await harness.run("queue", user_id=user_id, guild=guild)
    embed = sent[-1].embeds[0]
    lines = (embed.description or "").splitlines()
    # What is playing comes first, then the waiting list (fields would be drawn below it).
    assert lines[0].startswith("**Now:** Erin: first") and not embed.fields
    assert lines[2] == "1. Erin: second someone message"  # /speak text is cleaned
    assert sent[-1].allowed_mentions == {"parse": []}


def bot_voice_state(channel: Any) -> discord.VoiceState:
    return discord.VoiceState(data={"channel_id": str(channel.id) if channel else None, "session_id": "s",
                                    "deaf": False, "mute": False, "self_mute": False, "self_deaf": True,
                                    "self_video": False, "suppress": False}, channel=channel)


async def test_a_move_by_someone_else_ends_the_session_but_its_own_does_not(bot, harness, guild) -> None:
    user_id, first_id = in_voice(guild)
    await harness.run("join", user_id=user_id, guild=guild)
    session = bot.voice_sessions.get(guild.id)
    second_id = guild.add_channel("Other", kind=2)
    guild.put_in_voice(user_id, second_id)
    sent = await harness.run("join", user_id=user_id, guild=guild)  # the bot moves itself (idle)
    assert "Ready in" in sent[-1].content and voice_client(bot, guild).moves == [second_id]
    discord_guild = bot.get_guild(guild.id)
    first, second = discord_guild.get_channel(first_id), discord_guild.get_channel(second_id)
    me = discord_guild.me
    bot.dispatch("voice_state_update", me, bot_voice_state(first), bot_voice_state(second))
    # A later event that must be handled: the session is still there after the bot's own move.
    bot.dispatch("voice_state_update", me, bot_voice_state(second), bot_voice_state(second))
    listed = await harness.run("queue", user_id=user_id, guild=guild)  # handled after both events
    assert listed[-1].embeds and not session.closed
    # A moderator drags the bot back to the first channel: that ends the session.
    bot.dispatch("voice_state_update", me, bot_voice_state(second), bot_voice_state(first))
    await wait_for(lambda: session.closed, timeout=3)
    assert bot.voice_sessions.get(guild.id) is None


async def test_forced_disconnect_clears_the_session(bot, harness, guild, fakefish) -> None:
    fakefish.rtf = 1.0
    user_id, channel_id = in_voice(guild)
    await speak(harness, guild, user_id, "long message " * 30)
    await speak(harness, guild, user_id, "waiting")
    session = bot.voice_sessions.get(guild.id)
    await wait_for(lambda: session.current is not None)
    client = voice_client(bot, guild)
    client.drop()
    me = bot.get_guild(guild.id).me
    channel = bot.get_guild(guild.id).get_channel(channel_id)
    before = discord.VoiceState(data={"channel_id": str(channel_id), "session_id": "s",
                                      "deaf": False, "mute": False, "self_mute": False,
                                      "self_deaf": True, "self_video": False, "suppress": False},
                                channel=channel)
    after = discord.VoiceState(data={"channel_id": None, "session_id": "s", "deaf": False,
                                     "mute": False, "self_mute": False, "self_deaf": True,
                                     "self_video": False, "suppress": False}, channel=None)
    bot.dispatch("voice_state_update", me, before, after)
    await wait_for(lambda: session.closed)
    assert bot.voice_sessions.get(guild.id) is None
    assert await fakefish.wait_disconnect("tts", timeout=3)
    # /join repairs: a new session in a fresh connection.
    sent = await harness.run("join", user_id=user_id, guild=guild)
    assert "Ready in" in sent[-1].content
    assert bot.voice_sessions.get(guild.id) is not session


async def test_leaves_when_alone(bot, harness, guild, fakefish) -> None:
    user_id, channel_id = in_voice(guild)
    await harness.run("join", user_id=user_id, guild=guild)
    session = bot.voice_sessions.get(guild.id)
    member = guild.guild.get_member(user_id)  # without the members intent, only voice members are cached
    guild.put_in_voice(user_id, None)
    channel = guild.sync().get_channel(channel_id)
    session.voice.channel = channel  # the refreshed channel object sees nobody left
    state = discord.VoiceState(data={"channel_id": None, "session_id": "s", "deaf": False,
                                     "mute": False, "self_mute": False, "self_deaf": False,
                                     "self_video": False, "suppress": False}, channel=None)
    bot.dispatch("voice_state_update", member, state, state)
    await wait_for(lambda: session.closed, timeout=3)


async def test_fish_timeout_before_any_audio_is_reported(bot, harness, guild, fakefish) -> None:
    fakefish.fail("tts", delay=3.0)  # longer than the fixture's 2 s stall timeout
    user_id, _ = in_voice(guild)
    await speak(harness, guild, user_id, "too slow")
    await speak(harness, guild, user_id, "then this plays")
    session = bot.voice_sessions.get(guild.id)
    await wait_for(lambda: session.clips_played == 2, timeout=15)
    notices = [s.content for s in harness.sent if s.kind == "followup"]
    assert "Timed out waiting for Fish Audio to send audio for your message, so I skipped it." in notices
    assert len(audio_packets(voice_client(bot, guild))) > 10


async def test_idle_session_leaves(bot, harness, guild, fakefish) -> None:
    bot.settings.speak.idle_timeout_s = 0.3
    user_id, _ = in_voice(guild)
    await speak(harness, guild, user_id, "hi")
    session = bot.voice_sessions.get(guild.id)
    client = voice_client(bot, guild)
    await wait_for(lambda: session.closed, timeout=5)
    assert session.clips_played == 1 and not client.is_connected()
    assert bot.voice_sessions.get(guild.id) is None


async def test_deleted_channel_ends_the_session(bot, harness, guild) -> None:
    user_id, channel_id = in_voice(guild)
    await harness.run("join", user_id=user_id, guild=guild)
    session = bot.voice_sessions.get(guild.id)
    bot.dispatch("guild_channel_delete", bot.get_guild(guild.id).get_channel(channel_id))
    await wait_for(lambda: session.closed, timeout=3)
    assert bot.voice_sessions.get(guild.id) is None


async def test_speak_text_goes_through_the_narration_cleaner(bot, harness, guild, fakefish) -> None:
    user_id = guild.add_member(snowflake(), "Alice")  # not in voice: the clip comes back as a file
    bob, _ = in_voice(guild, "Bob")  # without the members intent, voice members are the ones cached
    cases = [
        (f"hi <@{bob}> <:party_parrot:123> see https://example.com/x", "hi Bob party parrot see a link"),
        ("this is true [citation needed] <whisper>psst</whisper>", "this is true (citation needed) psst"),
        ("**bold** and <|speaker:1|>markers", "bold and markers"),
    ]
    for text, _ in cases:
        await speak(harness, guild, user_id, text)
    assert [r.body["text"] for r in tts_requests(fakefish)] == [said for _, said in cases]
    nothing = await speak(harness, guild, user_id, "<|speaker:1|>")
    assert "Nothing is left to say" in nothing[-1].content and nothing[-1].ephemeral
