"""The admission gate on its own (bot/fish/admission): the fair line, waiting, cancellation, the
adaptive limit on a pinned clock, and its metrics. Through the client and the stand-in:
tests/fish/test_account_concurrency.py; through the bot: tests/speech/test_account_limit.py."""

from __future__ import annotations

import asyncio
from collections.abc import Hashable

import pytest

from bot.fish.admission import AdaptiveLimit, AdmissionGate, FairLine, Slot, requested_by
from bot.fish.admission.gate import current_requester, owner_of
from bot.metrics import REGISTRY


class Clock:
    """A pinned monotonic clock: moves only when the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def settle() -> None:
    """Let the gate's dispatcher run (it is a task on this loop; no I/O with local slots)."""
    for _ in range(5):
        await asyncio.sleep(0)


async def queue_up(gate: AdmissionGate, requests: list[tuple[Hashable, str]],
                   order: list[str]) -> list[asyncio.Task[Slot]]:
    """Start one waiter per (owner, name), in that order; each records its name when admitted."""

    async def wait(owner: Hashable, name: str) -> Slot:
        slot = await gate.acquire(owner=owner)
        order.append(name)
        return slot

    tasks = []
    for owner, name in requests:
        tasks.append(asyncio.create_task(wait(owner, name)))
        await settle()
    return tasks


# --- the line ---------------------------------------------------------------------------------


def test_the_line_is_first_come_first_served_with_owners_taking_turns() -> None:
    line: FairLine[str] = FairLine()
    for owner, item in [("a", "a1"), ("a", "a2"), ("a", "a3"), ("b", "b1"), ("c", "c1"), ("b", "b2")]:
        line.push(item, owner)
    assert [line.position(x) for x in ("a1", "b1", "c1", "a2", "b2", "a3")] == [1, 2, 3, 4, 5, 6]
    line.push("put back", "c", front=True)
    assert line.position("put back") == 1 and line.position("a1") == 2
    assert [line.pop() for _ in range(len(line))] == ["put back", "a1", "b1", "c1", "a2", "b2", "a3"]
    assert not line


def test_an_item_can_leave_the_line() -> None:
    line: FairLine[str] = FairLine()
    for owner, item in [("a", "a1"), ("b", "b1"), ("a", "a2")]:
        line.push(item, owner)
    line.push("front", "b", front=True)
    assert line.remove("b1") and line.remove("front") and not line.remove("b1")
    assert line.position("a2") == 2 and len(line) == 2
    assert [line.pop(), line.pop()] == ["a1", "a2"]


# --- admission --------------------------------------------------------------------------------


async def test_servers_take_turns_and_each_server_is_served_in_order() -> None:
    gate = AdmissionGate(1)
    first = await gate.acquire(owner="narrating server")
    order: list[str] = []
    # One server's narration backlog arrives first; two other servers' /speak after it.
    requests = [("narrating server", "n1"), ("narrating server", "n2"), ("narrating server", "n3"),
                ("server b", "b1"), ("server c", "c1"), ("server b", "b2")]
    tasks = dict(zip([name for _, name in requests], await queue_up(gate, requests, order), strict=True))
    assert gate.waiting == 6 and gate.in_use == 1
    slot = first
    for _ in range(6):
        slot.release()
        await settle()
        slot = tasks[order[-1]].result()
    assert order == ["n1", "b1", "c1", "n2", "b2", "n3"]
    slot.release()
    assert gate.in_use == 0 and gate.waiting == 0
    await gate.close()


async def test_the_owner_comes_from_the_requesting_context() -> None:
    assert current_requester().owner == "bot"  # the bot's own requests
    with requested_by(42, 7) as server:
        assert current_requester() is server and server.owner == owner_of(42) == "guild:42"
    with requested_by(None, 7) as dm:
        assert dm.owner == "dm:7"  # a member's DMs are an owner of their own
    gate = AdmissionGate(1)
    with requested_by(42, 7):
        slot = await gate.acquire()
    assert slot.owner == "guild:42"
    slot.release()
    await gate.close()


async def test_a_waiter_that_gives_up_leaves_the_line_and_keeps_nothing() -> None:
    gate = AdmissionGate(1)
    held = await gate.acquire(owner="a")
    order: list[str] = []
    quitter, stayer = await queue_up(gate, [("b", "quits"), ("c", "stays")], order)
    quitter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await quitter
    assert gate.waiting == 1
    held.release()
    slot = await stayer
    assert order == ["stays"] and gate.in_use == 1
    slot.release()
    assert gate.in_use == 0
    await gate.close()


async def test_a_waiter_cancelled_as_it_is_admitted_gives_the_slot_back() -> None:
    gate = AdmissionGate(1)
    held = await gate.acquire(owner="a")
    [waiter] = await queue_up(gate, [("b", "b")], [])
    held.release()  # the dispatcher hands the slot to the waiter...
    waiter.cancel()  # ...and the waiter is cancelled before it runs again
    await asyncio.wait({waiter})
    await settle()
    assert gate.in_use == 0 and gate.waiting == 0
    async with gate.admit(owner="c") as slot:  # the slot is free for the next one
        assert gate.in_use == 1 and not slot.released
    assert gate.in_use == 0
    await gate.close()


