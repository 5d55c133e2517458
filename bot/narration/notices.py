"""How often narration may explain, in the channel, why a member's message wasn't read."""

from __future__ import annotations

import time
from collections.abc import Callable

NOTICE_EVERY_S = 600.0


class Notices:
    """At most one notice per member and server every `every` seconds: someone over their quota
    keeps typing, and each of their messages must not get a reply of its own."""

    def __init__(self, every: float = NOTICE_EVERY_S, clock: Callable[[], float] = time.monotonic) -> None:
        self.every = every
        self.clock = clock
        self._last: dict[tuple[int, int], float] = {}

    def due(self, guild_id: int, user_id: int) -> bool:
        """Whether to tell this member now (and if so, count it as told)."""
        now = self.clock()
        key = (guild_id, user_id)
        last = self._last.get(key)
        if last is not None and now - last < self.every:
            return False
        if len(self._last) > 10_000:  # forget the ones long past, so this can't grow without bound
            self._last = {k: t for k, t in self._last.items() if now - t < self.every}
        self._last[key] = now
        return True
