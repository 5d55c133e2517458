"""Fixtures for the Fish client tests: a client on the stand-in, and a guard that fails a test
if asyncio reports an orphaned task exception or a cross-task cancel scope."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from bot.fish import FishClient
from bot.fish.admission import AdaptiveLimit, AdmissionGate

KEY = "test-key"


@pytest.fixture(autouse=True)
def no_asyncio_complaints(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    caplog.set_level(logging.WARNING, logger="asyncio")
    yield
    gc.collect()  # "Task exception was never retrieved" is logged when the task is collected
    records = caplog.get_records("setup") + caplog.get_records("call") + caplog.records
    bad = [r.getMessage() for r in records if r.name == "asyncio"]
    assert not bad, bad


def fish_tasks() -> list[asyncio.Task[Any]]:
    """Tasks the client started that are still alive (its tasks are named fish-*)."""
    return [t for t in asyncio.all_tasks() if t.get_name().startswith("fish-") and not t.done()]


def quick_gate(limit: int = 5) -> AdmissionGate:
    """A gate whose back-off after a refusal is short (0.01 s doubling to 0.5 s), as the
    client's retry back-off is here."""
    return AdmissionGate(limit, limit_state=AdaptiveLimit(limit, pause_s=0.01, max_pause_s=0.5))


@pytest.fixture
async def client(fakefish: Any) -> AsyncIterator[FishClient]:
    async with FishClient(api_key=KEY, base_url=fakefish.base_url, timeout=5.0, max_retries=2,
                          retry_backoff=0.01, gate=quick_gate()) as fish:
        yield fish
    assert not fish_tasks()
