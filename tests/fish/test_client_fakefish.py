"""Acceptance tests: every client call against the Fish Audio stand-in (tests/fakefish),
each with at least one error case and the user-facing sentence it produces."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest

from bot.fish import (
    AuthenticationError,
    FishClient,
    FishNetworkError,
    FishStreamError,
    FishTimeoutError,
    FlushEvent,
    InsufficientCreditError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    TextEvent,
    ValidationError,
    WebSocketError,
)
from bot.fish.admission import MAX_REFUSALS
from bot.wording import user_message
from tests.fakefish import conforms_to_sdk
from tests.helpers.audio import wav_bytes

from .conftest import KEY, fish_tasks

TEXT = "Hello there, this is a streaming test of the fish client."
CREDIT_GONE = "The bot's Fish Audio API credit has run out. Please tell the bot owner."
BAD_KEY = "The bot's Fish Audio API key is invalid. Please tell the bot owner."
NOT_FOUND = "That voice or model was not found on Fish Audio."
TROUBLE = "Fish Audio had an error on its side (HTTP 500). Try again later."
BUSY = "Fish Audio is busy (overloaded) right now. Try again in a few seconds."
LIVE_BROKE = "The live connection to Fish Audio broke off. Try again."


# --- tts.stream / tts.convert -----------------------------------------------------------------


async def test_stream_yields_first_chunk_before_the_server_finishes(
    client: FishClient, fakefish: Any
) -> None:
    fakefish.rtf = 0.3
    stream = await client.tts.stream(text=TEXT, format="opus")
    async with stream:
        first = await anext(stream)
        first_at = time.perf_counter()
        rest = [chunk async for chunk in stream]
    record = fakefish.requests_for("tts")[-1]
    assert record.finished_at is not None and len(record.chunk_times) > 2
    assert first_at < record.chunk_times[-1] <= record.finished_at
    assert first + b"".join(rest) == record.audio and first.startswith(b"OggS")


async def test_stream_request_body_and_headers(client: FishClient, fakefish: Any) -> None:
    await client.tts.convert(text="Hi there", format="opus", speed=1.5, model="s2.1-pro-free")
    record = fakefish.requests_for("tts")[-1]
    assert record.headers["content-type"] == "application/msgpack"
    assert record.headers["model"] == "s2.1-pro-free" and record.model == "s2.1-pro-free"
    assert record.headers["user-agent"].startswith("fishbot/")
    assert record.auth == "valid"
    body = record.body
    assert body["text"] == "Hi there" and body["format"] == "opus"
    assert body["opus_bitrate"] == -1000 and body["latency"] == "balanced"
    assert body["prosody"] == {"speed": 1.5, "volume": 0.0}
    assert "sample_rate" not in body and "reference_id" not in body


async def test_convert_returns_all_audio(client: FishClient, fakefish: Any) -> None:
    audio = await client.tts.convert(text=TEXT, format="wav")
    assert audio == fakefish.last_audio() and audio.startswith(b"RIFF")


async def test_error_status_is_raised_by_await_with_body_message(client: FishClient, fakefish: Any) -> None:
    fakefish.credit = 0
    with pytest.raises(InsufficientCreditError) as info:
        await client.tts.stream(text=TEXT)
    assert "Insufficient API credit" in info.value.message
    assert user_message(info.value) == CREDIT_GONE
    assert len(fakefish.requests_for("tts")) == 1  # 402 is not retried


async def test_unknown_voice_is_not_found(client: FishClient, fakefish: Any) -> None:
    with pytest.raises(NotFoundError) as info:  # the API's 400 "Reference not found" (§0)
        await client.tts.convert(text=TEXT, reference_id="0" * 32)
    assert info.value.status == 400
    assert user_message(info.value) == (
        "That voice was not found on Fish Audio any more (it was deleted or made private)."
    )


async def test_422_carries_detail(client: FishClient, fakefish: Any) -> None:
    detail = [{"type": "string_too_long", "loc": ["body", "text"], "msg": "Text is too long", "input": "…"}]
    fakefish.fail("tts", status=422, body={"detail": detail})
    with pytest.raises(ValidationError) as info:
        await client.tts.convert(text=TEXT)
    assert info.value.detail == detail
    assert user_message(info.value) == "Fish Audio rejected the request: Text is too long"


async def test_429_is_retried_honouring_retry_after(client: FishClient, fakefish: Any) -> None:
    fakefish.fail("tts", status=429, retry_after=0.4, times=1)
    audio = await client.tts.convert(text=TEXT)
    first, second = fakefish.requests_for("tts")
    assert (first.status, second.status) == (429, 200)
    assert second.received_at - first.received_at >= 0.4
    assert audio == second.audio


async def test_a_429_puts_the_request_back_in_line_until_fish_takes_it(
    client: FishClient, fakefish: Any
) -> None:
    # More refusals than the client's retries: a 429 is the account's concurrency, not a failure.
    fakefish.fail("tts", status=429, retry_after=0.05, times=5)
    audio = await client.tts.convert(text=TEXT)
    assert [r.status for r in fakefish.requests_for("tts")] == [429] * 5 + [200]
    assert audio == fakefish.last_audio()
    assert client.gate.refusals == 5
    assert client.gate.limit == 1  # cut below the one request in flight when Fish refused
    assert client.gate.in_use == 0


async def test_a_request_fish_keeps_refusing_fails_after_max_refusals(
    client: FishClient, fakefish: Any
) -> None:
    fakefish.fail("tts", status=429, retry_after=0, times=MAX_REFUSALS + 1)
    with pytest.raises(RateLimitError) as info:
        await client.tts.stream(text=TEXT)
    assert len(fakefish.requests_for("tts")) == MAX_REFUSALS + 1
    assert user_message(info.value).startswith("Fish Audio is busy right now.")
    assert client.gate.in_use == 0


async def test_5xx_at_start_is_retried_for_tts(client: FishClient, fakefish: Any) -> None:
    fakefish.fail("tts", status=503, times=1)
    assert await client.tts.convert(text=TEXT)
    assert [r.status for r in fakefish.requests_for("tts")] == [503, 200]


async def test_cancelling_a_stream_disconnects_at_once(client: FishClient, fakefish: Any) -> None:
    fakefish.rtf = 1.0
    got_one = asyncio.Event()

    async def consume() -> None:
        async for _ in await client.tts.stream(text=TEXT * 3):
            got_one.set()

    task = asyncio.create_task(consume())
    await got_one.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await fakefish.wait_disconnect("tts", timeout=2)
    assert fakefish.requests_for("tts")[-1].finished_at is None


async def test_aclose_after_break_disconnects(client: FishClient, fakefish: Any) -> None:
    fakefish.rtf = 1.0
    stream = await client.tts.stream(text=TEXT * 3)
    async for _ in stream:
        break
    await stream.aclose()
    assert await fakefish.wait_disconnect("tts", timeout=2)


async def test_aclose_from_another_task_ends_iteration(client: FishClient, fakefish: Any) -> None:
    fakefish.rtf = 1.0  # e.g. a skip command closing the stream the player task is reading
    stream = await client.tts.stream(text=TEXT * 3)
    got_one = asyncio.Event()

    async def consume() -> int:
        count = 0
        async for _ in stream:
            count += 1
            got_one.set()
        return count

    task = asyncio.create_task(consume())
    await got_one.wait()
    await stream.aclose()
    assert await task >= 1  # ends quietly: no error for a close we asked for
    assert await fakefish.wait_disconnect("tts", timeout=2)


async def test_stall_raises_timeout(fakefish: Any) -> None:
    fakefish.fail("tts", stall_after_bytes=300)
    async with FishClient(api_key=KEY, base_url=fakefish.base_url, timeout=0.5) as client:
        stream = await client.tts.stream(text=TEXT)
        with pytest.raises(FishTimeoutError) as info:
            await stream.collect()
    assert user_message(info.value) == "Timed out waiting for Fish Audio. Try again in a moment."
    assert await fakefish.wait_disconnect("tts", timeout=2)


async def test_mid_stream_drop_raises_network_error(client: FishClient, fakefish: Any) -> None:
    fakefish.fail("tts", disconnect_after_bytes=700)
    stream = await client.tts.stream(text=TEXT)
    received = b""
    with pytest.raises(FishNetworkError) as info:
        async for chunk in stream:
            received += chunk
    assert 0 < len(received) <= 700 and fakefish.requests_for("tts")[-1].dropped
    assert len(fakefish.requests_for("tts")) == 1  # audio was delivered: never retried
    assert isinstance(info.value, FishStreamError)
    assert user_message(info.value) == "Fish Audio stopped sending part-way through its answer. Try again."


async def test_wrong_key_is_authentication_error(fakefish: Any) -> None:
    async with FishClient(api_key="wrong-key-123", base_url=fakefish.base_url) as client:
        with pytest.raises(AuthenticationError) as info:
            await client.tts.stream(text=TEXT)
    assert "wrong-key-123" not in str(info.value)
    assert user_message(info.value) == BAD_KEY


# --- tts.stream_websocket / tts.live ------------------------------------------------------------


async def texts(*items: str | TextEvent | FlushEvent) -> AsyncIterator[str | TextEvent | FlushEvent]:
    for item in items:
        yield item


async def test_websocket_happy_path(client: FishClient, fakefish: Any) -> None:
    source = texts("Hello ", TextEvent(text="live world."), FlushEvent(), "And more.")
    audio = [c async for c in client.tts.stream_websocket(source, format="pcm", model="s1")]
    record = fakefish.requests_for("tts_live")[-1]
    assert b"".join(audio) == record.audio and len(audio) > 1
    assert record.headers["model"] == "s1" and record.auth == "valid"
    assert [e["event"] for e in record.events] == ["start", "text", "text", "flush", "text", "stop"]
    start = record.events[0]["request"]
    assert start["text"] == "" and start["format"] == "pcm" and start["opus_bitrate"] == -1000
    assert record.sent_events[-1] == {"event": "finish", "reason": "stop"}


async def test_text_source_error_propagates_promptly(client: FishClient, fakefish: Any) -> None:
    fakefish.rtf = 1.0

    async def broken() -> AsyncIterator[str]:
        yield "Hello there, this sentence gets synthesised."
        yield FlushEvent()  # type: ignore[misc]
        raise ValueError("the text source broke")

    async with asyncio.timeout(5):  # a hang guard, not a latency threshold
        with pytest.raises(ValueError, match="text source broke"):
            async for _ in client.tts.stream_websocket(broken()):
                pass
    assert await fakefish.wait_disconnect("tts_live", timeout=2)
    assert "stop" not in [e["event"] for e in fakefish.requests_for("tts_live")[-1].events]


async def test_early_break_closes_cleanly(client: FishClient, fakefish: Any) -> None:
    fakefish.rtf = 1.0
    never = asyncio.Event()

    async def endless() -> AsyncIterator[str | FlushEvent]:
        yield TEXT
        yield FlushEvent()
        await never.wait()
        yield "unreachable"

    stream = client.tts.stream_websocket(endless())
    async for _ in stream:
        break
    await stream.aclose()  # type: ignore[attr-defined]
    assert await fakefish.wait_disconnect("tts_live", timeout=2)
    assert not fish_tasks()


async def test_cancelling_the_consumer_closes_the_socket(client: FishClient, fakefish: Any) -> None:
    fakefish.rtf = 1.0
    got_one = asyncio.Event()

    async def consume() -> None:
        async for _ in client.tts.stream_websocket(texts(TEXT, FlushEvent(), TEXT)):
            got_one.set()

    task = asyncio.create_task(consume())
    await got_one.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await fakefish.wait_disconnect("tts_live", timeout=2)
    assert not fish_tasks()


async def test_finish_error_is_one_plain_websocket_error(client: FishClient, fakefish: Any) -> None:
    fakefish.fail("tts_live", ws_error=True)
    with pytest.raises(WebSocketError) as info:  # an ExceptionGroup would not match
        async for _ in client.tts.stream_websocket(texts(TEXT)):
            pass
    assert type(info.value) is WebSocketError
    assert user_message(info.value) == LIVE_BROKE


async def test_unexpected_disconnect_is_websocket_error(client: FishClient, fakefish: Any) -> None:
    fakefish.fail("tts_live", disconnect_after_bytes=500)
    with pytest.raises(WebSocketError):
        async for _ in client.tts.stream_websocket(texts(TEXT), format="pcm"):
            pass


async def test_live_stall_after_stop_raises_timeout(fakefish: Any) -> None:
    fakefish.fail("tts_live", stall_after_bytes=300)
    async with FishClient(api_key=KEY, base_url=fakefish.base_url, timeout=0.5) as client:
        with pytest.raises(FishTimeoutError):
            async for _ in client.tts.stream_websocket(texts(TEXT), format="pcm"):
                pass
    assert not fish_tasks()


async def test_rejected_upgrade_raises_mapped_http_error(client: FishClient, fakefish: Any) -> None:
    fakefish.credit = 0
    with pytest.raises(InsufficientCreditError) as info:
        async for _ in client.tts.stream_websocket(texts(TEXT)):
            pass
    assert user_message(info.value) == CREDIT_GONE
    async with FishClient(api_key="wrong-key-123", base_url=fakefish.base_url) as bad:
        with pytest.raises(AuthenticationError):
            async with bad.tts.live():
                pass


async def test_live_session_flush_by_flush(client: FishClient, fakefish: Any) -> None:
    async with client.tts.live(format="pcm") as session:
        session.send_text("First message.")
        session.flush()
        first = [c async for c in session.audio(idle_timeout=0.5)]
        session.send_text("Second message.")
        session.stop()
        second = [c async for c in session.audio()]
        assert session.finished
        with pytest.raises(WebSocketError):
            session.send_text("too late")
    record = fakefish.requests_for("tts_live")[-1]
    assert first and second and b"".join(first + second) == record.audio
    assert [e["event"] for e in record.events] == ["start", "text", "flush", "text", "stop"]


async def test_live_session_exit_without_reading_closes(client: FishClient, fakefish: Any) -> None:
    fakefish.rtf = 1.0
    async with client.tts.live() as session:
        session.send_text(TEXT)
        session.flush()
        async for _ in session.audio():
            break
    assert await fakefish.wait_disconnect("tts_live", timeout=2)


# --- voices ---------------------------------------------------------------------------------


async def test_list_keeps_the_page_when_an_item_is_malformed(
    client: FishClient, fakefish: Any, caplog: pytest.LogCaptureFixture
) -> None:
    broken = fakefish.add_voice("Broken Voice", state="exploded")
    with caplog.at_level(logging.WARNING, logger="bot.fish"):
        page = await client.voices.list(self_only=True, page_size=20)
    own = [v for v in fakefish.voices.values() if v["author"]["_id"] == fakefish.user_id]
    assert page.total == len(own) == len(page.items) + 1
    assert broken["_id"] not in {v.id for v in page.items}
    assert broken["_id"] in caplog.text
    record = fakefish.requests_for("model_list")[-1]
    assert record.query == {"page_size": ["20"], "page_number": ["1"], "self": ["true"],
                            "sort_by": ["task_count"]}


async def test_list_parses_voices_the_sdk_rejects(client: FishClient, fakefish: Any) -> None:
    page = await client.voices.list(page_size=100)
    raw = {v["_id"]: v for v in fakefish.voices.values()}
    assert page.items and len(page.items) == page.total
    assert any(not conforms_to_sdk(raw[v.id]) for v in page.items)
    assert {v.train_mode for v in page.items} == {"fast", "full"}
    assert page.has_more is False and page.max_offset is not None
    await client.voices.list(tags=["narration"], language=["en", "fr"])
    record = fakefish.requests_for("model_list")[-1]
    assert record.query["tag"] == ["narration"] and record.query["language"] == ["en", "fr"]


async def test_list_retries_5xx_then_gives_up(client: FishClient, fakefish: Any) -> None:
    fakefish.fail("model_list", status=502, times=1)
    assert (await client.voices.list()).items
    fakefish.fail("model_list", status=503, times=3)
    with pytest.raises(ServerError) as info:
        await client.voices.list()
    assert len(fakefish.requests_for("model_list")) == 2 + 3
    assert user_message(info.value) == BUSY


async def test_get_voice_and_not_found(client: FishClient, fakefish: Any) -> None:
    mine = fakefish.add_voice("Gettable", tags=["x"], languages=["en"])
    voice = await client.voices.get(mine["_id"])
    assert (voice.id, voice.title, voice.tags, voice.state) == (mine["_id"], "Gettable", ["x"], "trained")
    assert voice.author is not None and voice.author.id == fakefish.user_id
    with pytest.raises(NotFoundError) as info:
        await client.voices.get("f" * 32)
    assert user_message(info.value) == NOT_FOUND


async def test_create_voice_multipart(client: FishClient, fakefish: Any) -> None:
    sample = wav_bytes(1.0)
    voice = await client.voices.create(title="My New Voice", voices=[sample, sample], texts=["hi", "there"],
                                       tags=["new"], description="desc")
    assert voice.title == "My New Voice" and voice.id in fakefish.voices and voice.visibility == "private"
    record = fakefish.requests_for("model_create")[-1]
    assert record.form("title") == ["My New Voice"] and record.form("type") == ["tts"]
    assert record.form("train_mode") == ["fast"] and record.form("visibility") == ["private"]
    assert record.form("texts") == ["hi", "there"] and record.form("tags") == ["new"]
    assert record.form("enhance_audio_quality") == ["true"] and record.form("description") == ["desc"]
    files = record.files("voices")
    assert [(f.filename, f.content_type, f.data) for f in files] == [
        ("upload", "application/octet-stream", sample)
    ] * 2


async def test_create_is_never_retried(client: FishClient, fakefish: Any) -> None:
    fakefish.fail("model_create", status=500, times=3)
    with pytest.raises(ServerError) as info:
        await client.voices.create(title="Once", voices=[wav_bytes(1.0)])
    assert len(fakefish.requests_for("model_create")) == 1
    assert user_message(info.value) == TROUBLE
    fakefish.clear_faults("model_create")
    fakefish.fail("model_create", status=413)
    with pytest.raises(PayloadTooLargeError) as too_big:
        await client.voices.create(title="Huge", voices=[wav_bytes(1.0)])
    assert user_message(too_big.value) == "That file is too large for Fish Audio."


async def test_update_voice(client: FishClient, fakefish: Any) -> None:
    mine = fakefish.add_voice("Old Title")
    await client.voices.update(mine["_id"], title="New Title", tags=["a", "b"], visibility="unlist")
    plain = fakefish.requests_for("model_update")[-1]
    assert plain.content_type == "application/x-www-form-urlencoded"
    assert plain.body == {"title": ["New Title"], "tags": ["a", "b"], "visibility": ["unlist"]}
    assert fakefish.voices[mine["_id"]]["title"] == "New Title"
    await client.voices.update(mine["_id"], description="with cover", cover_image=b"\x89PNG fake")
    multi = fakefish.requests_for("model_update")[-1]
    assert multi.content_type.startswith("multipart/form-data")
    assert [(f.filename, f.content_type) for f in multi.files("cover_image")] == [
        ("upload", "application/octet-stream")
    ]


async def test_update_someone_elses_voice_is_forbidden(client: FishClient, fakefish: Any) -> None:
    theirs = fakefish.add_voice("Not Mine", mine=False)
    fakefish.fail("model_update", status=503)
    with pytest.raises(ServerError):
        await client.voices.update(theirs["_id"], title="Hijack")
    assert len(fakefish.requests_for("model_update")) == 1  # never retried
    with pytest.raises(PermissionDeniedError) as info:
        await client.voices.update(theirs["_id"], title="Hijack")
    assert user_message(info.value) == (
        "Fish Audio refused access to that voice or feature (it may be private)."
    )


async def test_delete_voice(client: FishClient, fakefish: Any) -> None:
    mine = fakefish.add_voice("Doomed")
    await client.voices.delete(mine["_id"])
    assert mine["_id"] not in fakefish.voices
    with pytest.raises(NotFoundError) as info:
        await client.voices.delete(mine["_id"])
    assert user_message(info.value) == NOT_FOUND
    fakefish.fail("model_delete", status=502)
    with pytest.raises(ServerError):
        await client.voices.delete(mine["_id"])
    assert len(fakefish.requests_for("model_delete")) == 3  # no retry of the 502


# --- asr ------------------------------------------------------------------------------------


async def test_transcribe(client: FishClient, fakefish: Any) -> None:
    audio = wav_bytes(3.0)
    fakefish.asr_script.append("hello from the stand in")
    result = await client.asr.transcribe(audio=audio, language="en")
    assert result.text == "hello from the stand in"
    assert result.duration == pytest.approx(3.0, abs=0.05)  # seconds
    assert result.segments and result.segments[-1].end <= 3.05
    assert (result.language_code, result.language) == ("en", "English")
    body = fakefish.requests_for("asr")[-1].body
    assert body == {"audio": audio, "ignore_timestamps": False, "language": "en"}
    untimed = await client.asr.transcribe(audio=audio, include_timestamps=False)
    assert untimed.segments == [] and "language" not in fakefish.requests_for("asr")[-1].body


async def test_transcribe_errors(client: FishClient, fakefish: Any) -> None:
    fakefish.fail("asr", status=503, times=1)
    assert (await client.asr.transcribe(audio=wav_bytes(1.5))).text
    assert [r.status for r in fakefish.requests_for("asr")] == [503, 200]
    fakefish.fail("asr", status=413)
    with pytest.raises(PayloadTooLargeError) as info:
        await client.asr.transcribe(audio=wav_bytes(1.5))
    assert user_message(info.value) == "That file is too large for Fish Audio."
    with pytest.raises(Exception) as bad:  # undecodable audio: the API's 400
        await client.asr.transcribe(audio=b"not audio at all")
    assert getattr(bad.value, "status", None) == 400
    assert user_message(bad.value) == "Fish Audio rejected the request: Could not decode the audio file"


# --- account --------------------------------------------------------------------------------


async def test_get_credits(client: FishClient, fakefish: Any) -> None:
    fakefish.credit = "12.345"
    credits = await client.account.get_credits()
    assert credits.credit == Decimal("12.345") and isinstance(credits.credit, Decimal)
    assert credits.cumulative_top_up is not None and credits.has_free_credit is None
    assert fakefish.requests_for("credits")[-1].query == {}
    checked = await client.account.get_credits(check_free_credit=True)
    assert checked.has_free_credit is not None
    assert fakefish.requests_for("credits")[-1].query == {"check_free_credit": ["true"]}


async def test_get_credits_errors(fakefish: Any) -> None:
    async with FishClient(api_key="wrong-key-123", base_url=fakefish.base_url) as bad:
        with pytest.raises(AuthenticationError) as info:
            await bad.account.get_credits()
    assert info.value.message == "No permission -- see authorization schemes"
    assert user_message(info.value) == BAD_KEY
    fakefish.fail("credits", disconnect_after_bytes=20)
    async with FishClient(api_key=KEY, base_url=fakefish.base_url, max_retries=0) as client:
        with pytest.raises(FishNetworkError):
            await client.account.get_credits()


async def test_get_package_real_schema(client: FishClient, fakefish: Any) -> None:
    package = await client.account.get_package()
    assert "_id" not in fakefish.package and package.id is None
    assert (package.user_id, package.type, package.total, package.balance) == (
        fakefish.user_id, "basic", 1_000_000, 750_000)
    assert package.finished_at is None


async def test_get_package_errors(client: FishClient, fakefish: Any) -> None:
    fakefish.fail("package", status=500, times=3)
    with pytest.raises(ServerError) as info:
        await client.account.get_package()
    assert len(fakefish.requests_for("package")) == 3
    assert user_message(info.value) == TROUBLE
    fakefish.fail("package", status=418, body=["a", "json", "list"])
    with pytest.raises(Exception) as odd:
        await client.account.get_package()
    assert getattr(odd.value, "status", None) == 418  # a JSON list body does not crash parsing
