"""Real, deterministic audio for the stand-in: a melody derived from the text, in every format.

- PCM: s16le mono; one tone per character (~`ms_per_char` each, whitespace is a short rest),
  so the same text always gives the same samples and longer text gives longer audio.
- WAV: a RIFF header with the placeholder size fields Fish sends (RIFF size 4294967076), then PCM.
- Opus: 48 kHz mono packets encoded in-process with libopus through discord.py's ctypes
  binding, wrapped in Ogg pages by `ogg_writer` (frame 20/40/60 ms, N packets per page).
- MP3: real MPEG frames from an ffmpeg subprocess (asyncio; no ID3 tag, no Xing frame).

CPU-bound work (synthesis, Opus, Ogg CRC) runs in a worker thread via `asyncio.to_thread`, so
the event loop never blocks; results are cached per distinct input.
"""

from __future__ import annotations

import array
import asyncio
import ctypes
import functools
import math
import struct
import zlib
from dataclasses import dataclass

import discord.opus as dopus

from tests.discord_internals import opus_encoder_ctl

from .ogg_writer import OPUS_RATE, OggWriter

WAV_RIFF_PLACEHOLDER = 4_294_967_076  # what Fish puts in the RIFF size field (the doc, §7)
WAV_DATA_PLACEHOLDER = WAV_RIFF_PLACEHOLDER - 36
PENTATONIC = (0, 2, 4, 7, 9)
CTL_GET_LOOKAHEAD = 4027


def audio_seconds(text: str, *, ms_per_char: float, min_seconds: float, speed: float = 1.0) -> float:
    base = max(min_seconds, len(text) * ms_per_char / 1000.0)
    return base / max(speed, 0.01)


