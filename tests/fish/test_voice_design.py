"""`client.voice_design` against the stand-in's POST /v1/voice-design: what goes on the wire,
the candidates that come back (real WAV files), and each error with the sentence a member reads."""

from __future__ import annotations

import io
import wave
from decimal import Decimal
from typing import Any

import pytest

from bot.fish import FishAPIError, FishClient, InsufficientCreditError
from bot.wording import user_message
from tests.fakefish.voice_design import candidate_audio

DESCRIPTION = "A warm, slow storyteller with a slight rasp"


def wav_info(data: bytes) -> tuple[int, int, float]:
    with wave.open(io.BytesIO(data)) as w:
        return w.getnchannels(), w.getframerate(), w.getnframes() / w.getframerate()


async def test_candidates_come_back_as_playable_wav(client: FishClient, fakefish: Any) -> None:
    candidates = await client.voice_design.create(DESCRIPTION, reference_text="Once upon a time.",
                                                  language="en", n=3, seed=7)
    assert [c.index for c in candidates] == [0, 1, 2]
    assert len({c.id for c in candidates}) == 3
    for candidate in candidates:
        channels, rate, seconds = wav_info(candidate.audio)
        assert (channels, rate) == (1, candidate.sample_rate)
        assert seconds == pytest.approx(candidate.duration_ms / 1000, abs=0.01)
        assert candidate.text == "Once upon a time."
        assert candidate.instruct == DESCRIPTION
    assert len({c.audio for c in candidates}) == 3  # three different voices, not one sample thrice
    assert [c.audio for c in candidates] == [candidate_audio(c) for c in fakefish.designed]


async def test_wire_format_is_json_with_the_model_header(client: FishClient, fakefish: Any) -> None:
    await client.voice_design.create(DESCRIPTION, n=1)
    request = fakefish.requests_for("voice_design")[-1]
    assert request.method == "POST" and request.path == "/v1/voice-design"
    assert request.headers["model"] == "voice-design-1"
    assert request.content_type.startswith("application/json")
    assert request.body == {"instruction": DESCRIPTION, "n": 1}  # unset options are left out
    assert request.charged == Decimal("0.01")


async def test_same_seed_same_candidates(client: FishClient) -> None:
    first = await client.voice_design.create(DESCRIPTION, n=2, seed=42)
    again = await client.voice_design.create(DESCRIPTION, n=2, seed=42)
    other = await client.voice_design.create(DESCRIPTION, n=2)
    assert [c.audio for c in first] == [c.audio for c in again]
    assert {c.id for c in first}.isdisjoint({c.id for c in other})


async def test_over_long_description_is_a_400_with_a_plain_message(client: FishClient, fakefish: Any) -> None:
    with pytest.raises(FishAPIError) as caught:
        await client.voice_design.create("x" * 2001)
    assert caught.value.status == 400
    assert user_message(caught.value) == (
        "Fish Audio rejected the request: instruction: must contain 1 to 2000 characters"
    )
    assert fakefish.designed == [] and fakefish.credit == Decimal("10.00")


async def test_over_long_reference_text_is_a_400(client: FishClient) -> None:
    with pytest.raises(FishAPIError) as caught:
        await client.voice_design.create(DESCRIPTION, reference_text="y" * 151)
    assert caught.value.status == 400 and "reference_text" in caught.value.message


@pytest.mark.parametrize("n", [0, 5])
async def test_candidate_count_is_checked_before_sending(client: FishClient, fakefish: Any, n: int) -> None:
    with pytest.raises(ValueError):
        await client.voice_design.create(DESCRIPTION, n=n)
    assert fakefish.requests_for("voice_design") == []


async def test_stand_in_refuses_what_the_schema_refuses(fakefish: Any) -> None:
    import httpx

    async with httpx.AsyncClient(base_url=fakefish.base_url,
                                 headers={"Authorization": "Bearer test-key"}) as raw:
        no_model = await raw.post("/v1/voice-design", json={"instruction": DESCRIPTION})
        extra = await raw.post("/v1/voice-design", headers={"model": "voice-design-1"},
                               json={"instruction": DESCRIPTION, "text": "hi"})
        too_many = await raw.post("/v1/voice-design", headers={"model": "voice-design-1"},
                                  json={"instruction": DESCRIPTION, "n": 5})
    for response in (no_model, extra, too_many):
        assert response.status_code == 400
        assert response.json()["status"] == 400
    assert "model" in no_model.json()["message"]
    assert extra.json()["message"].startswith("text:")
    assert too_many.json()["message"].startswith("n:")


async def test_zero_credit_is_a_402(client: FishClient, fakefish: Any) -> None:
    fakefish.credit = 0
    with pytest.raises(InsufficientCreditError) as caught:
        await client.voice_design.create(DESCRIPTION)
    assert user_message(caught.value) == (
        "The bot's Fish Audio API credit has run out. Please tell the bot owner."
    )
    assert fakefish.designed == []


async def test_429_puts_the_design_back_in_line(client: FishClient, fakefish: Any) -> None:
    # Even with a Retry-After longer than the client waits for a retry: the gate's back-off is
    # capped, and the request keeps its place at the front of the line.
    fakefish.fail("voice_design", status=429, retry_after=30, times=3)
    candidates = await client.voice_design.create(DESCRIPTION, n=1)
    assert len(candidates) == 1
    assert [r.status for r in fakefish.requests_for("voice_design")] == [429, 429, 429, 200]
    assert client.gate.refusals == 3 and client.gate.in_use == 0
