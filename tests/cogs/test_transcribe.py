"""/transcribe, the Transcribe context menu and automatic transcripts, through the real CommandTree
against the Fish stand-in, with real audio served from a local attachment CDN."""

from __future__ import annotations

import asyncio
import math
import sys
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import discord
import httpx
import ormsgpack
import pytest

from bot.client import build_intents
from bot.config import Settings
from bot.media import ffmpeg as media_ffmpeg
from bot.media import jobs as media_jobs
from bot.media import probe
from bot.media.jobs import MediaJobs
from tests.attachments import VOICE_MESSAGE_FLAG, FakeCDN
from tests.bot_fixtures import make_settings
from tests.discord_harness import FakeGuild, Harness, events_handled, message_payload, wait_for
from tests.discord_internals import gateway_event
from tests.fakefish import asr as fake_asr
from tests.helpers.transcribe import ANN, voice_message
from tests.media_samples import MediaSamples
from tests.rest_recorder import RestRecorder

MANAGE_GUILD = discord.Permissions(manage_guild=True).value


@pytest.fixture
def bot_settings(fakefish: Any, tmp_path: Path) -> Settings:
    return make_settings(fakefish.base_url, tmp_path, fish={"timeout_s": 5.0, "max_retries": 0},
                         transcribe={"auto_transcribe": True})


@pytest.fixture
def member(guild: FakeGuild) -> int:
    return guild.add_member(ANN, "ann")


async def run_file(harness: Harness, guild: FakeGuild, payload: dict[str, Any], **options: Any) -> list[Any]:
    return await harness.run("transcribe", user_id=ANN, guild=guild, file=payload["id"],
                             resolved={"attachments": {payload["id"]: payload}}, **options)


def asr_body(fakefish: Any, index: int = -1) -> dict[str, Any]:
    return fakefish.requests_for("asr")[index].body  # the stand-in decoded the msgpack


def reply(sent: list[Any]) -> Any:
    answers = [s for s in sent if s.embeds or s.content]
    assert answers, sent
    return answers[-1]


# --- results -----------------------------------------------------------------------------------


async def test_short_transcript_with_timestamps_and_subtitles(harness, guild, member, cdn: FakeCDN,
                                                             media: MediaSamples, fakefish) -> None:
    fakefish.asr_script.append([("Hello there.", 0.0, 2.5), ("General Kenobi!", 2.5, 4.25)])
    data = media.bytes("speech.mp3")
    sent = await run_file(harness, guild, cdn.attachment(data, "speech.mp3"))
    answer = reply(sent)
    assert answer.ephemeral
    embed = answer.embeds[0]
    assert embed.title == "Transcript of speech.mp3"
    assert embed.description == "[00:00 → 00:02] Hello there.\n[00:02 → 00:04] General Kenobi!"
    assert "Language: English (en)" in embed.footer.text
    files = dict(answer.file_bytes())
    # Named after the audio file, so a player showing speech.mp3 picks the subtitles up.
    assert files == {"speech.srt": b"1\n00:00:00,000 --> 00:00:02,500\nHello there.\n\n"
                                       b"2\n00:00:02,500 --> 00:00:04,250\nGeneral Kenobi!\n"}
    body = asr_body(fakefish)
    # An MP3 goes up as it is; timestamps were asked for; no language hint.
    assert body["audio"] == data and body["ignore_timestamps"] is False and "language" not in body


async def test_plain_text_without_timestamps_and_language_passed(harness, guild, member, cdn, media,
                                                                fakefish) -> None:
    fakefish.asr_script.append("konnichiwa sekai")
    sent = await run_file(harness, guild, cdn.attachment(media.bytes("speech.wav"), "speech.wav"),
                          language="ja", timestamps=False)
    answer = reply(sent)
    assert answer.embeds[0].description == "konnichiwa sekai"
    assert answer.files == []
    body = asr_body(fakefish)
    assert body["language"] == "ja" and body["ignore_timestamps"] is True
    assert "Japanese (ja)" in answer.embeds[0].footer.text


async def test_long_transcript_is_cut_and_attached_whole(harness, guild, member, cdn, media,
                                                        fakefish) -> None:
    words = " ".join(f"word{i}" for i in range(1500))
    fakefish.asr_script.append(words)
    sent = await run_file(harness, guild, cdn.attachment(media.bytes("sine.mp3"), "talk.mp3"),
                          timestamps=False)
    answer = reply(sent)
    description = answer.embeds[0].description
    assert len(description) <= 4000 and description.endswith("…")
    assert words.startswith(description[:-1])
    assert dict(answer.file_bytes())["talk.txt"] == (words + "\n").encode()


