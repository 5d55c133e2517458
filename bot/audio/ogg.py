"""An incremental Ogg demuxer that hands out each packet as soon as its segments have arrived.

Fish sends Ogg pages that can span many packets; waiting for whole pages would add up to a page's
duration of latency. The page header's lacing table tells where each packet ends, so a packet is
complete once its last segment's bytes are in, before the rest of the page. The two header
packets of every logical stream (OpusHead, OpusTags) are not audio and are dropped.
"""

from __future__ import annotations

import logging
import struct
from dataclasses import dataclass

log = logging.getLogger(__name__)

CAPTURE = b"OggS"
_HEADER = struct.Struct("<4sBBqIIIB")  # capture, version, flags, granule, serial, seq, crc, nsegs


@dataclass
class OpusHead:
    channels: int
    pre_skip: int
    sample_rate: int


class OggDemuxer:
    def __init__(self) -> None:
        self._data = bytearray()
        self._partial = bytearray()  # a packet continued across pages
        self._lacing: list[int] | None = None  # the current page's lacing values, once known
        self._segment = 0  # next segment of the current page to consume
        self._headers_seen: dict[int, int] = {}  # serial -> header packets seen
        self._serial = 0
        self.heads: dict[int, OpusHead] = {}
        self.pages = 0

    def feed(self, data: bytes) -> list[bytes]:
        """Add bytes; return the audio packets completed by them, in order."""
        self._data += data
        packets: list[bytes] = []
        while True:
            if self._lacing is None and not self._read_page_header():
                break
            if not self._read_segments(packets):
                break
        return packets

    def _read_page_header(self) -> bool:
        start = self._data.find(CAPTURE)
        if start < 0:
            # Keep a possible partial capture pattern at the end; drop garbage before it.
            del self._data[: max(0, len(self._data) - 3)]
            return False
        if start:
            log.warning("skipped %d bytes of garbage in the Ogg stream", start)
            del self._data[:start]
        if len(self._data) < _HEADER.size:
            return False
        _, version, flags, _granule, serial, _seq, _crc, nsegs = _HEADER.unpack_from(self._data)
        if version != 0:
            del self._data[:1]  # "OggS" inside data, not a page: resynchronise on the next one
            return self._read_page_header()
        if len(self._data) < _HEADER.size + nsegs:
            return False
        self._lacing = list(self._data[_HEADER.size : _HEADER.size + nsegs])
        del self._data[: _HEADER.size + nsegs]
        self._segment = 0
        self._serial = serial
        self.pages += 1
        if not flags & 0x01:  # not a continuation: any unfinished packet is lost
            self._partial.clear()
        return True

    def _read_segments(self, packets: list[bytes]) -> bool:
        """Consume the current page's segments as far as the bytes allow; True when it is done."""
        lacing = self._lacing
        assert lacing is not None
        # Find the next packet boundary in the lacing table and wait until its bytes are all in.
        while self._segment < len(lacing):
            end = self._segment
            size = 0
            while end < len(lacing):
                size += lacing[end]
                end += 1
                if lacing[end - 1] < 255:
                    break
            complete = lacing[end - 1] < 255
            if len(self._data) < size:
                return False
            self._partial += self._data[:size]
            del self._data[:size]
            self._segment = end
            if complete:
                self._emit(bytes(self._partial), packets)
                self._partial.clear()
        self._lacing = None
        return True

    def _emit(self, packet: bytes, packets: list[bytes]) -> None:
        seen = self._headers_seen.get(self._serial, 0)
        if seen < 2:
            self._headers_seen[self._serial] = seen + 1
            if seen == 0 and packet.startswith(b"OpusHead") and len(packet) >= 19:
                channels, pre_skip, rate = packet[9], *struct.unpack_from("<HI", packet, 10)
                self.heads[self._serial] = OpusHead(channels, pre_skip, rate)
            return
        if packet:  # a zero-length packet carries no audio (DTX)
            packets.append(packet)
