"""The PCM path, for streams that are not Opus: one ffmpeg process decodes whatever arrives
(MP3, WAV, raw PCM) to 48 kHz s16le stereo in 20 ms frames, which discord.py then encodes.

ffmpeg runs as an asyncio subprocess: a writer task feeds stdin as chunks arrive, this coroutine
reads stdout. Low-probe flags keep its start-up from buffering seconds of input.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from bot.audio.buffer import BufferClosed, PacketBuffer
from bot.audio.source import PCM_FRAME_BYTES

FFMPEG_READ_TIMEOUT = 30.0  # seconds without output before ffmpeg counts as stuck


class DecodeError(Exception):
    """ffmpeg could not decode the stream."""


def ffmpeg_command(input_format: str | None) -> list[str]:
    command = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin"]
    # No "-fflags nobuffer": with it, ffmpeg dropped a quarter of a streamed MP3 here.
    command += ["-probesize", "4096", "-analyzeduration", "0"]
    if input_format == "pcm":  # Fish's raw PCM: s16le mono at the requested rate (44.1 kHz default)
        command += ["-f", "s16le", "-ar", "44100", "-ac", "1"]
    command += ["-i", "pipe:0", "-f", "s16le", "-ar", "48000", "-ac", "2", "pipe:1"]
    return command


async def _feed(stdin: asyncio.StreamWriter, chunks: AsyncIterator[bytes]) -> None:
    try:
        async for chunk in chunks:
            stdin.write(chunk)
            await stdin.drain()
    finally:
        with contextlib.suppress(ConnectionError):
            stdin.close()


async def pump_pcm(chunks: AsyncIterator[bytes], buffer: PacketBuffer, *,
                   input_format: str | None = None) -> int:
    """Decode `chunks` into 3,840-byte frames in `buffer`; returns the number of frames."""
    process = await asyncio.create_subprocess_exec(
        *ffmpeg_command(input_format),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdin is not None and process.stdout is not None
    writer = asyncio.create_task(_feed(process.stdin, chunks), name="ffmpeg-feed")
    frames = 0
    try:
        while True:
            try:
                async with asyncio.timeout(FFMPEG_READ_TIMEOUT):
                    frame = await process.stdout.readexactly(PCM_FRAME_BYTES)
            except asyncio.IncompleteReadError as end:
                if end.partial:  # pad the tail to a whole frame
                    await buffer.put(end.partial + bytes(PCM_FRAME_BYTES - len(end.partial)))
                    frames += 1
                break
            await buffer.put(frame)
            frames += 1
        await writer  # surfaces upstream errors (network, stall) from the feeding side
        if await process.wait() != 0 and frames == 0:
            stderr = await process.stderr.read() if process.stderr else b""
            raise DecodeError(stderr.decode(errors="replace").strip()[:200] or "ffmpeg failed")
    except BufferClosed:
        pass  # the consumer left (skip/stop)
    except BaseException as exc:
        if not isinstance(exc, asyncio.CancelledError):
            buffer.fail(exc)
        raise
    finally:
        writer.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await writer
        if process.returncode is None:
            process.kill()
            await process.wait()
    buffer.finish()
    return frames
