"""The client against the stand-in's published-API behaviour (§0 of the Fish API notes): 400s
instead of 422/404, the live socket that stays open and its in-band errors, blank clips,
multi-speaker request shapes, ASR models and voice states."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import ormsgpack
import pytest

from bot.fish import (
    BlankAudioError,
    FishAPIError,
    FishClient,
    RateLimitError,
    ReferenceAudio,
    ReferenceNotFoundError,
    VoiceNotReadyError,
    public_url,
)
from bot.fish.admission import MAX_REFUSALS
from bot.fish.tts import min_plausible_bytes
from bot.wording import user_message

TEXT = "Hello there, this is a test of the real Fish Audio API behaviour."


async def texts(*items: str) -> AsyncIterator[str]:
    for item in items:
        yield item


# --- HTTP TTS ---------------------------------------------------------------------------------


async def test_bad_parameters_are_a_plain_400_with_the_field(client: FishClient, fakefish: Any) -> None:
    body = ormsgpack.packb({"text": TEXT, "chunk_length": 50})  # the client itself would refuse it
    with pytest.raises(FishAPIError) as info:
        await client._core.send("POST", "/v1/tts", retry=False, content=body,
                                headers={"content-type": "application/msgpack"})
    assert info.value.status == 400 and '"status": 400' in (info.value.body or "")
    assert user_message(info.value) == (
        "Fish Audio rejected the request: chunk_length: Input should be greater than or equal to 100"
    )


async def test_deleted_voice_is_reference_not_found(client: FishClient, fakefish: Any) -> None:
    voice = fakefish.add_voice("Soon gone")
    assert await client.tts.convert(text=TEXT, reference_id=voice["_id"], format="pcm")
    del fakefish.voices[voice["_id"]]
    with pytest.raises(ReferenceNotFoundError) as info:
        await client.tts.convert(text=TEXT, reference_id=voice["_id"], format="pcm")
    assert info.value.status == 400 and info.value.message == "Reference not found"
    assert user_message(info.value) == (
        "That voice was not found on Fish Audio any more (it was deleted or made private)."
    )


async def test_voice_in_training_is_not_ready(client: FishClient, fakefish: Any) -> None:
    fakefish.training_seconds = 3600
    created = await client.voices.create(title="New", voices=[b"RIFF\0\0\0\0WAVEfmt " + bytes(64)])
    assert created.state == "training" and not created.ready
    with pytest.raises(VoiceNotReadyError) as info:
        await client.tts.convert(text=TEXT, reference_id=created.id)
    assert user_message(info.value) == (
        "Fish Audio refused that voice: it is still being trained. Try again in a minute."
    )


async def test_blank_clip_is_an_error_logged_with_its_size(
    client: FishClient, fakefish: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.fish")
    fakefish.fail("tts", blank=True)
    with pytest.raises(BlankAudioError) as info:
        await client.tts.convert(text=TEXT, format="opus")
    sent = fakefish.requests_for("tts")[-1]
    assert sent.status == 200 and len(sent.audio) == 417 == info.value.size
    assert "417 bytes" in caplog.text
    assert user_message(info.value) == "Fish Audio sent back an empty clip (a known Fish fault). Try again."
    # The same request without the fault is real audio and passes the check.
    assert len(await client.tts.convert(text=TEXT, format="opus")) >= min_plausible_bytes(TEXT)


@pytest.mark.parametrize("fmt", ["mp3", "wav", "pcm"])
async def test_blank_clip_in_every_format(client: FishClient, fakefish: Any, fmt: str) -> None:
    fakefish.fail("tts", blank=True)
    with pytest.raises(BlankAudioError):
        await client.tts.convert(text="ok", format=fmt)  # type: ignore[arg-type]


async def test_multi_speaker_request_shapes_reach_the_wire(client: FishClient, fakefish: Any) -> None:
    a, b = fakefish.add_voice("A"), fakefish.add_voice("B")
    text = "<|speaker:0|>Hi there. <|speaker:1|>Hello back."
    await client.tts.convert(text=text, reference_id=[a["_id"], b["_id"]], features=["quality-guard"])
    body = fakefish.requests_for("tts")[-1].body
    assert body["reference_id"] == [a["_id"], b["_id"]] and body["features"] == ["quality-guard"]
    refs = [[ReferenceAudio(audio=b"x", text="one")], [ReferenceAudio(audio=b"y", text="two")]]
    stream = client.tts.stream(text=text, references=refs)
    await stream.aclose()  # only the request shape matters: it validates and serialises
    from bot.fish.models import build_tts_request, tts_payload

    payload = tts_payload(build_tts_request(text, {"references": refs}))
    assert payload["references"] == [[{"audio": b"x", "text": "one"}], [{"audio": b"y", "text": "two"}]]
    assert ormsgpack.unpackb(ormsgpack.packb(payload))["references"][1][0]["text"] == "two"
    assert "features" not in tts_payload(build_tts_request(text, {}))


# --- live TTS ---------------------------------------------------------------------------------


async def test_live_client_closes_the_socket_after_finish(client: FishClient, fakefish: Any) -> None:
    audio = [c async for c in client.tts.stream_websocket(texts(TEXT), format="pcm")]
    record = fakefish.requests_for("tts_live")[-1]
    assert b"".join(audio) == record.audio
    assert record.sent_events[-1] == {"event": "finish", "reason": "stop"}
    assert await fakefish.wait_live_closed(record)  # the stand-in never closes: the client did
    assert record.client_closed


async def test_live_concurrency_error_puts_the_session_back_in_line(
    client: FishClient, fakefish: Any
) -> None:
    fakefish.fail("tts_live", ws_concurrency=True)
    audio = [c async for c in client.tts.stream_websocket(texts(TEXT), format="pcm")]
    refused, served = fakefish.requests_for("tts_live")
    assert refused.sent_events[0]["error"] == "Concurrency limit exceeded"
    assert await fakefish.wait_live_closed(refused) and refused.client_closed
    # The second socket got `start` and every text again, and its audio is the session's.
    assert b"".join(audio) == served.audio and served.audio
    assert served.events[: len(refused.events)] == refused.events
    assert [e["event"] for e in served.events] == ["start", "text", "stop"]
    assert served.events[1]["text"] == TEXT
    assert client.gate.refusals == 1 and client.gate.in_use == 0


async def test_live_concurrency_error_is_a_rate_limit_after_max_refusals(
    client: FishClient, fakefish: Any
) -> None:
    fakefish.fail("tts_live", ws_concurrency=True, times=MAX_REFUSALS + 1)
    with pytest.raises(RateLimitError) as info:
        async for _ in client.tts.stream_websocket(texts(TEXT)):
            pass
    assert info.value.message == "Concurrency limit exceeded"
    assert user_message(info.value) == "Fish Audio is busy right now. Try again in a few seconds."
    record = fakefish.requests_for("tts_live")[-1]
    assert await fakefish.wait_live_closed(record) and record.client_closed
    assert client.gate.in_use == 0


async def test_live_unknown_voice_is_reference_not_found(client: FishClient, fakefish: Any) -> None:
    with pytest.raises(ReferenceNotFoundError):
        async for _ in client.tts.stream_websocket(texts(TEXT), reference_id="0" * 32):
            pass
    record = fakefish.requests_for("tts_live")[-1]
    assert record.sent_events[0]["error"] == "Reference not found"
    assert await fakefish.wait_live_closed(record)


# --- voices, ASR --------------------------------------------------------------------------------


async def test_voice_urls_are_relative_and_samples_signed(client: FishClient, fakefish: Any) -> None:
    voice = fakefish.add_voice("Covered")
    got = await client.voices.get(voice["_id"])
    assert got.cover_image == f"coverimage/{voice['_id']}"
    assert public_url(got.cover_image) == f"https://public-platform.r2.fish.audio/coverimage/{voice['_id']}"
    assert got.author is not None and not got.author.avatar.startswith("http")
    assert got.sample_audio is not None and got.sample_audio.startswith(fakefish.base_url)
    assert public_url("https://cdn.example/x.png") == "https://cdn.example/x.png"
    assert public_url("coverimage/1", "http://127.0.0.1:9/cdn") == "http://127.0.0.1:9/cdn/coverimage/1"


async def test_training_then_trained_or_failed(client: FishClient, fakefish: Any) -> None:
    fakefish.training_seconds = 0
    fakefish.train_outcome = "failed"
    created = await client.voices.create(title="Doomed", voices=[b"RIFF\0\0\0\0WAVEfmt " + bytes(64)])
    assert created.state == "training"
    assert (await client.voices.get(created.id)).state == "failed"


async def test_window_limited_listing(client: FishClient, fakefish: Any) -> None:
    fakefish.library.max_offset = 20
    page = await client.voices.list(page_size=10, page_number=2)
    assert page.total > 20 and page.window_limited and not page.total_is_exact
    assert page.accessible_upper_bound == 20 and page.max_offset == 20 and page.has_more is False
    assert len(page.items) == 10
    beyond = await client.voices.list(page_size=10, page_number=3)
    assert beyond.items == [] and beyond.has_more is False
    narrow = await client.voices.list(title="My Clone")
    assert narrow.total_is_exact and not narrow.window_limited
    assert narrow.accessible_upper_bound == narrow.total


async def test_asr_model_header_and_pro_markup(client: FishClient, fakefish: Any) -> None:
    import io
    import wave

    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16_000)
        w.writeframes(bytes(16_000 * 2 * 6))
    pro = await client.asr.transcribe(audio=out.getvalue())
    assert fakefish.requests_for("asr")[-1].headers["model"] == "transcribe-1-pro"
    assert "<|speaker:1|>" in pro.text and "[laughter]" in pro.text
    assert pro.segments and all("<|" not in s.text and "[" not in s.text for s in pro.segments)
    plain = await client.asr.transcribe(audio=out.getvalue(), model="transcribe-1")
    assert "<|" not in plain.text and fakefish.requests_for("asr")[-1].model == "transcribe-1"
    fakefish.asr_segments_empty = True
    assert (await client.asr.transcribe(audio=out.getvalue())).segments == []
    fakefish.credit = 0
    with pytest.raises(FishAPIError) as info:
        await client.asr.transcribe(audio=out.getvalue(), model="transcribe-1")
    assert info.value.status == 402


@pytest.mark.parametrize("model", ["s1", "s2-pro", "s2.1-pro", "drama-3-preview"])
async def test_zero_credit_is_402_for_every_model_but_the_free_one(client: FishClient, fakefish: Any,
                                                                   model: str) -> None:
    fakefish.credit = 0
    assert await client.tts.convert(text=TEXT, model="s2.1-pro-free", format="pcm")
    with pytest.raises(FishAPIError) as info:
        await client.tts.convert(text=TEXT, model=model)
    assert info.value.status == 402 and fakefish.requests_for("tts")[-1].model == model
    assert user_message(info.value) == (
        "The bot's Fish Audio API credit has run out. Please tell the bot owner."
    )
