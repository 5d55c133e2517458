"""Several clips joined into one audio file, sample to sample: a scene read as consecutive clips
comes back as a single file with no gap (and no second container header) between the lines."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import ffmpeg as ffmpeg_python

from bot.media import ffmpeg
from bot.media.convert import CODECS, Format, new_output
from bot.media.tempfiles import temporary_copy


class JoinFailed(Exception):
    """ffmpeg could not decode or join the clips (the message is ffmpeg's, for the log)."""


async def join_clips(clips: list[bytes], *, fmt: Format, timeout_s: float = 120.0) -> bytes:
    """`clips` one after the other as one `fmt` file. ffmpeg decodes every clip, joins the samples
    with its concat filter and encodes them once, in a subprocess (never on the event loop)."""
    if not clips:
        raise ValueError("nothing to join")
    async with contextlib.AsyncExitStack() as stack:
        paths: list[Path] = [await stack.enter_async_context(temporary_copy(clip)) for clip in clips]
        output = await asyncio.to_thread(new_output)
        stack.push_async_callback(asyncio.to_thread, output.unlink, True)
        joined = ffmpeg_python.concat(*(ffmpeg.safe_input(path).audio for path in paths), v=0, a=1)
        args = (
            joined.output(str(output), ac=1, map_metadata="-1", **CODECS[fmt])
            .global_args("-hide_banner", "-nostats", "-nostdin", "-v", "error")
            .overwrite_output()
            .compile()
        )
        try:
            result = await ffmpeg.run(args, timeout_s=timeout_s, max_stdout=1024)
        except ffmpeg.ProcessTimeout:
            raise JoinFailed(f"ffmpeg took longer than {timeout_s:g} s") from None
        if result.returncode != 0:
            raise JoinFailed(result.stderr.strip()[:300] or f"ffmpeg exited with {result.returncode}")
        return await asyncio.to_thread(output.read_bytes)
