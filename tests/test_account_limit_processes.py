"""Two real bot processes on one PostgreSQL database share the account's Fish slots (issue 25): with
a limit of 2, four servers at once get no 429 and are all heard; a process killed with SIGKILL
frees its slots within seconds. Each process is `fishbot run` with only Discord replaced
(tests/account_limit_child.py); the Fish stand-in runs here and counts for the account."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.discord_harness import wait_for
from tests.fakefish import FakeFish
from tests.startup_standins import child_env
from tests.storage.conftest import (  # noqa: F401  (fixtures, registered by import)
    migrated_postgresql_url,
    postgresql_migrated_database,
)

LONG = "This clip is long enough to hold its slot until the process holding it is killed. " * 4


class Child:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    async def line(self, timeout: float = 60) -> str:
        assert self.process.stdout is not None
        line = await asyncio.wait_for(self.process.stdout.readline(), timeout)
        assert line, "the bot process ended"
        return line.decode().strip()

    async def until(self, prefix: str, timeout: float = 60) -> str:
        """The next line starting with `prefix` (others, e.g. WAITING, are skipped)."""
        async with asyncio.timeout(timeout):
            while not (line := await self.line()).startswith(prefix):
                pass
        return line

    def go(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(b"GO\n")

    async def close(self) -> None:
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), 10)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()


@pytest.fixture
async def fish() -> AsyncIterator[FakeFish]:
    async with FakeFish(api_key="test-key", max_concurrency=2, rtf=0.2) as fake:
        yield fake


async def start(tmp_path: Path, fish: FakeFish, database_url: str, servers: int, name: str,
                **env: str) -> Child:
    cwd = tmp_path / name
    cwd.mkdir()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.account_limit_child", cwd=cwd,
        env=child_env(DISCORD_TOKEN="test-discord-token", FISH_API_KEY="test-key",
                      FISH_BASE_URL=fish.base_url, DATABASE_URL=database_url,
                      FISHBOT_FISH__MAX_CONCURRENCY="2", GATE_SERVERS=str(servers), **env),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )
    child = Child(process)
    try:
        assert await child.line() == "READY"
    except BaseException:
        await child.close()
        raise
    return child


@pytest.fixture
async def children() -> AsyncIterator[list[Child]]:
    made: list[Child] = []
    yield made
    for child in made:
        await child.close()


async def test_two_processes_with_a_limit_of_two_serve_four_servers_without_a_429(
    fish: FakeFish, tmp_path: Path, migrated_postgresql_url: str, children: list[Child],  # noqa: F811
) -> None:
    children += [await start(tmp_path, fish, migrated_postgresql_url, 2, name) for name in ("a", "b")]
    for child in children:
        child.go()
    assert [await child.until("HEARD") for child in children] == ["HEARD 2", "HEARD 2"]
    assert fish.concurrency_refusals == 0
    assert [r.status for r in fish.requests_for("tts")] == [200] * 4
    assert fish.peak_in_flight == 2


async def test_a_killed_process_frees_its_slots_within_seconds(
    fish: FakeFish, tmp_path: Path, migrated_postgresql_url: str, children: list[Child],  # noqa: F811
) -> None:
    fish.rtf = 1.0  # real time: the long clips hold both slots
    doomed = await start(tmp_path, fish, migrated_postgresql_url, 2, "doomed", GATE_TEXT=LONG)
    survivor = await start(tmp_path, fish, migrated_postgresql_url, 1, "survivor")
    children += [doomed, survivor]
    doomed.go()
    # Both clips streaming (the stand-in renders a clip before its first byte, and notices a client
    # that went away only when it writes).
    await wait_for(lambda: fish.in_flight == 2 and all(r.first_byte_at for r in fish.requests_for("tts")),
                   timeout=30)
    survivor.go()
    assert await survivor.line() == "WAITING"  # in its own line: nothing reached Fish
    assert len(fish.requests_for("tts")) == 2
    doomed.process.send_signal(signal.SIGKILL)
    await doomed.process.wait()
    # PostgreSQL drops the dead process's locks with its connection; the survivor looks again
    # every second: its clip is heard within seconds, without a 429.
    assert await survivor.until("HEARD", timeout=15) == "HEARD 1"
    assert fish.concurrency_refusals == 0


