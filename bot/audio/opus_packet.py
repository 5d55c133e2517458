"""Opus packet durations from the TOC byte (RFC 6716 §3.1), at 48 kHz."""

from __future__ import annotations

SAMPLES_20MS = 960

# Frame size in 48 kHz samples for each of the 32 configurations (SILK, hybrid, CELT).
_FRAME_SAMPLES = (
    [480, 960, 1920, 2880] * 3  # SILK NB/MB/WB: 10, 20, 40, 60 ms
    + [480, 960] * 2  # hybrid SWB/FB: 10, 20 ms
    + [120, 240, 480, 960] * 4  # CELT NB/WB/SWB/FB: 2.5, 5, 10, 20 ms
)


class InvalidOpusPacket(ValueError):
    pass


def packet_samples(packet: bytes) -> int:
    """The packet's duration in 48 kHz samples."""
    if not packet:
        raise InvalidOpusPacket("empty packet")
    toc = packet[0]
    frame = _FRAME_SAMPLES[toc >> 3]
    code = toc & 0x03
    if code == 0:
        frames = 1
    elif code in (1, 2):
        frames = 2
    else:
        if len(packet) < 2:
            raise InvalidOpusPacket("code 3 packet without a frame count")
        frames = packet[1] & 0x3F
        if frames == 0:
            raise InvalidOpusPacket("code 3 packet with zero frames")
    samples = frame * frames
    if samples > 5760:  # 120 ms is the most a packet may hold
        raise InvalidOpusPacket("packet longer than 120 ms")
    return samples


def is_stereo(packet: bytes) -> bool:
    return bool(packet[0] & 0x04)
