"""From Fish's streamed bytes to 20 ms Opus packets in a PacketBuffer, as the bytes arrive."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

from bot.audio.buffer import BufferClosed, PacketBuffer
from bot.audio.ogg import OggDemuxer
from bot.audio.reframe import Reframer
from bot.audio.webm import WebmDemuxer

OGG_MAGIC = b"OggS"
WEBM_MAGIC = b"\x1a\x45\xdf\xa3"


class UnsupportedAudio(Exception):
    """The stream is not in a container this pipeline can read."""


@dataclass
class PumpStats:
    bytes_in: int = 0
    packets: int = 0
    reencoded: int = 0


def detect_container(head: bytes) -> str:
    if head.startswith(OGG_MAGIC):
        return "ogg"
    if head.startswith(WEBM_MAGIC):
        return "webm"
    return "unknown"


async def pump_opus(chunks: AsyncIterator[bytes], buffer: PacketBuffer) -> PumpStats:
    """Demultiplex Ogg (or WebM) Opus incrementally into `buffer`; finish or fail it at the end.

    Returns early (without error) when the consumer closed the buffer. Cancellation propagates;
    the caller closes the upstream stream.
    """
    stats = PumpStats()
    demuxer: OggDemuxer | WebmDemuxer = OggDemuxer()
    reframer = Reframer()
    head: bytes | None = b""  # the first bytes, until they show the container
    try:
        async for chunk in chunks:
            stats.bytes_in += len(chunk)
            if head is not None and len(head) < 4:
                head += chunk
                if len(head) < 4:
                    continue
                # Fish doesn't document its Opus container: sniff it.
                kind = detect_container(head)
                if kind == "webm":
                    demuxer = WebmDemuxer()
                elif kind != "ogg":
                    raise UnsupportedAudio(f"expected Ogg or WebM Opus from Fish, got {kind} data")
                chunk = head
                head = None
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
