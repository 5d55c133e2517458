"""The low-balance state machine: alert once, re-arm on recovery, retry an undelivered alert."""

from __future__ import annotations

from decimal import Decimal

from bot.usage import LowBalanceMonitor


class Wallet:
    def __init__(self) -> None:
        self.balance = Decimal("10")
        self.delivered: list[Decimal] = []
        self.deliverable = True

    async def fetch(self) -> Decimal:
        return self.balance

    async def deliver(self, balance: Decimal) -> bool:
        if self.deliverable:
            self.delivered.append(balance)
        return self.deliverable


async def test_undelivered_alert_is_retried_next_time() -> None:
    wallet = Wallet()
    monitor = LowBalanceMonitor(2.5, wallet.fetch, wallet.deliver)
    wallet.balance, wallet.deliverable = Decimal("2.49"), False
    assert await monitor.check() == "undelivered" and not monitor.alerted
    wallet.deliverable = True
    assert await monitor.check() == "alerted" and wallet.delivered == [Decimal("2.49")]
    assert await monitor.check() == "low"
    wallet.balance = Decimal("2.5")
    assert await monitor.check() == "ok" and not monitor.alerted