def _note(char: str) -> float:
    """A pitch for a character: a pentatonic scale from A3 over two octaves."""
    code = ord(char)
    degree = PENTATONIC[code % 5] + 12 * ((code // 5) % 2)
    return 220.0 * 2 ** (degree / 12)


@functools.lru_cache(maxsize=16)  # ~6 MB per minute of 44.1 kHz audio
def synth_pcm(text: str, seconds: float, sample_rate: int, gain_db: float = 0.0) -> bytes:
    """s16le mono samples of the melody for `text`, exactly round(seconds * rate) samples."""
    total = round(seconds * sample_rate)
    chars = text or " "
    per_char = max(1, total // len(chars))
    amplitude = min(32767.0, 0.3 * 32767 * 10 ** (gain_db / 20))
    ramp = max(1, sample_rate // 500)  # 2 ms fades: no clicks between notes
    samples = array.array("h")
    phase = 0.0
    for index, char in enumerate(chars):
        remaining = total - len(samples)
        if remaining <= 0:
            break
        length = remaining if index == len(chars) - 1 else min(per_char, remaining)
        step = 2 * math.pi * _note(char) / sample_rate
        amp = 0.0 if char.isspace() else amplitude
        samples.extend(
            int(amp * min(1.0, n / ramp, (length - n) / ramp) * math.sin(phase + step * n))
            for n in range(length)
        )
        phase = (phase + step * length) % (2 * math.pi)
    return samples.tobytes()


def wav_header(sample_rate: int, *, channels: int = 1, bits: int = 16) -> bytes:
    """A RIFF/WAVE header whose size fields are Fish's streaming placeholders."""
    block = channels * bits // 8
    return (
        b"RIFF"
        + struct.pack("<I", WAV_RIFF_PLACEHOLDER)
        + b"WAVE"
        + b"fmt "
        + struct.pack("<IHHIIHH", 16, 1, channels, sample_rate, sample_rate * block, block, bits)
        + b"data"
        + struct.pack("<I", WAV_DATA_PLACEHOLDER)
    )


class MonoOpusEncoder(dopus.Encoder):
    """discord.py's libopus encoder, created with one channel instead of two."""

    CHANNELS = 1
    SAMPLE_SIZE = 2

    def lookahead(self) -> int:
        value = ctypes.c_int32()
        opus_encoder_ctl(self, CTL_GET_LOOKAHEAD, ctypes.byref(value))
        return int(value.value)


@dataclass(frozen=True)
class OggOpus:
    """An Ogg Opus stream split as it goes on the wire: header pages, then audio pages."""

    header: bytes
    pages: tuple[bytes, ...]
    page_seconds: tuple[float, ...]  # audio end time (s) of each page

    @property
    def data(self) -> bytes:
        return self.header + b"".join(self.pages)


def _resample_to_48k(pcm: bytes, rate: int) -> bytes:
    if rate == OPUS_RATE:
        return pcm
    src = array.array("h", pcm)
    count = len(src) * OPUS_RATE // rate
    out = array.array("h", (src[min(len(src) - 1, i * rate // OPUS_RATE)] for i in range(count)))
    return out.tobytes()


class OpusStream:
    """A continuous Ogg Opus stream that can be fed PCM in pieces (one live session)."""

    def __init__(self, *, frame_ms: int, packets_per_page: int, bitrate_bps: int, serial: int) -> None:
        if frame_ms not in (20, 40, 60):
            raise ValueError("opus frame duration must be 20, 40 or 60 ms")
        self.frame = OPUS_RATE * frame_ms // 1000
        self.packets_per_page = max(1, packets_per_page)
        kbps = 64 if bitrate_bps <= 0 else max(16, bitrate_bps // 1000)
        self.encoder = MonoOpusEncoder(application="audio", bitrate=kbps, fec=False)
        self.writer = OggWriter(serial, self.encoder.lookahead(), channels=1)
        self.seconds = 0.0

    def header(self) -> bytes:
        return self.writer.headers()

    def encode(self, pcm48: bytes, *, last: bool) -> tuple[list[bytes], list[float]]:
        """Pages for `pcm48` (48 kHz s16le mono); the final frame is zero-padded and trimmed."""
        frame_bytes = self.frame * 2
        frames = [pcm48[i : i + frame_bytes] for i in range(0, len(pcm48), frame_bytes)]
        trim = 0
        if frames and len(frames[-1]) < frame_bytes:
            trim = (frame_bytes - len(frames[-1])) // 2
            frames[-1] = frames[-1] + b"\x00" * (frame_bytes - len(frames[-1]))
        packets = [self.encoder.encode(f, self.frame) for f in frames]
        pages, ends = [], []
        for start in range(0, len(packets), self.packets_per_page):
            group = packets[start : start + self.packets_per_page]
            final = last and start + self.packets_per_page >= len(packets)
            pages.append(
                self.writer.page(group, [self.frame] * len(group), eos=final, end_trim=trim if final else 0)
            )
            self.seconds += len(group) * self.frame / OPUS_RATE
            ends.append(self.seconds - (trim / OPUS_RATE if final else 0))
        return pages, ends


@functools.lru_cache(maxsize=32)
def ogg_opus(
    text: str, seconds: float, frame_ms: int, packets_per_page: int, bitrate_bps: int, gain_db: float = 0.0
) -> OggOpus:
    """The whole Ogg Opus (48 kHz mono) clip for one TTS request."""
    pcm = synth_pcm(text, seconds, OPUS_RATE, gain_db)
    stream = OpusStream(
        frame_ms=frame_ms,
        packets_per_page=packets_per_page,
        bitrate_bps=bitrate_bps,
        serial=zlib.crc32(text.encode()),
    )
    pages, ends = stream.encode(pcm, last=True)
    return OggOpus(stream.header(), tuple(pages), tuple(ends))


_mp3_cache: dict[tuple[bytes, int, int], bytes] = {}


async def encode_mp3(pcm: bytes, sample_rate: int, bitrate_kbps: int) -> bytes:
    """Real MP3 frames for s16le mono PCM, from an ffmpeg subprocess (cached per input)."""
    key = (zlib.crc32(pcm).to_bytes(4, "big") + len(pcm).to_bytes(8, "big"), sample_rate, bitrate_kbps)
    if key in _mp3_cache:
        return _mp3_cache[key]
    proc = await asyncio.create_subprocess_exec(
        "ffmpeg",
        "-hide_banner",
        "-loglevel",
        "error",
        "-f",
        "s16le",
        "-ar",
        str(sample_rate),
        "-ac",
        "1",
        "-i",
        "pipe:0",
        "-c:a",
        "libmp3lame",
        "-b:a",
        f"{bitrate_kbps}k",
        "-id3v2_version",
        "0",
        "-write_xing",
        "0",
        "-f",
        "mp3",
        "pipe:1",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate(pcm)
    if proc.returncode != 0:
        raise RuntimeError(f"ffmpeg mp3 encode failed: {err.decode(errors='replace')}")
    if len(_mp3_cache) > 32:
        _mp3_cache.clear()
    _mp3_cache[key] = out
    return out


def snap_mp3_rate(sample_rate: int | None) -> int:
    """MP3 is offered at 32 kHz and 44.1 kHz; other requests snap up (44.1 kHz by default)."""
    if sample_rate is not None and sample_rate <= 32_000:
        return 32_000
    return 44_100


def snap_mp3_bitrate(kbps: int) -> int:
    return next((tier for tier in (64, 128, 192) if kbps <= tier), 192)
