"""Re-encode the audio track of an uploaded file (e.g. a video's soundtrack, or a format the API
does not take) to WAV, MP3 or Ogg Opus."""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path
from typing import Literal

from bot.media import ffmpeg
from bot.media.errors import CorruptAudio, MediaTimeout

Format = Literal["wav", "mp3", "opus"]

CODECS: dict[Format, dict[str, str]] = {
    "wav": {"c:a": "pcm_s16le", "f": "wav"},
    "mp3": {"c:a": "libmp3lame", "q:a": "2", "f": "mp3"},
    # 48 kbps Opus keeps speech transparent at a fraction of WAV's size.
    "opus": {"c:a": "libopus", "b:a": "48k", "f": "ogg"},
}


def new_output() -> Path:
    fd, name = tempfile.mkstemp(prefix="fishbot-", suffix=".out")
    os.close(fd)
    return Path(name)


async def convert(
    path: Path,
    *,
    name: str,
    fmt: Format,
    sample_rate: int | None = None,
    mono: bool = True,
    cap_s: float | None = None,
    timeout_s: float = 120.0,
) -> bytes:
    """The first audio stream of `path` as `fmt` bytes (video, subtitles and metadata dropped)."""
    output = await asyncio.to_thread(new_output)
    options: dict[str, str | int | None] = {"map": "0:a:0", "vn": None, "sn": None, "dn": None,
                                             "map_metadata": "-1", **CODECS[fmt]}
    if cap_s is not None:
        options["t"] = f"{cap_s:.3f}"
    if mono:
        options["ac"] = 1
    if sample_rate is not None:
        options["ar"] = sample_rate
    args = (
        ffmpeg.safe_input(path).output(str(output), **options)
        .global_args("-hide_banner", "-nostats", "-nostdin", "-v", "error")
        .overwrite_output()
        .compile()
    )
    try:
        result = await ffmpeg.run(args, timeout_s=timeout_s, max_stdout=1024)
        if result.returncode != 0:
            raise CorruptAudio(name)
        return await asyncio.to_thread(output.read_bytes)
    except ffmpeg.ProcessTimeout:
        raise MediaTimeout(name) from None
    finally:
        await asyncio.to_thread(output.unlink, True)
