"""A quota reservation: the amount is counted against the quotas until it is committed (spent)
or released (given back). Finishing is idempotent and survives the caller being cancelled."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Generator
from dataclasses import dataclass, field
from datetime import date
from types import TracebackType
from typing import TYPE_CHECKING, Any

from bot.usage.quotas import SPENT, Kind, Outcome

if TYPE_CHECKING:
    from bot.usage.ledger import UsageLedger


@dataclass(eq=False)
class Reservation:
    ledger: UsageLedger
    kind: Kind
    amount: int
    user_id: int
    guild_id: int | None
    day: date
    # The counter rows (guild_id, user_id) that hold this amount.
    counters: tuple[tuple[int, int], ...]
    model: str | None = None  # the TTS model billed (speech), for the ledger's cost estimates
    outcome: Outcome | None = None
    _task: asyncio.Future[None] | None = field(default=None, repr=False)

    @property
    def finished(self) -> bool:
        return self.outcome is not None

    async def commit(self, outcome: Outcome = "ok") -> None:
        """The request happened: keep the amount counted ("ok"), record it in the ledger."""
        await self.finish(outcome)

    async def release(self, outcome: Outcome = "skipped") -> None:
        """The request did not cost credits: give the amount back ("skipped", "failed", "cached")."""
        if outcome in SPENT:
            raise ValueError(f"release() with the spending outcome {outcome!r}; use commit()")
        await self.finish(outcome)

    async def finish(self, outcome: Outcome) -> None:
        """Commit for "ok", release for anything else. Only the first call counts."""
        if self._task is None:
            self.outcome = outcome
            # A task of its own, shielded: a cancelled caller (a skipped clip, a closing session)
            # must not leave the quota half-updated.
            self._task = self.ledger.settle(self, outcome)
        await asyncio.shield(self._task)

    def callback(self) -> Callable[[Outcome], Awaitable[None]]:
        """`finish` as a plain callback, for code that reports outcomes without knowing quotas."""
        return self.finish


class ReserveContext:
    """What `UsageLedger.reserve()` returns: await it, or use it as an async context manager.

    In `async with`, leaving the block normally commits "ok" unless the block already finished
    the reservation; an exception releases it ("failed"; "skipped" when cancelled).
    """

    def __init__(self, acquire: Callable[[], Awaitable[Reservation]]) -> None:
        self._acquire = acquire
        self._reservation: Reservation | None = None

    def __await__(self) -> Generator[Any, None, Reservation]:
        return self._acquire().__await__()

    async def __aenter__(self) -> Reservation:
        self._reservation = await self._acquire()
        return self._reservation

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        reservation = self._reservation
        if reservation is None or reservation.finished:
            return
        if exc_type is None:
            await reservation.commit("ok")
        elif issubclass(exc_type, asyncio.CancelledError):
            await reservation.release("skipped")
        else:
            await reservation.release("failed")