async def test_language_must_look_like_a_code(harness, guild, member, cdn, media, fakefish) -> None:
    sent = await run_file(harness, guild, cdn.attachment(media.bytes("sine.mp3"), "a.mp3"),
                          language="Japanese please")
    assert "two-letter code" in sent[-1].content and sent[-1].ephemeral
    assert fakefish.requests_for("asr") == [] and cdn.downloads == []


async def test_language_autocomplete(harness, guild, member) -> None:
    choices = await harness.autocomplete("transcribe", "language", user_id=ANN, guild=guild,
                                         language="jap")
    assert choices == [{"name": "Japanese (ja)", "value": "ja"}]


# --- inputs ------------------------------------------------------------------------------------


async def test_voice_message_through_the_context_menu(harness, guild, member, cdn, media,
                                                      fakefish) -> None:
    data = media.bytes("voice-message.ogg")
    message = message_payload(guild, author_id=ANN, flags=VOICE_MESSAGE_FLAG, attachments=[
        cdn.attachment(data, "voice-message.ogg", content_type="audio/ogg", voice=True, duration_secs=5.2),
    ])
    sent = await harness.context_menu("Transcribe", message=message, user_id=ANN, guild=guild)
    assert reply(sent).embeds[0].title == "Transcript of voice-message.ogg"
    assert asr_body(fakefish)["audio"] == data  # Ogg Opus is taken as it is


async def test_context_menu_on_a_message_without_audio(harness, guild, member, cdn, fakefish) -> None:
    message = message_payload(guild, author_id=ANN, content="just text", attachments=[
        cdn.attachment(b"\x89PNG", "cat.png", content_type="image/png")])
    sent = await harness.context_menu("Transcribe", message=message, user_id=ANN, guild=guild)
    assert "no voice message or audio/video attachment" in sent[-1].content and sent[-1].ephemeral


async def test_video_is_reduced_to_its_audio_track(harness, guild, member, cdn, media, fakefish,
                                                   tmp_path: Path) -> None:
    sent = await run_file(harness, guild, cdn.attachment(media.bytes("video.mp4"), "clip.mp4",
                                                          content_type="video/mp4"))
    assert reply(sent).embeds
    uploaded = asr_body(fakefish)["audio"]
    assert uploaded[:4] == b"OggS"
    received = tmp_path / "received.ogg"
    received.write_bytes(uploaded)
    info = await probe(received, name="received.ogg")
    assert not info.has_video and info.codec == "opus"
    assert info.duration_s == pytest.approx(6, abs=0.2)


@pytest.mark.parametrize(
    ("name", "expected"),
    [("png-named.mp3", "isn't an audio or video file"),
     ("empty.mp3", "is empty"),
     ("random.mp3", "isn't an audio or video file"),
     ("truncated.mp3", "is damaged"),
     ("silence.wav", "No speech found"),
     ("blip.wav", "shorter than a second"),
     ("silent-video.mp4", "isn't an audio or video file")],
)
async def test_bad_inputs_are_refused_before_fish(harness, guild, member, cdn, media, fakefish,
                                                 name: str, expected: str) -> None:
    sent = await run_file(harness, guild, cdn.attachment(media.bytes(name), name))
    assert expected in sent[-1].content and sent[-1].ephemeral
    assert f"`{name}`" in sent[-1].content
    assert fakefish.requests_for("asr") == []


async def test_oversized_file_is_refused_without_downloading(harness, guild, member, cdn, fakefish) -> None:
    sent = await run_file(harness, guild, cdn.attachment(b"x" * 100, "huge.mp3", size=30 * 1024 * 1024))
    assert "the limit is 25 MB" in sent[-1].content
    assert cdn.downloads == [] and fakefish.requests_for("asr") == []


async def test_too_long_for_the_configured_limit(bot, harness, guild, member, cdn, media, fakefish,
                                                 monkeypatch) -> None:
    monkeypatch.setattr(bot.settings.transcribe, "max_minutes", 0.1)  # 6 s
    sent = await run_file(harness, guild, cdn.attachment(media.bytes("sine.mp3"), "eight.mp3"))
    assert "longer than 6 s, the limit here" in sent[-1].content
    assert fakefish.requests_for("asr") == []


