"""The low-balance alert's state: alert once when the credit falls below the threshold, and
again only after it has recovered to at least the threshold."""

from __future__ import annotations

import decimal
import logging
from collections.abc import Awaitable, Callable
from typing import Literal

from bot import metrics

log = logging.getLogger(__name__)

Check = Literal["ok", "low", "alerted", "undelivered", "error"]


class LowBalanceMonitor:
    def __init__(
        self,
        threshold: float,
        fetch_balance: Callable[[], Awaitable[decimal.Decimal]],
        deliver: Callable[[decimal.Decimal], Awaitable[bool]],
    ) -> None:
        self.threshold = decimal.Decimal(str(threshold))
        self._fetch = fetch_balance
        self._deliver = deliver
        self.alerted = False
        self.last_balance: decimal.Decimal | None = None

    async def check(self) -> Check:
        """One look at the balance. "alerted": an alert went out now; "low": still low, already
        told; "undelivered": low but nobody could be told (tried again next time)."""
        try:
            balance = await self._fetch()
        except Exception as exc:  # the next interval tries again; don't kill the loop
            log.warning("could not check the Fish credit balance: %s", type(exc).__name__)
            return "error"
        self.last_balance = balance
        metrics.balance(float(balance))
        if balance >= self.threshold:
            if self.alerted:
                log.info("Fish credit recovered to %s; low-balance alert re-armed", balance)
            self.alerted = False
            return "ok"
        if self.alerted:
            return "low"
        if await self._deliver(balance):
            self.alerted = True
            return "alerted"
        return "undelivered"
