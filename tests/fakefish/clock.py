"""The stand-in's wall clock: Fish keeps its own, as the real service does (a retired model's
date, voice timestamps, how long a signed sample URL lasts). The tests pin it with the bot's
(tests/conftest.py); run by hand, it is the machine's."""

from __future__ import annotations

from datetime import UTC, date, datetime


def utc_now() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    return utc_now().date()