async def test_empty_transcript_says_no_speech(harness, guild, member, cdn, media, fakefish) -> None:
    fakefish.asr_script.append([])
    sent = await run_file(harness, guild, cdn.attachment(media.bytes("sine.mp3"), "hum.mp3"))
    assert "No speech found in `hum.mp3`" in sent[-1].content


async def test_a_429_puts_the_transcription_back_in_line(bot, harness, guild, member, cdn, media,
                                                       fakefish) -> None:
    fakefish.fail("asr", status=429, retry_after=0)  # the account's slots were all taken
    sent = await run_file(harness, guild, cdn.attachment(media.bytes("sine.mp3"), "a.mp3"))
    assert reply(sent).embeds and [r.status for r in fakefish.requests_for("asr")] == [429, 200]
    assert bot.fish.gate.refusals == 1 and bot.fish.gate.in_use == 0
    await bot.usage.drain()
    assert (await bot.usage.member_today(ANN, guild.id)).used["transcribe_seconds"] > 0


@pytest.mark.parametrize(("status", "expected"), [(401, "API key"), (402, "credit"), (503, "Fish Audio")])
async def test_api_faults_are_answered_and_the_quota_given_back(bot, harness, guild, member, cdn, media,
                                                                fakefish, status: int, expected: str) -> None:
    fakefish.fail("asr", status=status)
    sent = await run_file(harness, guild, cdn.attachment(media.bytes("sine.mp3"), "a.mp3"))
    assert expected.lower() in sent[-1].content.lower() and sent[-1].ephemeral
    assert "Something went wrong on my side" not in sent[-1].content
    await bot.usage.drain()
    usage = await bot.usage.member_today(ANN, guild.id)
    assert usage.used["transcribe_seconds"] == 0


async def test_quota_is_charged_in_whole_seconds_of_decoded_audio(bot, harness, guild, member, cdn,
                                                                   media) -> None:
    await run_file(harness, guild, cdn.attachment(media.bytes("speech.wav"), "a.wav"))
    seconds = (await probe(media.path("speech.wav"), name="speech.wav")).duration_s
    assert seconds != int(seconds)
    usage = await bot.usage.member_today(ANN, guild.id)
    assert usage.used["transcribe_seconds"] == math.ceil(seconds)


# --- mentions and sharing ----------------------------------------------------------------------


async def test_mentions_in_transcripts_never_ping_even_when_shared(harness, guild, member, cdn, media,
                                                                  fakefish) -> None:
    fakefish.asr_script.append("@everyone look <@123456789012345678>")
    sent = await run_file(harness, guild, cdn.attachment(media.bytes("sine.mp3"), "a.mp3"),
                          timestamps=False)
    answer = reply(sent)
    assert answer.allowed_mentions == {"parse": []}
    other = guild.add_member(777, "bob")
    refused = await harness.click(answer, "share", user_id=other, guild=guild)
    assert refused[0].ephemeral and "someone else's" in refused[0].content
    shared = await harness.click(answer, "share", user_id=ANN, guild=guild)
    public = shared[0]
    assert not public.ephemeral
    assert public.allowed_mentions == {"parse": []}
    assert "@everyone look" in public.embeds[0].description


# --- automatic transcripts ---------------------------------------------------------------------


async def test_auto_transcribe_replies_only_where_enabled(bot, harness, guild, member, cdn, media, fakefish,
                                                          monkeypatch) -> None:
    rest = RestRecorder(bot, monkeypatch)
    elsewhere = guild.add_channel("elsewhere")
    sent = await harness.run("autotranscribe", user_id=ANN, guild=guild, permissions=MANAGE_GUILD,
                             enabled=True)
    assert "will get a transcript reply" in sent[-1].content
    fakefish.asr_script.append("hi @everyone")

    gateway_event(bot, "message_create", voice_message(guild, cdn, media, elsewhere))
    text = message_payload(guild, author_id=ANN, content="not a voice message")
    gateway_event(bot, "message_create", text)
    incoming = voice_message(guild, cdn, media, guild.text_channel_id)
    gateway_event(bot, "message_create", incoming)
    await events_handled()  # every message's handler has finished: a stray reply would be here

    assert len(rest.messages) == 1 and len(fakefish.requests_for("asr")) == 1
    channel_id, payload = rest.messages[0]
    assert channel_id == guild.text_channel_id
    assert str(payload["message_reference"]["message_id"]) == incoming["id"]
    assert payload["allowed_mentions"] == {"parse": [], "replied_user": False}
    assert payload["embeds"][0]["description"] == "hi @everyone"


