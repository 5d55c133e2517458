"""The bot's one calendar clock. Model retirements (s1 on 2026-12-31) are judged by the UTC day,
so everything that needs the date asks `utc_today()` when it needs it (looked up through the
module, never bound at import), and tests set the day in one place (`set_today` in
tests/conftest.py)."""

from __future__ import annotations

import datetime


def utc_today() -> datetime.date:
    return datetime.datetime.now(datetime.UTC).date()


def utc_now() -> datetime.datetime:
    """The current UTC time (tests pin it, like `utc_today`)."""
    return datetime.datetime.now(datetime.UTC)
