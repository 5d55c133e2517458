"""The PCM path: one ffmpeg process turns streamed MP3/WAV/raw PCM into 20 ms stereo frames."""

from __future__ import annotations

import asyncio
import subprocess

import pytest

from bot.audio.buffer import PacketBuffer
from bot.audio.pcm import pump_pcm
from bot.audio.source import PCM_FRAME_BYTES
from tests.discord_harness import wait_for


def sine(seconds: float, fmt: str) -> bytes:
    return subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", f"sine=frequency=300:duration={seconds}",
         "-ac", "1", "-ar", "44100", "-f", fmt, "pipe:1"],
        capture_output=True, check=True, timeout=60,
    ).stdout


async def trickle(data: bytes, size: int = 4096, delay: float = 0.0):
    for i in range(0, len(data), size):
        yield data[i : i + size]
        await asyncio.sleep(delay)


@pytest.mark.parametrize(("fmt", "input_format"), [("mp3", None), ("wav", None), ("s16le", "pcm")])
async def test_streamed_audio_becomes_20ms_frames(fmt: str, input_format: str | None) -> None:
    buffer = PacketBuffer(max_packets=10_000)
    frames = await pump_pcm(trickle(sine(2.0, fmt)), buffer, input_format=input_format)
    assert buffer.finished and frames == len(buffer)
    assert abs(frames * 0.02 - 2.0) <= 0.08  # MP3 adds encoder delay/padding
    assert all(len(buffer.get_nowait() or b"") == PCM_FRAME_BYTES for _ in range(frames))


async def test_cancelling_kills_ffmpeg() -> None:
    buffer = PacketBuffer(max_packets=10_000)
    task = asyncio.create_task(pump_pcm(trickle(sine(5.0, "mp3"), 1024, 0.05), buffer))
    await wait_for(lambda: len(buffer) > 0)  # ffmpeg is running and being fed
    assert [p for p in asyncio.all_tasks() if p.get_name() == "ffmpeg-feed" and not p.done()]
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not [p for p in asyncio.all_tasks() if p.get_name() == "ffmpeg-feed" and not p.done()]


async def test_undecodable_input_fails_the_buffer() -> None:
    buffer = PacketBuffer()
    with pytest.raises(Exception):  # noqa: B017 - DecodeError, or the empty-output case
        await pump_pcm(trickle(b"\x00\x01 definitely not audio " * 50), buffer)
    assert buffer.error is not None or buffer.finished