async def test_auto_transcribe_is_off_by_default(bot, harness, guild, member, cdn, media, fakefish,
                                                 monkeypatch) -> None:
    rest = RestRecorder(bot, monkeypatch)
    gateway_event(bot, "message_create", voice_message(guild, cdn, media, guild.text_channel_id))
    await events_handled()
    assert rest.messages == [] and fakefish.requests_for("asr") == [] and cdn.downloads == []


async def test_autotranscribe_needs_manage_server_and_the_operator(bot, harness, guild, member,
                                                                   monkeypatch) -> None:
    sent = await harness.run("autotranscribe", user_id=ANN, guild=guild, enabled=True,
                             permissions=discord.Permissions(send_messages=True).value)
    assert "Manage Server" in sent[-1].content
    monkeypatch.setattr(bot.settings.transcribe, "auto_transcribe", False)
    sent = await harness.run("autotranscribe", user_id=ANN, guild=guild, permissions=MANAGE_GUILD,
                             enabled=True)
    assert "switched off for this bot by its operator" in sent[-1].content


def test_auto_transcribe_asks_for_the_message_content_intent(tmp_path: Path) -> None:
    off = make_settings("http://127.0.0.1:1", tmp_path)
    on = make_settings("http://127.0.0.1:1", tmp_path, transcribe={"auto_transcribe": True})
    assert not build_intents(off).message_content
    assert build_intents(on).message_content and build_intents(on).guild_messages


# --- transcribe-1-pro: speakers and cues ---------------------------------------------------------


async def test_pro_speakers_and_cues_are_lines_and_italics_never_raw(harness, guild, member, cdn, media,
                                                                      fakefish) -> None:
    fakefish.asr_script.append([("<|speaker:0|> Hello there. [laughter]", 0.0, 2.5),
                                ("<|speaker:1|> General Kenobi!", 2.5, 4.25)])
    sent = await run_file(harness, guild, cdn.attachment(media.bytes("speech.mp3"), "speech.mp3"))
    assert fakefish.requests_for("asr")[-1].headers["model"] == "transcribe-1-pro"  # the default
    answer = reply(sent)
    shown = "Speaker 1: Hello there. *laughter*\nSpeaker 2: General Kenobi!"
    assert answer.embeds[0].description == shown
    files = dict(answer.file_bytes())
    assert files["speech.txt"] == (shown + "\n").encode()
    assert files["speech.srt"] == (b"1\n00:00:00,000 --> 00:00:02,500\nHello there.\n\n"
                                       b"2\n00:00:02,500 --> 00:00:04,250\nGeneral Kenobi!\n")
    for text in (answer.embeds[0].description, *(f.decode() for f in files.values())):
        assert "<|" not in text and "[laughter]" not in text


async def test_asr_model_setting_and_empty_segments(bot, harness, guild, member, cdn, media, fakefish,
                                                    monkeypatch) -> None:
    monkeypatch.setattr(bot.settings.transcribe, "model", "transcribe-1")
    fakefish.asr_segments_empty = True  # Fish may leave segments out even when asked for them
    fakefish.asr_script.append("plain words only")
    sent = await run_file(harness, guild, cdn.attachment(media.bytes("speech.mp3"), "speech.mp3"))
    assert fakefish.requests_for("asr")[-1].headers["model"] == "transcribe-1"
    answer = reply(sent)
    assert answer.embeds[0].description == "plain words only" and answer.files == []


async def test_no_credit_says_transcription_needs_credit(bot, harness, guild, member, cdn, media,
                                                         fakefish) -> None:
    fakefish.credit = 0  # the stand-in's own 402: no ASR model is free
    sent = await run_file(harness, guild, cdn.attachment(media.bytes("sine.mp3"), "a.mp3"))
    assert sent[-1].ephemeral and sent[-1].content == (
        "Transcription needs Fish Audio API credit, and the bot's has run out: the free model covers "
        "speech only, not transcription. Please tell the bot owner."
    )
    await bot.usage.drain()
    assert (await bot.usage.member_today(ANN, guild.id)).used["transcribe_seconds"] == 0


# --- Fish's 20 MB limit ------------------------------------------------------------------------


