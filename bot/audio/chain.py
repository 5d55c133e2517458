"""One discord.py player for back-to-back clips.

discord.py ends every track with five Opus silence frames and starts a new player thread for the
next one, which puts 100 ms of silence between queued messages. A ChainSource carries on with the
next clip inside the same player when the current one ends, if the next one is ready by then.
"""

from __future__ import annotations

from collections.abc import Callable

import discord


class ChainSource(discord.AudioSource):
    """Reads `current` until it ends, then continues with `next_source()` (asked in the player
    thread; it must only read state the event loop sets atomically, and return a source or None).
    `on_switch(finished, started)` is called in the player thread and must hand off thread-safely."""

    def __init__(
        self,
        first: discord.AudioSource,
        next_source: Callable[[], discord.AudioSource | None],
        on_switch: Callable[[discord.AudioSource, discord.AudioSource], None],
    ) -> None:
        self.current = first
        self._next_source = next_source
        self._on_switch = on_switch
        # Set (from the loop) while the voice connection is being re-established: a player that
        # gives up waiting then leaves the current source alone, so a new player can resume it.
        self.hold = False

    def is_opus(self) -> bool:
        return self.current.is_opus()

    def read(self) -> bytes:
        while True:
            data = self.current.read()
            if data:
                return data
            finished = self.current
            following = self._next_source()
            # Only a source of the same kind: the player set up its encoder for the first one.
            if following is None or following is finished or following.is_opus() != finished.is_opus():
                return b""
            self.current = following
            finished.cleanup()
            self._on_switch(finished, following)

    def cleanup(self) -> None:
        if not self.hold:
            self.current.cleanup()
