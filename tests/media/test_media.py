"""bot.media against real files made by ffmpeg/espeak-ng and a local attachment CDN."""

from __future__ import annotations

import tracemalloc
from pathlib import Path
from typing import Any

import discord
import pytest

from bot.media import (
    MAX_RATE,
    CorruptAudio,
    EmptyAudio,
    FileTooLarge,
    MediaError,
    MediaTimeout,
    NotAudio,
    TooMuchAudio,
    audio_attachments,
    convert,
    download_attachment,
    encoded_bound,
    is_voice_message,
    needs_resampling,
    probe,
    probe_header,
    temporary_copy,
)
from bot.wording import describe
from tests.attachments import VOICE_MESSAGE_FLAG, FakeCDN
from tests.discord_harness import FakeGuild, message_payload
from tests.discord_internals import state
from tests.media_samples import MediaSamples


@pytest.mark.parametrize(
    ("name", "codec", "seconds"),
    [("sine.mp3", "mp3", 8), ("sine.wav", "pcm_s16le", 8), ("sine.ogg", "opus", 8),
     ("sine.m4a", "aac", 8), ("sine.flac", "flac", 8), ("video.mp4", "aac", 6)],
)
async def test_probe_reads_real_audio(media: MediaSamples, name: str, codec: str, seconds: float) -> None:
    info = await probe(media.path(name), name=name)
    assert info.codec == codec
    assert info.duration_s == pytest.approx(seconds, abs=0.15)
    assert not info.silent
    assert info.has_video == (name == "video.mp4")


async def test_probe_voice_message_is_mono_48k_opus(media: MediaSamples) -> None:
    info = await probe(media.path("voice-message.ogg"), name="voice-message.ogg")
    assert (info.format_name, info.codec, info.sample_rate, info.channels) == ("ogg", "opus", 48000, 1)
    assert 2 < info.duration_s < 15


async def test_probe_tells_silence(media: MediaSamples) -> None:
    info = await probe(media.path("silence.wav"), name="silence.wav")
    assert info.silent
    assert info.duration_s == pytest.approx(6, abs=0.1)


@pytest.mark.parametrize(
    ("name", "error"),
    [("png-named.mp3", NotAudio), ("random.mp3", NotAudio), ("empty.mp3", EmptyAudio),
     ("truncated.mp3", CorruptAudio), ("damaged.ogg", CorruptAudio), ("silent-video.mp4", NotAudio)],
)
async def test_probe_refuses_bad_files_by_content(media: MediaSamples, name: str,
                                                 error: type[MediaError]) -> None:
    with pytest.raises(error) as caught:
        await probe(media.path(name), name=name)
    assert f"`{name}`" in str(describe(caught.value))


async def test_probe_refuses_a_playlist_that_points_at_other_files(media: MediaSamples,
                                                                    tmp_path: Path) -> None:
    # An HLS playlist renamed .mp3 would make an unguarded ffmpeg read any file it names.
    playlist = tmp_path / "sneaky.mp3"
    playlist.write_text(f"#EXTM3U\n#EXTINF:8,\nfile://{media.path('sine.mp3')}\n#EXT-X-ENDLIST\n")
    with pytest.raises(NotAudio):
        await probe(playlist, name="sneaky.mp3")


async def test_probe_stops_decoding_at_the_cap(media: MediaSamples) -> None:
    info = await probe(media.path("long.ogg"), name="long.ogg", cap_s=30)
    assert info.duration_s == pytest.approx(30, abs=0.1)
    full = await probe(media.path("long.ogg"), name="long.ogg")
    assert full.duration_s == pytest.approx(400, abs=0.5)


async def test_probe_time_limit(media: MediaSamples) -> None:
    with pytest.raises(MediaTimeout):
        await probe(media.path("long.ogg"), name="long.ogg", timeout_s=0.001)


async def test_convert_extracts_a_videos_audio_as_opus(media: MediaSamples, tmp_path: Path) -> None:
    audio = await convert(media.path("video.mp4"), name="video.mp4", fmt="opus", max_bytes=1_000_000)
    assert audio[:4] == b"OggS"
    out = tmp_path / "out.ogg"
    out.write_bytes(audio)
    info = await probe(out, name="out.ogg")
    assert (info.codec, info.channels, info.has_video) == ("opus", 1, False)
    assert info.duration_s == pytest.approx(6, abs=0.15)


async def test_a_384_khz_file_is_resampled_to_48_khz_mono(media: MediaSamples, tmp_path: Path) -> None:
    path = media.path("hires.flac")
    header = await probe_header(path, name="hires.flac")
    assert header.sample_rate == 384_000 and needs_resampling(header)
    assert path.stat().st_size < 400_000  # and 230 MB once decoded at its own rate
    audio = await convert(path, name="hires.flac", fmt="mp3", resample=True, max_bytes=encoded_bound(300))
    out = tmp_path / "out.mp3"
    out.write_bytes(audio)
    info = await probe(out, name="out.mp3")
    assert (info.codec, info.sample_rate, info.channels) == ("mp3", MAX_RATE, 1)
    assert info.duration_s == pytest.approx(300, abs=0.2)
    assert len(audio) < 5_000_000  # 128 kbps: 4.8 MB, where WAV at 384 kHz took 230 MB


