"""Decoding and measuring audio in tests: ffprobe, seconds of decoded audio, a sine WAV, a silent one."""

from __future__ import annotations

import asyncio
import io
import json
import wave
from typing import Any


async def probe(data: bytes) -> dict[str, Any]:
    """ffprobe (asyncio subprocess) on bytes: format name, codec, rate, channels, duration."""
    proc = await asyncio.create_subprocess_exec(
        "ffprobe",
        "-v",
        "error",
        "-show_entries",
        "format=format_name,duration:stream=codec_name,sample_rate,channels",
        "-of",
        "json",
        "pipe:0",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate(data)
    assert proc.returncode == 0, err.decode()
    info = json.loads(out)
    return {**info["format"], **info["streams"][0]}


async def decoded_seconds(data: bytes, *args: str) -> float:
    """Decode fully with ffmpeg and count samples (independent of header size fields)."""
    proc = await asyncio.create_subprocess_exec(
        "ffmpeg",
        "-v",
        "error",
        *args,
        "-i",
        "pipe:0",
        "-f",
        "s16le",
        "-ac",
        "1",
        "-ar",
        "48000",
        "pipe:1",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate(data)
    assert proc.returncode == 0, err.decode()
    return len(out) / 2 / 48000


async def sine_wav(seconds: float, freq: int = 440) -> bytes:
    proc = await asyncio.create_subprocess_exec(
        "ffmpeg",
        "-v",
        "error",
        "-f",
        "lavfi",
        "-i",
        f"sine=frequency={freq}:duration={seconds}",
        "-ac",
        "1",
        "-ar",
        "16000",
        "-f",
        "wav",
        "pipe:1",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    return out


def wav_bytes(seconds: float = 2.0, rate: int = 16_000) -> bytes:
    """A silent mono 16-bit WAV."""
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(bytes(int(seconds * rate) * 2))
    return out.getvalue()
