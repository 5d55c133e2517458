"""What an uploaded file really is, found by decoding it (never by its name or extension)."""

from __future__ import annotations

import asyncio
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

from bot.media import ffmpeg
from bot.media.errors import CorruptAudio, EmptyAudio, MediaTimeout, NotAudio

# Decoded to this rate only to count samples and measure loudness; nothing is kept.
_COUNT_RATE = 16_000
# Quieter than this at its loudest is silence, not speech.
SILENCE_DB = -60.0
# A header promising much more audio than decodes means a damaged or truncated file.
_MIN_DECODED_SHARE = 0.5

_DAMAGE_SIGNS = ("CRC mismatch", "End of file", "corrupt", "truncated")
_SAMPLES = re.compile(r"n_samples: (\d+)")
_MAX_VOLUME = re.compile(r"max_volume: (-?(?:inf|[\d.]+)) dB")


@dataclass(frozen=True)
class Streams:
    """What the file's header says, read without decoding (cheap, but it may lie)."""

    format_name: str  # ffmpeg's demuxer, e.g. "mp3", "ogg", "mov,mp4,m4a,3gp,3g2,mj2"
    codec: str  # of the first audio stream, e.g. "opus", "mp3", "aac"
    sample_rate: int
    channels: int
    has_video: bool
    claimed_s: float | None  # the header's duration; None when it gives none


@dataclass(frozen=True)
class AudioInfo(Streams):
    duration_s: float  # decoded, so true even when the header lies; at most the probe's cap
    max_volume_db: float  # -inf for digital silence

    @property
    def silent(self) -> bool:
        return self.max_volume_db <= SILENCE_DB


async def _streams(path: Path, name: str, timeout_s: float) -> tuple[dict, list[dict]]:
    args = ["ffprobe", "-v", "error", "-show_entries",
            "format=format_name,duration:stream=codec_type,codec_name,sample_rate,channels",
            "-of", "json", *ffmpeg.input_args(path)]
    # ffprobe takes the input as a plain argument, not after -i.
    args.remove("-i")
    try:
        result = await ffmpeg.run(args, timeout_s=timeout_s, max_stdout=1024 * 1024)
    except ffmpeg.ProcessTimeout:
        raise MediaTimeout(name) from None
    if result.returncode != 0:
        # A recognised container that breaks off or fails its checksums is damaged; anything
        # else (unknown data, a demuxer not on the whitelist) is not a file we read.
        if any(sign in result.stderr for sign in _DAMAGE_SIGNS):
            raise CorruptAudio(name)
        raise NotAudio(name)
    data = json.loads(result.stdout or b"{}")
    return data.get("format") or {}, data.get("streams") or []


async def _decode(path: Path, name: str, cap_s: float | None, timeout_s: float) -> tuple[float, float]:
    """Decode the first audio stream to the end (or `cap_s`): decoded seconds and peak dBFS."""
    limit = {"t": f"{cap_s:.3f}"} if cap_s is not None else {}
    args = (
        ffmpeg.safe_input(path)
        .output("-", f="null", map="0:a:0", vn=None, sn=None, dn=None, **limit,
                af=f"aformat=sample_fmts=s16:sample_rates={_COUNT_RATE}:channel_layouts=mono,volumedetect")
        .global_args("-hide_banner", "-nostats", "-nostdin")
        .compile()
    )
    try:
        result = await ffmpeg.run(args, timeout_s=timeout_s, max_stdout=1024)
    except ffmpeg.ProcessTimeout:
        raise MediaTimeout(name) from None
    if result.returncode != 0:
        raise CorruptAudio(name)
    samples = _SAMPLES.search(result.stderr)
    if samples is None or int(samples.group(1)) == 0:
        raise EmptyAudio(name)
    peak = _MAX_VOLUME.search(result.stderr)
    max_volume = float(peak.group(1)) if peak else float("-inf")
    return int(samples.group(1)) / _COUNT_RATE, max_volume


async def probe_header(path: Path, *, name: str, timeout_s: float = 60.0) -> Streams:
    """The file's streams and claimed duration from its header (no decoding): enough to reserve a
    quota before the costly decode. Raises a `MediaError` naming `name` when the file is empty,
    not audio, or damaged."""
    if (await asyncio.to_thread(path.stat)).st_size == 0:
        raise EmptyAudio(name)
    fmt, streams = await _streams(path, name, timeout_s)
    audio = next((s for s in streams if s.get("codec_type") == "audio"), None)
    if audio is None:
        raise NotAudio(name)
    try:
        claimed: float | None = float(fmt["duration"])
    except (KeyError, TypeError, ValueError):
        claimed = None
    return Streams(
        format_name=str(fmt.get("format_name") or "unknown"),
        codec=str(audio.get("codec_name") or "unknown"),
        sample_rate=int(audio.get("sample_rate") or 0),
        channels=int(audio.get("channels") or 0),
        has_video=any(s.get("codec_type") == "video" for s in streams),
        claimed_s=claimed if claimed is not None and math.isfinite(claimed) and claimed > 0 else None,
    )


async def probe(path: Path, *, name: str, cap_s: float | None = None, timeout_s: float = 60.0,
                header: Streams | None = None) -> AudioInfo:
    """Read and fully decode the file's first audio stream (`header`: its `probe_header`, when
    the caller already has it).

    `cap_s` stops decoding there (callers pass a little over their duration limit, so a file
    that claims hours of audio costs no more than the limit to check). Decoding writes nothing:
    only the samples are counted. Raises a `MediaError` naming `name` when the file is empty,
    not audio, damaged or too slow to read.
    """
    if header is None:
        header = await probe_header(path, name=name, timeout_s=timeout_s)
    duration, max_volume = await _decode(path, name, cap_s, timeout_s)
    claimed = header.claimed_s or 0.0
    capped = cap_s is not None and duration >= cap_s - 0.05
    if not capped and claimed > 1.0 and duration < claimed * _MIN_DECODED_SHARE:
        raise CorruptAudio(name)
    return AudioInfo(**vars(header), duration_s=duration, max_volume_db=max_volume)
