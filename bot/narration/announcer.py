"""Whether to say who is speaking: when the author changes, or after a pause (per server)."""

from __future__ import annotations

import time
from collections.abc import Callable

ANNOUNCE_AGAIN_AFTER_S = 60.0


class Announcer:
    def __init__(self, again_after: float = ANNOUNCE_AGAIN_AFTER_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.again_after = again_after
        self.clock = clock
        self._last: dict[int, tuple[int, float]] = {}  # guild → (author, when announced or spoke)

    def should_announce(self, guild_id: int, author_id: int) -> bool:
        now = self.clock()
        last = self._last.get(guild_id)
        self._last[guild_id] = (author_id, now)
        return last is None or last[0] != author_id or now - last[1] >= self.again_after

    def forget(self, guild_id: int) -> None:
        self._last.pop(guild_id, None)
