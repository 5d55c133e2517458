"""The account's concurrency limit on the wire: the stand-in enforces it as Fish does (429 beyond N
slot-holding requests, the in-band error on live sockets), and the client's admission gate keeps
every slot-holding request under it, or puts refused ones back in line."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import ormsgpack
import pytest

from bot.fish import FishClient
from tests.discord_harness import wait_for
from tests.fakefish import FakeFish
from tests.helpers.audio import wav_bytes

from .conftest import KEY, quick_gate

TEXT = "Fifteen servers asked for this sentence at the same moment."
AUTH = {"Authorization": f"Bearer {KEY}"}


@pytest.fixture
async def limited() -> AsyncIterator[FakeFish]:
    async with FakeFish(api_key=KEY, max_concurrency=2) as fake:
        yield fake


async def open_tts(http: httpx.AsyncClient, fake: FakeFish) -> httpx.Response:
    request = http.build_request(
        "POST", fake.base_url + "/v1/tts", headers={**AUTH, "content-type": "application/msgpack"},
        content=ormsgpack.packb({"text": TEXT, "format": "mp3"}),
    )
    return await http.send(request, stream=True)


async def test_the_stand_in_answers_429_beyond_the_accounts_limit(limited: FakeFish) -> None:
    limited.fail("tts", stall_after_bytes=10, times=2)  # two streams that stay open
    async with httpx.AsyncClient() as http:
        held = [await open_tts(http, limited) for _ in range(2)]
        assert [r.status_code for r in held] == [200, 200]
        await wait_for(lambda: limited.in_flight == 2)
        refused = await open_tts(http, limited)
        assert refused.status_code == 429 and "retry-after" not in refused.headers
        assert (await refused.aread()) and refused.json() == {
            "status": 429, "message": "Concurrency limit exceeded"}
        asr = await http.post(limited.base_url + "/v1/asr",
                              headers={**AUTH, "content-type": "application/msgpack"},
                              content=ormsgpack.packb({"audio": wav_bytes(1.0)}))
        assert asr.status_code == 429  # every slot-holding endpoint counts
        listing = await http.get(limited.base_url + "/model", headers=AUTH)
        assert listing.status_code == 200  # reading the library holds no slot
        await held[0].aclose()
        await wait_for(lambda: limited.in_flight == 1)
        served = await open_tts(http, limited)
        assert served.status_code == 200
        await served.aread()
        await held[1].aclose()
    assert limited.concurrency_refusals == 2 and limited.peak_in_flight == 2


async def test_the_stand_in_refuses_a_live_session_in_band(limited: FakeFish) -> None:
    limited.max_concurrency = 1
    limited.fail("tts", stall_after_bytes=10)
    async with FishClient(api_key=KEY, base_url=limited.base_url, gate=quick_gate(limit=5)) as fish:
        stream = await fish.tts.stream(text=TEXT)  # holds the account's only slot
        session = fish.tts.live()
        await session.connect()
        await wait_for(lambda: limited.concurrency_refusals >= 1)
        refused = limited.requests_for("tts_live")[0]
        assert refused.sent_events[0] == {"event": "error", "error": "Concurrency limit exceeded",
                                          "max_concurrency": 1}
        # The client takes the in-band error as a refusal: the session goes back in line, and is
        # served once the stream is closed.
        await stream.aclose()
        session.send_text(TEXT)
        session.stop()
        audio = [chunk async for chunk in session.audio()]
        await session.aclose()
    assert audio and fish.gate.refusals >= 1


async def test_fifteen_requests_under_a_limit_of_five_get_no_429(fakefish: FakeFish) -> None:
    fakefish.max_concurrency = 5
    fakefish.rtf = 0.05  # streams last long enough to overlap
    async with FishClient(api_key=KEY, base_url=fakefish.base_url, gate=quick_gate(limit=5)) as fish:
        audio = await asyncio.gather(*(fish.tts.convert(text=f"{TEXT} {n}") for n in range(15)))
        assert fish.gate.refusals == 0 and fish.gate.in_use == 0
    assert all(audio)
    assert fakefish.concurrency_refusals == 0
    assert [r.status for r in fakefish.requests_for("tts")] == [200] * 15
    assert fakefish.peak_in_flight == 5


async def test_a_lower_real_limit_puts_refused_requests_back_in_line(fakefish: FakeFish) -> None:
    fakefish.max_concurrency = 2  # the account's tier is lower than configured
    fakefish.rtf = 0.05
    async with FishClient(api_key=KEY, base_url=fakefish.base_url, gate=quick_gate(limit=5)) as fish:
        audio = await asyncio.gather(*(fish.tts.convert(text=f"{TEXT} {n}") for n in range(8)))
        assert fish.gate.refusals == fakefish.concurrency_refusals > 0
        assert fish.gate.limit <= 2  # cut to what Fish let through
    assert all(audio) and len([r for r in fakefish.requests_for("tts") if r.status == 200]) == 8


async def held_stream(fish: FishClient) -> Any:
    return await fish.tts.stream(text=TEXT)


CALLS: dict[str, tuple[str, Callable[[FishClient], Awaitable[Any]]]] = {
    "transcription": ("asr", lambda fish: fish.asr.transcribe(audio=wav_bytes(1.0))),
    "voice design": ("voice_design", lambda fish: fish.voice_design.create("A calm narrator", n=1)),
    "cloning upload": ("model_create",
                       lambda fish: fish.voices.create(title="Mine", voices=[wav_bytes(1.0)])),
    "TTS stream": ("tts", held_stream),
}


@pytest.mark.parametrize("call", list(CALLS))
async def test_every_slot_holding_request_waits_for_a_slot(fakefish: FakeFish, call: str) -> None:
    endpoint, request = CALLS[call]
    fakefish.fail("tts", stall_after_bytes=10)  # the first stream holds the only slot
    async with FishClient(api_key=KEY, base_url=fakefish.base_url, gate=quick_gate(limit=1)) as fish:
        first = await fish.tts.stream(text=TEXT)
        waiting = asyncio.create_task(request(fish))
        await wait_for(lambda: fish.gate.waiting == 1)
        assert len(fakefish.requests_for(endpoint)) == (1 if endpoint == "tts" else 0)
        await first.aclose()
        result = await waiting
        if endpoint == "tts":
            await result.aclose()
        assert fish.gate.in_use == 0
    assert fakefish.requests_for(endpoint)[-1].status in (200, 201)


async def test_time_in_line_is_not_fishs_silence(fakefish: FakeFish) -> None:
    """`start(answer_timeout=…)` times Fish's answer from the admission, not from the request."""
    fakefish.fail("tts", stall_after_bytes=10)
    async with FishClient(api_key=KEY, base_url=fakefish.base_url, gate=quick_gate(limit=1)) as fish:
        first = await fish.tts.stream(text=TEXT)
        second = fish.tts.stream(text=TEXT)
        admitted = asyncio.create_task(second.admit())
        await wait_for(lambda: fish.gate.waiting == 1)
        await asyncio.sleep(0.3)  # longer in line than the answer may take: what is tested
        await first.aclose()
        await admitted
        async with await second.start(answer_timeout=0.2):
            assert [chunk async for chunk in second]
        fakefish.fail("tts", delay=5)  # admitted at once, then Fish says nothing
        silent = fish.tts.stream(text=TEXT)
        with pytest.raises(TimeoutError):
            await silent.start(answer_timeout=0.2)
        assert fish.gate.in_use == 0