async def test_speech_encoding_is_16_khz_opus(media: MediaSamples, tmp_path: Path) -> None:
    audio = await convert(media.path("sine.flac"), name="sine.flac", fmt="speech", max_bytes=100_000)
    out = tmp_path / "out.ogg"
    out.write_bytes(audio)
    info = await probe(out, name="out.ogg")
    assert (info.format_name, info.codec, info.channels) == ("ogg", "opus", 1)
    assert info.duration_s == pytest.approx(8, abs=0.1)
    assert len(audio) < 8 * 24_000 / 8 * 1.5  # about 24 kbps


async def test_convert_stops_at_its_output_cap_and_says_too_long_or_damaged(media: MediaSamples) -> None:
    # 400 s would make about 6 MB of MP3; the cap stops ffmpeg at 100 KB and nothing more is held.
    tracemalloc.start()
    try:
        with pytest.raises(TooMuchAudio) as caught:
            await convert(media.path("long.ogg"), name="long.ogg", fmt="mp3", resample=True,
                          max_bytes=100_000)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000
    assert describe(caught.value) == ("`long.ogg` is too long or damaged: it decodes to far more audio "
                                      "than it should. Try a shorter file.")


async def test_convert_refuses_damaged_input(media: MediaSamples) -> None:
    with pytest.raises(CorruptAudio):
        await convert(media.path("random.mp3"), name="random.mp3", fmt="mp3", max_bytes=1_000_000)


async def test_a_header_that_lies_is_caught_by_decoding(media: MediaSamples) -> None:
    header = await probe_header(media.path("lying.flac"), name="lying.flac")
    assert header.claimed_s == pytest.approx(2)
    info = await probe(media.path("lying.flac"), name="lying.flac", header=header)
    assert info.duration_s == pytest.approx(60, abs=0.05) and info.claimed_s == pytest.approx(2)


async def test_temporary_copy_is_private_and_deleted() -> None:
    async with temporary_copy(b"secret audio") as path:
        assert path.read_bytes() == b"secret audio"
        assert path.stat().st_mode & 0o077 == 0
    assert not path.exists()


# --- attachments -------------------------------------------------------------------------------


def _attachment(bot: discord.Client, payload: dict[str, Any]) -> discord.Attachment:
    return discord.Attachment(data=payload, state=state(bot))  # type: ignore[arg-type]


async def test_download_attachment(bot: Any, cdn: FakeCDN, media: MediaSamples) -> None:
    data = media.bytes("sine.mp3")
    attachment = _attachment(bot, cdn.attachment(data, "sine.mp3"))
    assert await download_attachment(attachment, max_bytes=len(data)) == data
    assert cdn.downloads == ["sine.mp3"]


async def test_download_refuses_a_reported_oversize_without_downloading(bot: Any, cdn: FakeCDN) -> None:
    attachment = _attachment(bot, cdn.attachment(b"x" * 3_000_000, "big.mp3"))
    with pytest.raises(FileTooLarge) as caught:
        await download_attachment(attachment, max_bytes=2 * 1_048_576)
    assert "2.9 MB; the limit is 2 MB" in str(describe(caught.value))
    assert cdn.downloads == []


async def test_download_stops_when_the_body_outgrows_the_reported_size(bot: Any, cdn: FakeCDN) -> None:
    attachment = _attachment(bot, cdn.attachment(b"x" * 500_000, "liar.mp3", size=10))
    with pytest.raises(FileTooLarge):
        await download_attachment(attachment, max_bytes=100_000)


async def test_download_failure_is_a_clear_message(bot: Any, cdn: FakeCDN) -> None:
    payload = cdn.attachment(b"abc", "gone.mp3")
    cdn.files.clear()
    with pytest.raises(MediaError) as caught:
        await download_attachment(_attachment(bot, payload), max_bytes=1000)
    assert "couldn't download `gone.mp3`" in str(describe(caught.value))


async def test_audio_attachments_voice_message_first(bot: Any, guild: FakeGuild, cdn: FakeCDN) -> None:
    guild.add_member(42, "ann")
    channel = guild.guild.get_channel(guild.text_channel_id)
    payload = message_payload(guild, author_id=42, flags=VOICE_MESSAGE_FLAG, attachments=[
        cdn.attachment(b"png", "cat.png", content_type="image/png"),
        cdn.attachment(b"mp3", "song.mp3", content_type="audio/mpeg"),
        cdn.attachment(b"ogg", "voice-message.ogg", content_type="audio/ogg", voice=True),
        cdn.attachment(b"mp4", "clip.mp4", content_type="video/mp4"),
        cdn.attachment(b"?", "notes.flac", content_type=None),
        cdn.attachment(b"?", "notes.txt", content_type=None),
    ])
    message = discord.Message(state=state(bot), channel=channel, data=payload)  # type: ignore[arg-type]
    assert is_voice_message(message)
    names = [a.filename for a in audio_attachments(message)]
    assert names == ["voice-message.ogg", "song.mp3", "clip.mp4", "notes.flac"]
