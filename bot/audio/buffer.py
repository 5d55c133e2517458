"""A bounded packet buffer between an asyncio producer and discord.py's player thread.

The player thread calls `get_nowait()` every 20 ms and must never wait; the producer awaits
`put()`, which applies back-pressure when the buffer is full. The thread wakes the producer with
`loop.call_soon_threadsafe` only when the producer is actually waiting and the level has fallen
to the low-water mark, so there is no cross-thread call per packet.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import deque


class BufferClosed(Exception):
    """The consumer went away (skip, stop, disconnect): stop producing."""


class PacketBuffer:
    def __init__(self, max_packets: int = 50, low_water: int | None = None) -> None:
        self.max_packets = max_packets
        self.low_water = low_water if low_water is not None else max_packets // 2
        self._packets: deque[bytes] = deque()
        self._lock = threading.Lock()
        self._space: asyncio.Event | None = None  # set by the consumer side (via the loop)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiting = False
        self.finished = False  # the producer has put its last packet
        self.closed = False  # the consumer is gone
        self.error: BaseException | None = None
        self.packets_in = 0
        self.packets_out = 0
        self.underruns = 0

    def __len__(self) -> int:
        return len(self._packets)

    # --- producer side (event loop) ------------------------------------------------------

    async def put(self, packet: bytes) -> None:
        """Append a packet, waiting while the buffer is full. Raises BufferClosed."""
        while True:
            with self._lock:
                if self.closed:
                    raise BufferClosed
                if len(self._packets) < self.max_packets:
                    self._packets.append(packet)
                    self.packets_in += 1
                    return
                if self._space is None:
                    self._loop = asyncio.get_running_loop()
                    self._space = asyncio.Event()
                self._space.clear()
                self._waiting = True
            await self._space.wait()

    def finish(self) -> None:
        self.finished = True

    def fail(self, error: BaseException) -> None:
        """The producer failed: nothing more will come. What already arrived still plays (a
        stream that broke part-way is heard up to the break), then the track ends."""
        with self._lock:
            self.error = error
            self.finished = True

    def close(self) -> None:
        """The consumer is gone: drop everything and release a waiting producer."""
        with self._lock:
            self.closed = True
            self._packets.clear()
            waiting, self._waiting = self._waiting, False
        if waiting:
            self._wake()

    def _wake(self) -> None:
        loop, event = self._loop, self._space
        if loop is None or event is None:
            return
        try:
            if loop is asyncio.get_running_loop():
                event.set()
                return
        except RuntimeError:
            pass  # not on the loop's thread: hand over thread-safely
        with contextlib.suppress(RuntimeError):  # a closed loop has nobody waiting any more
            loop.call_soon_threadsafe(event.set)

    # --- consumer side (player thread) ---------------------------------------------------

    def get_nowait(self) -> bytes | None:
        """The next packet; None on an underrun; b"" once nothing more will ever come.

        The end is decided under the lock, so a last packet put together with finish() is
        never mistaken for the end."""
        with self._lock:
            if self._packets:
                packet = self._packets.popleft()
                self.packets_out += 1
                wake = self._waiting and len(self._packets) <= self.low_water
                if wake:
                    self._waiting = False
            else:
                if self.finished or self.closed:
                    return b""
                self.underruns += 1
                return None
        if wake:
            self._wake()
        return packet

    @property
    def drained(self) -> bool:
        """Nothing more will come: the producer finished and every packet was taken."""
        return self.finished and not self._packets