async def test_a_slot_is_given_back_whatever_ends_the_block() -> None:
    gate = AdmissionGate(2)
    with pytest.raises(RuntimeError):
        async with gate.admit(owner="a"):
            raise RuntimeError("the request failed")
    started = asyncio.Event()

    async def streaming() -> None:
        async with gate.admit(owner="b"):
            started.set()
            await asyncio.Event().wait()

    task = asyncio.create_task(streaming())
    await started.wait()
    assert gate.in_use == 1
    task.cancel()
    await asyncio.wait({task})
    assert gate.in_use == 0
    await gate.close()


async def test_a_long_wait_is_told_with_the_place_in_line() -> None:
    gate = AdmissionGate(1, long_wait_s=0.0)
    held = await gate.acquire(owner="a")
    places: dict[str, int] = {}
    told = asyncio.Event()

    async def wait(owner: str) -> Slot:
        async def tell(place: int) -> None:
            places[owner] = place
            if len(places) == 2:
                told.set()

        return await gate.acquire(owner=owner, on_long_wait=tell)

    second = asyncio.create_task(wait("b"))
    await settle()
    third = asyncio.create_task(wait("c"))
    await told.wait()
    assert places == {"b": 1, "c": 2}
    held.release()
    (await second).release()
    (await third).release()
    await gate.close()


# --- the adaptive limit -----------------------------------------------------------------------


def test_a_refusal_cuts_the_limit_below_what_was_in_flight_and_it_recovers_step_by_step() -> None:
    clock = Clock()
    limit = AdaptiveLimit(5, clock=clock, hold_s=30, step_s=10)
    assert limit.value == 5 and limit.paused_for() == 0
    # Five in flight, Fish allows two: three refusals come back as the others are still open.
    assert [limit.refused(n) for n in (5, 4, 3)] == [4, 3, 2]
    assert limit.paused_for() > 0
    clock.now += 29.9
    assert limit.value == 2 and limit.paused_for() == 0
    assert limit.next_change_in() == pytest.approx(0.1)
    clock.now += 0.1
    assert limit.value == 3
    clock.now += 10
    assert limit.value == 4
    clock.now += 10
    assert limit.value == 5 and limit.next_change_in() is None
    # A refusal with one request in flight (another program holds the rest): the floor is one.
    assert limit.refused(1) == 1


def test_refusals_in_a_row_pause_longer_and_an_accepted_request_resets_the_pause() -> None:
    clock = Clock()
    limit = AdaptiveLimit(5, clock=clock, pause_s=0.25, max_pause_s=1.0)
    pauses = []
    for _ in range(4):
        limit.refused(1)
        pauses.append(limit.paused_for())
        clock.now += 0.1
        limit.refused(1)  # the same burst: no longer
        clock.now += 5
    assert pauses == [0.25, 0.5, 1.0, 1.0]
    limit.admitted()
    limit.refused(1, retry_after=0.75)  # Fish's hint, when it sends one, within the cap
    assert limit.paused_for() == 0.75


async def test_a_refused_request_goes_back_in_line_first_and_admissions_pause() -> None:
    clock = Clock()
    gate = AdmissionGate(3, limit_state=AdaptiveLimit(3, clock=clock, pause_s=0.5), clock=clock)
    refused, b, c = [await gate.acquire(owner=owner) for owner in ("a", "b", "c")]
    order: list[str] = []
    [waiting] = await queue_up(gate, [("d", "d")], order)
    await refused.refused()  # Fish refused "a" with three in flight
    assert gate.limit == 2 and gate.in_use == 2 and gate.refusals == 1

    async def again() -> Slot:
        slot = await gate.acquire(owner="a", front=True)
        order.append("a again")
        return slot

    back = asyncio.create_task(again())
    b.release()
    await settle()
    assert order == [] and gate.waiting == 2  # a slot is free, but admissions are paused
    clock.now += 0.5
    gate.wake()
    await settle()
    assert order == ["a again"] and gate.in_use == 2  # ahead of "d", who came earlier
    (await back).release()
    c.release()
    (await waiting).release()
    assert order == ["a again", "d"]
    await gate.close()


# --- metrics ----------------------------------------------------------------------------------


def sample(name: str) -> float:
    value = REGISTRY.get_sample_value(name)
    assert value is not None, name
    return value


async def test_metrics_show_slots_in_use_waiting_the_limit_and_the_wait() -> None:
    waits_before = sample("fishbot_fish_slot_wait_seconds_count")
    refusals_before = sample("fishbot_fish_slot_refusals_total")
    clock = Clock()
    gate = AdmissionGate(1, limit_state=AdaptiveLimit(1, clock=clock), clock=clock)
    others = [g for g in gc_gates() if g is not gate]
    held = await gate.acquire(owner="a")
    [waiting] = await queue_up(gate, [("b", "b")], [])
    assert sample("fishbot_fish_slots_in_use") == 1 + sum(g.in_use for g in others)
    assert sample("fishbot_fish_slots_waiting") == 1 + sum(g.waiting for g in others)
    await held.refused()
    assert sample("fishbot_fish_slots_limit") == 1
    assert sample("fishbot_fish_slot_refusals_total") == refusals_before + 1
    clock.now += 1  # past the pause after the refusal
    gate.wake()
    (await waiting).release()
    assert sample("fishbot_fish_slot_wait_seconds_count") == waits_before + 2
    await gate.close()


def gc_gates() -> list[AdmissionGate]:
    from bot.metrics import LIVE

    return list(LIVE.gates)
