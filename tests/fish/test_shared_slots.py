"""The account's slots shared by several processes through PostgreSQL (bot/fish/admission/shared.py):
each gate here stands for one process (its own connection and advisory locks); one test kills a
real process holding slots."""

from __future__ import annotations

import asyncio
import signal
import sys
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.fish.admission import AdmissionGate, Slot
from bot.fish.admission.shared import SharedSlots
from tests.discord_harness import wait_for
from tests.storage.conftest import postgresql_url  # noqa: F401  (fixture, registered by import)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def gates(postgresql_url: str) -> AsyncIterator[list[AdmissionGate]]:  # noqa: F811
    made = [AdmissionGate(2, pool=SharedSlots(postgresql_url)) for _ in range(2)]
    for gate in made:
        await gate.start()
    try:
        yield made
    finally:
        for gate in made:
            await gate.close()


async def test_processes_share_the_accounts_slots(gates: list[AdmissionGate]) -> None:
    first, second = gates
    held = [await first.acquire(owner="a"), await first.acquire(owner="a")]
    waiting = asyncio.create_task(second.acquire(owner="b"))
    await wait_for(lambda: second.waiting == 1)
    await asyncio.sleep(0)
    assert not waiting.done()  # both of the account's slots are taken, in the other process
    held[0].release()
    slot = await waiting  # woken by the other process's NOTIFY
    assert second.in_use == 1 and first.in_use == 1
    slot.release()
    held[1].release()


async def test_a_process_with_its_share_leaves_a_freed_slot_to_another_that_waits(
    gates: list[AdmissionGate],
) -> None:
    busy, quiet = gates
    held = [await busy.acquire(owner="narration"), await busy.acquire(owner="narration")]
    backlog = [asyncio.create_task(busy.acquire(owner="narration")) for _ in range(3)]
    await wait_for(lambda: busy.waiting == 3)
    speak = asyncio.create_task(quiet.acquire(owner="speak"))
    await wait_for(lambda: quiet.waiting == 1)
    await wait_for(lambda: busy._pool._waiting_elsewhere() == 1)
    held[0].release()
    slot: Slot = await speak  # the busy process holds its share (1 of 2): the slot goes across
    assert busy.waiting == 3 and quiet.in_use == 1
    slot.release()
    held[1].release()
    for task in backlog:
        (await task).release()


async def test_a_refusal_seen_by_one_process_lowers_the_limit_of_all(gates: list[AdmissionGate]) -> None:
    first, second = gates
    slot = await first.acquire(owner="a")
    await slot.refused()
    assert first.limit == 1
    await wait_for(lambda: second.limit == 1)


async def test_slots_of_a_killed_process_are_free_within_seconds(
    gates: list[AdmissionGate], postgresql_url: str  # noqa: F811
) -> None:
    holder = textwrap.dedent(f"""
        import asyncio, sys
        from bot.fish.admission import AdmissionGate
        from bot.fish.admission.shared import SharedSlots

        async def main():
            gate = AdmissionGate(2, pool=SharedSlots({postgresql_url!r}))
            slots = [await gate.acquire(), await gate.acquire()]
            print("HELD", flush=True)
            await asyncio.Event().wait()

        asyncio.run(main())
    """)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", holder, cwd=ROOT, stdout=asyncio.subprocess.PIPE)
    try:
        assert process.stdout is not None
        assert (await asyncio.wait_for(process.stdout.readline(), 30)).strip() == b"HELD"
        survivor = gates[0]
        waiting = asyncio.create_task(survivor.acquire(owner="b"))
        await wait_for(lambda: survivor.waiting == 1)
        assert not waiting.done()
        process.send_signal(signal.SIGKILL)
        await process.wait()
        # PostgreSQL drops the dead connection's locks; the waiting process looks again each second.
        slot = await asyncio.wait_for(waiting, 10)
        second = await asyncio.wait_for(survivor.acquire(owner="b"), 10)
        assert survivor.in_use == 2
        slot.release()
        second.release()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_without_the_database_a_process_counts_its_own_slots() -> None:
    gate = AdmissionGate(2, pool=SharedSlots("postgresql+asyncpg://nobody:x@127.0.0.1:1/nothing"))
    try:
        slots = [await gate.acquire(), await gate.acquire()]
        third = asyncio.create_task(gate.acquire())
        await wait_for(lambda: gate.waiting == 1)
        slots[0].release()
        slots.append(await third)
        assert gate.in_use == 2
        for slot in slots[1:]:
            slot.release()
    finally:
        await gate.close()
