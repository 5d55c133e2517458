"""An incremental WebM (Matroska) demuxer for one Opus audio track.

Master elements (Segment, Cluster, BlockGroup) are entered rather than buffered, so blocks come
out as soon as each one has arrived, even inside live-streamed clusters of unknown size.
"""

from __future__ import annotations

SEGMENT, CLUSTER, BLOCK_GROUP = 0x18538067, 0x1F43B675, 0xA0
SIMPLE_BLOCK, BLOCK = 0xA3, 0xA1
_ENTERED = {SEGMENT, CLUSTER, BLOCK_GROUP}
_UNKNOWN = -1


class WebmError(ValueError):
    pass


def _vint(data: bytearray | bytes, pos: int, *, keep_marker: bool) -> tuple[int, int] | None:
    """(value, length) of the variable-size integer at `pos`, or None if incomplete."""
    if pos >= len(data):
        return None
    first = data[pos]
    if first == 0:
        raise WebmError("invalid EBML variable-size integer")
    length = 9 - first.bit_length()
    if pos + length > len(data):
        return None
    value = first if keep_marker else first & (0xFF >> length)
    all_ones = value == (0xFF >> length)
    for byte in data[pos + 1 : pos + length]:
        value = (value << 8) | byte
        all_ones = all_ones and byte == 0xFF
    if not keep_marker and all_ones:
        return _UNKNOWN, length
    return value, length


class WebmDemuxer:
    def __init__(self) -> None:
        self._data = bytearray()
        self._skip = 0

    def feed(self, data: bytes) -> list[bytes]:
        self._data += data
        packets: list[bytes] = []
        while True:
            if self._skip:
                taken = min(self._skip, len(self._data))
                del self._data[:taken]
                self._skip -= taken
                if self._skip:
                    return packets
            element_id = _vint(self._data, 0, keep_marker=True)
            if element_id is None:
                return packets
            size = _vint(self._data, element_id[1], keep_marker=False)
            if size is None:
                return packets
            header = element_id[1] + size[1]
            if element_id[0] in _ENTERED:
                del self._data[:header]
                continue
            if size[0] == _UNKNOWN:
                raise WebmError(f"element {element_id[0]:#x} of unknown size")
            if element_id[0] in (SIMPLE_BLOCK, BLOCK):
                if len(self._data) < header + size[0]:
                    return packets
                packets += _block_frames(bytes(self._data[header : header + size[0]]))
                del self._data[: header + size[0]]
                continue
            del self._data[:header]
            self._skip = size[0]


def _block_frames(block: bytes) -> list[bytes]:
    track = _vint(block, 0, keep_marker=False)
    if track is None or len(block) < track[1] + 3:
        raise WebmError("truncated block")
    flags = block[track[1] + 2]
    body = block[track[1] + 3 :]
    lacing = (flags >> 1) & 0x03
    if lacing == 0:
        return [body]
    if lacing == 2:  # fixed-size lacing: equal frames
        count = body[0] + 1
        size = (len(body) - 1) // count
        return [body[1 + i * size : 1 + (i + 1) * size] for i in range(count)]
    raise WebmError("Xiph/EBML lacing is not used for Opus by Fish; not supported")
