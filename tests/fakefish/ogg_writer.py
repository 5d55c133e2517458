"""A small Ogg page writer for Ogg Opus (RFC 3533 pages, RFC 7845 Opus mapping).

Writes the two header pages (OpusHead, OpusTags), then audio pages holding a configurable
number of packets each, with correct granule positions, lacing and CRC-32 (poly 0x04C11DB7,
no reflection, init 0). Pure functions over bytes: no I/O.
"""

from __future__ import annotations

import struct

OPUS_RATE = 48_000


def _crc_table() -> list[int]:
    table = []
    for i in range(256):
        r = i << 24
        for _ in range(8):
            r = ((r << 1) ^ 0x04C11DB7) if r & 0x80000000 else (r << 1)
        table.append(r & 0xFFFFFFFF)
    return table


_CRC = _crc_table()


def ogg_crc(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc = ((crc << 8) & 0xFFFFFFFF) ^ _CRC[((crc >> 24) & 0xFF) ^ byte]
    return crc


def _lacing(packet: bytes) -> bytes:
    """Segment table entries for one packet: 255s, then the remainder (0 if a multiple of 255)."""
    full, rest = divmod(len(packet), 255)
    return bytes([255] * full + [rest])


def opus_head(pre_skip: int, channels: int = 1, input_rate: int = OPUS_RATE) -> bytes:
    return b"OpusHead" + struct.pack("<BBHIhB", 1, channels, pre_skip, input_rate, 0, 0)


def opus_tags(vendor: str = "fakefish", comments: tuple[str, ...] = ()) -> bytes:
    out = b"OpusTags" + struct.pack("<I", len(vendor)) + vendor.encode()
    out += struct.pack("<I", len(comments))
    for comment in comments:
        out += struct.pack("<I", len(comment.encode())) + comment.encode()
    return out


class OggWriter:
    """Builds the pages of one logical Ogg stream. Call `headers()` once, then `page()`."""

    def __init__(self, serial: int, pre_skip: int, channels: int = 1) -> None:
        self.serial = serial & 0xFFFFFFFF
        self.pre_skip = pre_skip
        self.channels = channels
        self.sequence = 0
        self.samples = 0  # 48 kHz samples of audio packets written so far

    def _page(self, packets: list[bytes], granule: int, *, bos: bool = False, eos: bool = False) -> bytes:
        segments = b"".join(_lacing(p) for p in packets)
        if len(segments) > 255:
            raise ValueError("too many segments for one Ogg page; use fewer packets per page")
        flags = (0x02 if bos else 0) | (0x04 if eos else 0)
        header = struct.pack(
            "<4sBBqIIIB", b"OggS", 0, flags, granule, self.serial, self.sequence, 0, len(segments)
        )
        page = bytearray(header + segments + b"".join(packets))
        struct.pack_into("<I", page, 22, ogg_crc(bytes(page)))
        self.sequence += 1
        return bytes(page)

    def headers(self, vendor: str = "fakefish") -> bytes:
        """The OpusHead page (BOS, granule 0) and the OpusTags page (granule 0)."""
        return self._page([opus_head(self.pre_skip, self.channels)], 0, bos=True) + self._page(
            [opus_tags(vendor)], 0
        )

    def page(
        self, packets: list[bytes], samples: list[int], *, eos: bool = False, end_trim: int = 0
    ) -> bytes:
        """One audio page; `samples` are each packet's duration in 48 kHz samples.

        The granule position is pre_skip + samples up to the end of the last packet, minus
        `end_trim` on the final page (RFC 7845 §4: the end of the stream is trimmed that way).
        """
        self.samples += sum(samples)
        granule = self.pre_skip + self.samples - (end_trim if eos else 0)
        return self._page(packets, granule, eos=eos)


def split_pages(data: bytes) -> list[bytes]:
    """Split an Ogg byte string into its pages (used by tests and for chunking)."""
    pages = []
    pos = 0
    while pos + 27 <= len(data):
        if data[pos : pos + 4] != b"OggS":
            raise ValueError(f"no Ogg page at offset {pos}")
        count = data[pos + 26]
        table = data[pos + 27 : pos + 27 + count]
        end = pos + 27 + count + sum(table)
        pages.append(data[pos:end])
        pos = end
    return pages


def page_packets(page: bytes) -> list[bytes]:
    """The complete packets of one page (packets continued across pages are not needed here)."""
    count = page[26]
    table = page[27 : 27 + count]
    body = page[27 + count :]
    packets, current, pos = [], b"", 0
    for lace in table:
        current += body[pos : pos + lace]
        pos += lace
        if lace < 255:
            packets.append(current)
            current = b""
    return packets
