"""Credits and cost control: the usage ledger, atomic daily quotas, cooldowns and the low-balance
monitor. The bot exposes the service as `bot.usage` (a UsageLedger)."""

from bot.errors import QuotaExceeded
from bot.usage.cooldowns import expensive_cooldown
from bot.usage.ledger import MemberUsage, UsageLedger
from bot.usage.monitor import LowBalanceMonitor
from bot.usage.quotas import KINDS, Kind, Limits, Outcome, QuotaOverrides
from bot.usage.reservation import Reservation

__all__ = [
    "KINDS",
    "Kind",
    "Limits",
    "LowBalanceMonitor",
    "MemberUsage",
    "Outcome",
    "QuotaExceeded",
    "QuotaOverrides",
    "Reservation",
    "UsageLedger",
    "expensive_cooldown",
]
