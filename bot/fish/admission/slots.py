"""Where the account's slots are counted. One process (SQLite): `LocalSlots`, a counter in memory.
Several processes on one PostgreSQL database: `bot.fish.admission.shared.SharedSlots`.

A pool hands out tokens under a limit; the gate (gate.py) decides who gets them. Pools call the
gate's `wake` when a slot may have come free elsewhere, and `adopt` when another process saw Fish
refuse a request (its cut applies account-wide).
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable
from typing import Protocol


class Listener(Protocol):
    def wake(self) -> None: ...

    def adopt(self, limit: int, pause_s: float) -> None: ...


class SlotPool(Protocol):
    def attach(self, listener: Listener) -> None:
        """The gate to wake when a slot frees elsewhere (pools shared between processes)."""

    async def start(self) -> None:
        """Connect now (shared pools), so this process hears the others before its first request."""

    async def take(self, limit: int) -> Hashable | None:
        """A slot if fewer than `limit` of the account's slots are taken (and, shared, this
        process holds less than its fair share while others wait), else None."""

    def give_back(self, token: Hashable) -> None:
        """Return a slot at once (never waits, never fails: called on every exit path)."""

    async def in_use(self) -> int:
        """Slots the account has taken, all processes."""

    def announce_cut(self, limit: int, pause_s: float) -> None:
        """Tell the other processes that Fish refused a request (no-op for one process)."""

    def idle(self) -> None:
        """Nothing waits in this process any more."""

    async def close(self) -> None: ...


class LocalSlots:
    """The slots of a bot that runs alone (SQLite, or one process)."""

    def __init__(self) -> None:
        self._taken: set[int] = set()
        self._tokens = itertools.count()

    def attach(self, listener: Listener) -> None:
        pass

    async def start(self) -> None:
        pass

    async def take(self, limit: int) -> Hashable | None:
        if len(self._taken) >= limit:
            return None
        token = next(self._tokens)
        self._taken.add(token)
        return token

    def give_back(self, token: Hashable) -> None:
        self._taken.discard(token)

    async def in_use(self) -> int:
        return len(self._taken)

    def announce_cut(self, limit: int, pause_s: float) -> None:
        pass

    def idle(self) -> None:
        pass

    async def close(self) -> None:
        pass

