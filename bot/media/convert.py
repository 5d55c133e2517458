"""Re-encode the audio track of an uploaded file (e.g. a video's soundtrack, or a format the API
does not take) to a compact format, at most 48 kHz and mono."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Literal

from bot.media import ffmpeg
from bot.media.errors import CorruptAudio, MediaTimeout, TooMuchAudio
from bot.media.probe import Streams

Format = Literal["wav", "mp3", "opus"]

# Files written by ffmpeg (join_clips).
CODECS: dict[Format, dict[str, str]] = {
    "wav": {"c:a": "pcm_s16le", "f": "wav"},
    "mp3": {"c:a": "libmp3lame", "q:a": "2", "f": "mp3"},
    # 48 kbps Opus keeps speech transparent at a fraction of WAV's size.
    "opus": {"c:a": "libopus", "b:a": "48k", "f": "ogg"},
}

# What convert() writes: compact formats that can go to a pipe, so the output is read as ffmpeg
# makes it and cut off at the caller's cap.
Encoding = Literal["mp3", "opus", "speech"]
ENCODINGS: dict[Encoding, dict[str, str]] = {
    # Constant bit rate and no header to fill in afterwards (a pipe can't be rewound): a VBR MP3
    # without its header shows the wrong length.
    "mp3": {"c:a": "libmp3lame", "b:a": "128k", "id3v2_version": "0", "write_xing": "0", "f": "mp3"},
    "opus": CODECS["opus"],
    # Wideband (16 kHz) speech at 24 kbps: plenty for recognition; an hour is about 11 MB.
    "speech": {"c:a": "libopus", "b:a": "24k", "application": "voip", "ar": "16000", "f": "ogg"},
}
# The most any encoding here writes per second of audio (mp3's 320 kbps; Opus stays under).
MAX_BYTES_PER_SECOND = 320_000 // 8
# Higher rates only cost memory and upload time: nothing above 24 kHz is speech.
MAX_RATE = 48_000


def new_output() -> Path:
    fd, name = tempfile.mkstemp(prefix="fishbot-", suffix=".out")
    os.close(fd)
    return Path(name)


def needs_resampling(streams: Streams) -> bool:
    return streams.sample_rate > MAX_RATE


def encoded_bound(seconds: float) -> int:
    """The most bytes `seconds` of audio can take in any encoding here (a cap for convert())."""
    return int(seconds * MAX_BYTES_PER_SECOND) + 64 * 1024


async def convert(
    path: Path,
    *,
    name: str,
    fmt: Encoding,
    max_bytes: int,
    resample: bool = False,
    cap_s: float | None = None,
    timeout_s: float = 120.0,
) -> bytes:
    """The first audio stream of `path` as mono `fmt` bytes (video, subtitles and metadata
    dropped); `resample` brings it down to 48 kHz. Output past `max_bytes` stops ffmpeg and is
    refused as too long or damaged."""
    options: dict[str, str | int | None] = {"map": "0:a:0", "vn": None, "sn": None, "dn": None,
                                             "map_metadata": "-1", "ac": 1, **ENCODINGS[fmt]}
    if cap_s is not None:
        options["t"] = f"{cap_s:.3f}"
    if resample and "ar" not in options:
        options["ar"] = MAX_RATE
    args = (
        ffmpeg.safe_input(path).output("pipe:1", **options)
        .global_args("-hide_banner", "-nostats", "-nostdin", "-v", "error")
        .compile()
    )
    try:
        result = await ffmpeg.run(args, timeout_s=timeout_s, max_stdout=max_bytes)
    except ffmpeg.ProcessTimeout:
        raise MediaTimeout(name) from None
    except ffmpeg.OutputTooLarge:
        raise TooMuchAudio(name) from None
    if result.returncode != 0 or not result.stdout:
        raise CorruptAudio(name)
    return result.stdout
