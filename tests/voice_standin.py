"""A voice client that behaves like discord.py's VoiceClient up to the network, then records.

discord.py's real AudioPlayer thread drives it (pacing, `after`, silence frames), so what it
records is what a real connection would have been handed, with the time of each packet.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import discord


class _SpeakingSocket:
    """Stands in for the voice websocket: the player only tells it when speaking starts/stops."""

    def __init__(self) -> None:
        self.states: list[Any] = []

    async def speak(self, state: Any = None) -> None:
        self.states.append(state)


class RecordingVoiceClient(discord.VoiceClient):
    def __init__(self, client: discord.Client, channel: discord.abc.Connectable) -> None:
        super().__init__(client, channel)
        self._up = threading.Event()
        self._socket = _SpeakingSocket()
        self.packets: list[tuple[float, bytes]] = []  # (perf_counter, opus packet)
        self.connects = 0
        self.moves: list[int] = []

    @property
    def ws(self) -> Any:  # type: ignore[override]
        return self._socket

    async def connect(self, *, reconnect: bool, timeout: float, self_deaf: bool = False,
                      self_mute: bool = False) -> None:
        self.connects += 1
        self._up.set()

    def is_connected(self) -> bool:
        return self._up.is_set()

    def wait_until_connected(self, timeout: float | None = 30.0) -> bool:
        return self._up.wait(timeout)

    async def move_to(self, channel: discord.abc.Snowflake | None, *,
                      timeout: float | None = 30.0) -> None:
        if channel is None:
            await self.disconnect(force=True)
            return
        self.channel = channel  # type: ignore[assignment]
        self.moves.append(channel.id)

    async def disconnect(self, *, force: bool = False) -> None:
        self.stop()
        self._up.clear()
        self.cleanup()

    def drop(self) -> None:
        """The connection dies underneath the bot and discord.py lets go of it, as its
        VoiceConnectionState does on an external disconnect (a kick): cleanup() unregisters it."""
        self._up.clear()
        self.cleanup()

    def send_audio_packet(self, data: bytes, *, encode: bool = True) -> None:
        if encode:
            data = self.encoder.encode(data, self.encoder.SAMPLES_PER_FRAME)
        self.packets.append((time.perf_counter(), data))
