"""The process-wide line for ffmpeg work on members' files: a limit, a short queue served in
order, a clear "busy" when it is full, and a notice only for a long wait."""

from __future__ import annotations

import asyncio

import pytest

from bot.media import MediaBusy, jobs, probe
from bot.media import ffmpeg as media_ffmpeg
from bot.media.jobs import MediaJobs
from bot.wording import describe
from tests.discord_harness import wait_for
from tests.media_samples import MediaSamples


async def test_at_most_the_limit_run_and_the_rest_wait_in_order() -> None:
    gate = MediaJobs(limit=2, max_waiting=4, long_wait_s=60)
    release = asyncio.Event()
    running: list[int] = []
    started: list[int] = []
    most = 0

    async def job(number: int) -> None:
        nonlocal most
        async with gate.slot():
            started.append(number)
            running.append(number)
            most = max(most, len(running))
            await release.wait()
            running.remove(number)

    tasks = [asyncio.create_task(job(n)) for n in range(6)]
    await wait_for(lambda: gate.waiting == 4)
    assert started == [0, 1] and gate.running == 2
    with pytest.raises(MediaBusy) as caught:  # two running, four waiting: the line is full
        async with gate.slot():
            pass
    assert describe(caught.value) == ("I'm busy processing other members' audio right now. "
                                      "Try again in a minute.")
    release.set()
    await asyncio.gather(*tasks)
    assert started == [0, 1, 2, 3, 4, 5] and most == 2
    assert (gate.running, gate.waiting) == (0, 0)


async def test_only_a_long_wait_is_told_with_the_place_in_line() -> None:
    gate = MediaJobs(limit=1, max_waiting=4, long_wait_s=0)
    told: list[tuple[str, int]] = []

    def notice(who: str) -> jobs.Notice:
        async def tell(place: int) -> None:
            told.append((who, place))
        return tell

    async with gate.slot(notice("first")):  # a free slot: nothing to tell
        second = asyncio.create_task(_hold(gate, notice("second")))
        third = asyncio.create_task(_hold(gate, notice("third")))
        await wait_for(lambda: len(told) == 2)
    await asyncio.gather(second, third)
    assert told == [("second", 1), ("third", 2)]

    quiet = MediaJobs(limit=1, max_waiting=4, long_wait_s=60)
    async with quiet.slot(notice("first")):
        waiting = asyncio.create_task(_hold(quiet, notice("quick")))
        await wait_for(lambda: quiet.waiting == 1)
    await waiting
    assert told == [("second", 1), ("third", 2)]  # a short wait said nothing


async def _hold(gate: MediaJobs, notice: jobs.Notice | None = None) -> None:
    async with gate.slot(notice):
        pass


async def test_a_cancelled_waiter_leaves_the_line_and_errors_free_the_slot() -> None:
    gate = MediaJobs(limit=1, max_waiting=4, long_wait_s=60)
    async with gate.slot():
        gone = asyncio.create_task(_hold(gate))
        await wait_for(lambda: gate.waiting == 1)
        gone.cancel()
        with pytest.raises(asyncio.CancelledError):
            await gone
        assert gate.waiting == 0
    with pytest.raises(RuntimeError):
        async with gate.slot():
            raise RuntimeError("a failed job")
    assert (gate.running, gate.waiting) == (0, 0)


async def test_every_ffmpeg_process_takes_a_slot_and_a_job_holds_one_for_all_its_steps(
        media: MediaSamples, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jobs, "JOBS", MediaJobs(limit=2, max_waiting=10, long_wait_s=60))
    real_run = media_ffmpeg._run
    now = most = 0

    async def counted(args: list[str], **kwargs: object) -> media_ffmpeg.Completed:
        nonlocal now, most
        now += 1
        most = max(most, now)
        try:
            return await real_run(args, **kwargs)  # type: ignore[arg-type]
        finally:
            now -= 1

    monkeypatch.setattr(media_ffmpeg, "_run", counted)
    names = ["sine.mp3", "sine.wav", "sine.ogg", "sine.flac", "speech.wav", "sine.m4a"]
    infos = await asyncio.gather(*(probe(media.path(n), name=n) for n in names))
    assert all(info.duration_s > 1 for info in infos)
    assert most == 2  # six files at once, never more than two processes

    # One slot for a job's ffprobe and decode: with a limit of 1 it still runs (no second wait).
    monkeypatch.setattr(jobs, "JOBS", MediaJobs(limit=1, max_waiting=0, long_wait_s=60))
    async with jobs.slot():
        info = await probe(media.path("sine.mp3"), name="sine.mp3")
    assert info.duration_s == pytest.approx(8, abs=0.15)
