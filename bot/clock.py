"""The bot's one wall clock. Model retirements (s1 on 2026-12-31), daily quotas (reset at midnight
UTC), ledger days, cooldowns, record times and relative Discord timestamps are all judged by it, so
everything that needs the date or the time of day asks `utc_now()`/`utc_today()` when it needs it
(looked up through the module, never bound at import), and tests pin it in one place
(tests/conftest.py: `set_now`, `set_today`). Timeouts and pacing use the monotonic clock instead."""

from __future__ import annotations

import datetime


def utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def utc_today() -> datetime.date:
    return utc_now().date()
