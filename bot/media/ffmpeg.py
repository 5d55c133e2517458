"""Running ffmpeg/ffprobe on untrusted files: async, time-limited, bounded output, and limited
to the demuxers of ordinary audio/video files (an uploaded HLS or concat playlist could
otherwise make ffmpeg open other files or URLs)."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from pathlib import Path

import ffmpeg as ffmpeg_python

from bot.media import jobs

# Demuxers of the audio and video files members upload (and Discord voice messages: ogg).
SAFE_DEMUXERS = "mp3,wav,ogg,matroska,mov,flac,aac,aiff,caf,w64"


class ProcessTimeout(Exception):
    pass


class OutputTooLarge(Exception):
    pass


@dataclass(frozen=True)
class Completed:
    returncode: int
    stdout: bytes
    stderr: str


def input_args(path: Path) -> list[str]:
    """Options that must precede every `-i` of an untrusted file (ffprobe takes them as they are)."""
    return ["-format_whitelist", SAFE_DEMUXERS, "-protocol_whitelist", "file", "-i", str(path)]


def safe_input(path: Path) -> ffmpeg_python.nodes.FilterableStream:
    """An ffmpeg-python input of an untrusted file, with the demuxer and protocol whitelists."""
    return ffmpeg_python.input(str(path), format_whitelist=SAFE_DEMUXERS, protocol_whitelist="file")


async def _read_bounded(stream: asyncio.StreamReader, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while chunk := await stream.read(65536):
        size += len(chunk)
        if size > limit:
            raise OutputTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


async def run(args: list[str], *, timeout_s: float, max_stdout: int = 64 * 1024 * 1024) -> Completed:
    """Run `args` in a media job slot (the caller's, if it holds one); kill the process if it
    outlives `timeout_s` or writes more than `max_stdout` (its output is read as it comes, so
    no more than that is ever held)."""
    async with jobs.slot():
        return await _run(args, timeout_s=timeout_s, max_stdout=max_stdout)


async def _run(args: list[str], *, timeout_s: float, max_stdout: int) -> Completed:
    process = await asyncio.create_subprocess_exec(
        *args,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    try:
        async with asyncio.timeout(timeout_s):
            stdout, stderr = await asyncio.gather(
                _read_bounded(process.stdout, max_stdout),
                _read_bounded(process.stderr, 1024 * 1024),
            )
            returncode = await process.wait()
    except TimeoutError:
        raise ProcessTimeout from None
    finally:
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
    return Completed(returncode, stdout, stderr.decode(errors="replace"))
