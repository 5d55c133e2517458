"""discord.py audio sources fed by a PacketBuffer (read() runs in the player thread)."""

from __future__ import annotations

import time

import discord

from bot.audio.buffer import PacketBuffer

OPUS_SILENCE = b"\xf8\xff\xfe"
PCM_FRAME_BYTES = 3840  # 20 ms of 48 kHz s16le stereo
PCM_SILENCE = bytes(PCM_FRAME_BYTES)


class StreamingOpusSource(discord.AudioSource):
    """Hands Opus packets to the player untouched. On underrun, while the producer is still
    going, it plays a silence frame rather than blocking (a stall in read() is audible and makes
    the player burst afterwards); it ends the track once the producer finished and it drained."""

    silence = OPUS_SILENCE

    def __init__(self, buffer: PacketBuffer, *, max_frames: int | None = None) -> None:
        self.buffer = buffer
        self.first_packet_at: float | None = None  # perf_counter, set in the player thread
        self.last_packet_at: float | None = None
        self.silence_frames = 0
        self.late_frames = 0  # underruns after audio began: a gap a listener can hear
        # Narration's "max spoken seconds": the track ends after this many 20 ms frames.
        self.max_frames = max_frames
        self.frames = 0
        self.ended = False  # read() returned b"": the track is over (drained, failed or cut)

    def is_opus(self) -> bool:
        return True

    def read(self) -> bytes:
        if self.max_frames is not None and self.frames >= self.max_frames:
            self.ended = True
            return b""  # cut short; cleanup() closes the buffer and so the upstream stream
        packet = self.buffer.get_nowait()
        if packet is None:  # underrun: keep the clip alive without blocking the player
            self.silence_frames += 1
            if self.first_packet_at is not None:
                self.late_frames += 1
            return self.silence
        if packet:
            self.frames += 1
            self.last_packet_at = time.perf_counter()
            if self.first_packet_at is None:
                self.first_packet_at = self.last_packet_at
        else:
            self.ended = True
        return packet  # b"" ends the track

    def cleanup(self) -> None:
        # The player is done with us (end, skip or disconnect): release the producer.
        self.buffer.close()


class StreamingPCMSource(StreamingOpusSource):
    """The same for 20 ms frames of 48 kHz s16le stereo PCM, which discord.py encodes."""

    silence = PCM_SILENCE

    def is_opus(self) -> bool:
        return False
