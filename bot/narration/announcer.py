"""Whether to say who is speaking: when the author changes, or after a pause (per server)."""

from __future__ import annotations

import time
from collections.abc import Callable

ANNOUNCE_AGAIN_AFTER_S = 60.0
Last = tuple[int, float] | None  # (author, when their last message was queued)


class Announcer:
    """Remembers, per server, whose message was queued last and when.

    Asking (`should_announce`) changes nothing; only a message that really was queued counts
    (`queued`), so one refused for quota or a full queue doesn't swallow the next one's name."""

    def __init__(self, again_after: float = ANNOUNCE_AGAIN_AFTER_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.again_after = again_after
        self.clock = clock
        self._last: dict[int, tuple[int, float]] = {}  # guild → Last

    def should_announce(self, guild_id: int, author_id: int) -> bool:
        last = self._last.get(guild_id)
        return last is None or last[0] != author_id or self.clock() - last[1] >= self.again_after

    def queued(self, guild_id: int, author_id: int) -> Last:
        """Count a queued message; returns the state before it, for `restore`."""
        before = self._last.get(guild_id)
        self._last[guild_id] = (author_id, self.clock())
        return before

    def restore(self, guild_id: int, before: Last) -> None:
        """The last queued message was dropped unspoken: back to what was said before it."""
        if before is None:
            self._last.pop(guild_id, None)
        else:
            self._last[guild_id] = before

    def forget(self, guild_id: int) -> None:
        """The next message in this server is announced (a new voice session)."""
        self._last.pop(guild_id, None)
