"""From Fish's streamed bytes to 20 ms Opus packets in a PacketBuffer, as the bytes arrive."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Literal

from bot.audio.buffer import BufferClosed, PacketBuffer
from bot.audio.ogg import OggDemuxer
from bot.audio.reframe import Reframer
from bot.audio.webm import WebmDemuxer

OGG_MAGIC = b"OggS"
WEBM_MAGIC = b"\x1a\x45\xdf\xa3"
MAGIC_BYTES = 4  # enough of the stream to tell the containers apart

Container = Literal["ogg", "webm", "unknown"]


class UnsupportedAudio(Exception):
    """The stream is not in a container this pipeline can read."""


@dataclass
class PumpStats:
    bytes_in: int = 0
    packets: int = 0
    reencoded: int = 0


def detect_container(head: bytes) -> Container:
    if head.startswith(OGG_MAGIC):
        return "ogg"
    if head.startswith(WEBM_MAGIC):
        return "webm"
    return "unknown"


@dataclass(frozen=True)
class SniffedAudio:
    """A stream whose container its first bytes showed; `chunks` still yields those bytes."""

    container: Container
    chunks: AsyncIterator[bytes]

    @property
    def opus(self) -> bool:
        """Ogg or WebM Opus: `pump_opus` passes it through; anything else needs decoding."""
        return self.container != "unknown"


async def _prepend(head: bytes, rest: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    if head:
        yield head
    async for chunk in rest:
        yield chunk


async def sniff(chunks: AsyncIterator[bytes]) -> SniffedAudio:
    """Read just enough of `chunks` to tell the container (Fish doesn't document its Opus
    container), once: the caller chooses its path from it and `pump_opus` demuxes by it."""
    iterator = aiter(chunks)
    head = b""
    async for chunk in iterator:
        head += chunk
        if len(head) >= MAGIC_BYTES:
            break
    return SniffedAudio(detect_container(head), _prepend(head, iterator))


async def pump_opus(audio: SniffedAudio, buffer: PacketBuffer) -> PumpStats:
    """Demultiplex Ogg (or WebM) Opus incrementally into `buffer`, by the container `sniff`
    reported; finish or fail it at the end.

    Returns early (without error) when the consumer closed the buffer. Cancellation propagates;
    the caller closes the upstream stream.
    """
    stats = PumpStats()
    reframer = Reframer()
    try:
        demuxer: OggDemuxer | WebmDemuxer
        if audio.container == "ogg":
            demuxer = OggDemuxer()
        elif audio.container == "webm":
            demuxer = WebmDemuxer()
        else:
            raise UnsupportedAudio(f"expected Ogg or WebM Opus from Fish, got {audio.container} data")
        async for chunk in audio.chunks:
            stats.bytes_in += len(chunk)
            for packet in demuxer.feed(chunk):
                for framed in reframer.push(packet):
                    await buffer.put(framed)
                    stats.packets += 1
        for framed in reframer.flush():
            await buffer.put(framed)
            stats.packets += 1
    except BufferClosed:
        return stats
    except asyncio.CancelledError:
        buffer.close()
        raise
    except BaseException as exc:
        buffer.fail(exc)
        raise
    buffer.finish()
    stats.reencoded = reframer.reencoded
    return stats
