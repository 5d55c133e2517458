"""Make every packet exactly 20 ms, as discord.py's player assumes (it advances the RTP timestamp
by 960 samples per packet whatever the packet holds).

20 ms packets pass through untouched: that is Fish's usual framing and costs nothing. Other
durations are decoded and re-encoded into 20 ms packets, keeping leftover samples across input
packets. Mono packets need no conversion on the pass-through path: Opus decoders output the
channel count they are configured for, whatever the packet's stereo flag, so Discord clients
play a mono packet on both channels.
"""

from __future__ import annotations

import discord.opus

from bot.audio.opus_packet import SAMPLES_20MS, packet_samples

_FRAME_BYTES = SAMPLES_20MS * 2 * 2  # stereo s16le, as discord.py's Decoder gives


class Reframer:
    def __init__(self) -> None:
        self._decoder: discord.opus.Decoder | None = None
        self._encoder: discord.opus.Encoder | None = None
        self._pcm = bytearray()
        self.reencoded = 0

    def push(self, packet: bytes) -> list[bytes]:
        if not self._pcm and packet_samples(packet) == SAMPLES_20MS:
            return [packet]
        if self._decoder is None:
            self._decoder = discord.opus.Decoder()
            self._encoder = discord.opus.Encoder(application="voip", signal_type="voice")
        self._pcm += self._decoder.decode(packet, fec=False)
        return self._drain(final=False)

    def flush(self) -> list[bytes]:
        """At the end of the stream: encode what is left, padded with silence."""
        if not self._pcm:
            return []
        self._pcm += bytes(-len(self._pcm) % _FRAME_BYTES)
        return self._drain(final=True)

    def _drain(self, *, final: bool) -> list[bytes]:
        assert self._encoder is not None
        out = []
        while len(self._pcm) >= _FRAME_BYTES:
            frame = bytes(self._pcm[:_FRAME_BYTES])
            del self._pcm[:_FRAME_BYTES]
            out.append(self._encoder.encode(frame, SAMPLES_20MS))
            self.reencoded += 1
        return out