async def test_the_stand_in_refuses_more_than_20_mb_as_fish_does(fakefish) -> None:
    async def post(size: int) -> httpx.Response:
        body = ormsgpack.packb({"audio": b"\0" * size, "ignore_timestamps": True})
        async with httpx.AsyncClient(base_url=fakefish.base_url, timeout=30) as client:
            return await client.post("/v1/asr", content=body, headers={
                "Authorization": "Bearer test-key", "Content-Type": "application/msgpack"})

    over = await post(20_000_000)  # the envelope takes it over 20,000,000 bytes
    assert over.status_code == 413
    assert over.json() == {"status": 413, "message": "Audio file is too large (max 20 MB)"}
    under = await post(19_900_000)
    assert under.status_code == 400  # past the size check, then not audio


async def test_a_file_over_fishs_20_mb_is_compressed_before_the_call(bot, harness, guild, member, cdn, media,
                                                                    fakefish, tmp_path: Path) -> None:
    data = media.bytes("big.wav")
    assert len(data) > fake_asr.MAX_BYTES  # as it is, Fish would refuse it
    sent = await run_file(harness, guild, cdn.attachment(data, "big.wav", content_type="audio/wav"))
    assert reply(sent).embeds[0].title == "Transcript of big.wav"
    request = fakefish.requests_for("asr")[-1]
    assert request.status == 200 and request.raw_size <= fake_asr.MAX_BYTES
    uploaded = request.body["audio"]
    assert uploaded[:4] == b"OggS" and len(uploaded) < 1_000_000  # 2 minutes of speech-grade Opus
    received = tmp_path / "received.ogg"
    received.write_bytes(uploaded)
    info = await probe(received, name="received.ogg")
    assert (info.codec, info.channels) == ("opus", 1)
    assert info.duration_s == pytest.approx(120, abs=0.2)


async def test_a_file_still_too_large_after_compressing_is_refused(bot, harness, guild, member, cdn, media,
                                                                  fakefish, monkeypatch) -> None:
    # Made to happen with a smaller limit: two minutes compress to about 360 KB.
    monkeypatch.setattr(sys.modules["cogs.transcribe"], "UPLOAD_MAX_BYTES", 100_000)
    sent = await run_file(harness, guild, cdn.attachment(media.bytes("big.wav"), "big.wav"))
    assert sent[-1].ephemeral and sent[-1].content == (
        "`big.wav` is still larger than Fish Audio's limit of 20 MB per file after compressing it. "
        "Try a shorter file.")
    assert fakefish.requests_for("asr") == []
    await bot.usage.drain()
    assert (await bot.usage.member_today(ANN, guild.id)).used["transcribe_seconds"] == 0


# --- quota before decoding, settled to what decodes ----------------------------------------------


class FfmpegRuns:
    """The bot.media processes that ran: the program, and how much audio it handed back."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.runs: list[tuple[str, int]] = []
        real = media_ffmpeg._run

        async def noted(args: list[str], **kwargs: Any) -> media_ffmpeg.Completed:
            result = await real(args, **kwargs)
            self.runs.append((args[0], len(result.stdout) if args[0] == "ffmpeg" else 0))
            return result

        monkeypatch.setattr(media_ffmpeg, "_run", noted)

    @property
    def programs(self) -> list[str]:
        return [program for program, _size in self.runs]

    @property
    def produced(self) -> int:
        return sum(size for _program, size in self.runs)


async def test_the_quota_is_reserved_from_the_header_before_any_decoding(
        bot, harness, guild, member, cdn, media, fakefish, monkeypatch) -> None:
    monkeypatch.setattr(bot.settings.quotas, "transcribe_minutes_per_member", 0.05)  # 3 s
    runs = FfmpegRuns(monkeypatch)
    sent = await run_file(harness, guild, cdn.attachment(media.bytes("sine.mp3"), "eight.mp3"))
    assert "daily quota of transcription minutes is used up" in sent[-1].content and sent[-1].ephemeral
    assert runs.programs == ["ffprobe"]  # the header was read; nothing was decoded
    assert fakefish.requests_for("asr") == []


async def test_the_quota_settles_to_what_really_decodes(bot, harness, guild, member, cdn, media,
                                                        fakefish) -> None:
    # The header claims 2 s: 2 s are reserved before decoding, then the 60 s that decode are charged.
    since = datetime(2000, 1, 1, tzinfo=UTC)  # the test's own database: every row
    sent = await run_file(harness, guild, cdn.attachment(media.bytes("lying.flac"), "lying.flac"))
    assert reply(sent).embeds
    await bot.usage.drain()
    assert (await bot.usage.member_today(ANN, guild.id)).used["transcribe_seconds"] == 60
    assert await bot.usage.outcome_counts(guild.id, since, "transcribe_seconds") == {"skipped": 1, "ok": 1}
    assert fakefish.requests_for("asr")[-1].charged == fake_asr.PRICE_PER_SECOND * 60


async def test_a_header_that_lies_does_not_get_past_the_quota(bot, harness, guild, member, cdn, media,
                                                              fakefish, monkeypatch) -> None:
    monkeypatch.setattr(bot.settings.quotas, "transcribe_minutes_per_member", 0.5)  # 30 s
    sent = await run_file(harness, guild, cdn.attachment(media.bytes("lying.flac"), "lying.flac"))
    assert sent[-1].ephemeral and sent[-1].content.startswith(
        "Your daily quota of transcription minutes is used up: 0.5 min left of 0.5 min, "
        "and this needs 1 min.")
    assert fakefish.requests_for("asr") == []
    await bot.usage.drain()
    assert (await bot.usage.member_today(ANN, guild.id)).used["transcribe_seconds"] == 0


async def test_a_384_khz_flac_is_sent_as_compact_speech(bot, harness, guild, member, cdn, media, fakefish,
                                                        monkeypatch, tmp_path: Path) -> None:
    runs = FfmpegRuns(monkeypatch)
    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        sent = await run_file(harness, guild, cdn.attachment(media.bytes("hires.flac"), "hires.flac",
                                                             content_type="audio/flac"))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert reply(sent).embeds
    uploaded = asr_body(fakefish)["audio"]
    assert runs.produced == len(uploaded) < 1_500_000  # five minutes at 24 kbps, not 230 MB of PCM
    assert peak - baseline < 24 * 1024 * 1024
    received = tmp_path / "received.ogg"
    received.write_bytes(uploaded)
    info = await probe(received, name="received.ogg")
    assert (info.codec, info.channels) == ("opus", 1)
    assert info.duration_s == pytest.approx(300, abs=0.2)


async def test_a_file_that_decodes_to_far_more_than_its_size_is_refused(bot, harness, guild, member, cdn,
                                                                       media, fakefish, monkeypatch) -> None:
    monkeypatch.setattr(bot.settings.transcribe, "max_minutes", 1)
    runs = FfmpegRuns(monkeypatch)
    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        sent = await run_file(harness, guild, cdn.attachment(media.bytes("hires.flac"), "hires.flac"))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert sent[-1].ephemeral and sent[-1].content == "`hires.flac` is longer than 1 min, the limit here."
    assert runs.programs == ["ffprobe", "ffmpeg"] and runs.produced == 0  # decoded to count, up to 61 s
    assert peak - baseline < 8 * 1024 * 1024
    assert fakefish.requests_for("asr") == []
    await bot.usage.drain()
    assert (await bot.usage.member_today(ANN, guild.id)).used["transcribe_seconds"] == 0


# --- the process-wide line for media work -------------------------------------------------------------


async def test_a_long_wait_shows_the_place_in_line_then_carries_on(harness, guild, member, cdn, media,
                                                                  fakefish, monkeypatch) -> None:
    monkeypatch.setattr(media_jobs, "JOBS", MediaJobs(limit=1, max_waiting=2, long_wait_s=0))
    async with media_jobs.slot():  # another member's file is being processed
        task = asyncio.create_task(run_file(harness, guild, cdn.attachment(media.bytes("sine.mp3"), "a.mp3")))
        await wait_for(lambda: any(s.kind == "edit_original" for s in harness.sent))
        notice = next(s for s in harness.sent if s.kind == "edit_original")
        assert notice.content == ("Lots of audio is being processed right now: `a.mp3` is number 1 in line. "
                                  "I'll carry on as soon as it's its turn.")
        assert fakefish.requests_for("asr") == []
    assert reply(await task).embeds[0].title == "Transcript of a.mp3"


async def test_a_full_line_is_a_clear_busy(bot, harness, guild, member, cdn, media, fakefish,
                                           monkeypatch) -> None:
    monkeypatch.setattr(media_jobs, "JOBS", MediaJobs(limit=1, max_waiting=0))
    async with media_jobs.slot():
        sent = await run_file(harness, guild, cdn.attachment(media.bytes("sine.mp3"), "a.mp3"))
    assert sent[-1].ephemeral and sent[-1].content == (
        "I'm busy processing other members' audio right now. Try again in a minute.")
    assert fakefish.requests_for("asr") == []
    await bot.usage.drain()
    assert (await bot.usage.member_today(ANN, guild.id)).used["transcribe_seconds"] == 0
