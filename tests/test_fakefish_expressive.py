"""The stand-in's multi-speaker checks and per-model cue handling (fish-audio-api.md §0), on the
wire through POST /v1/tts, and its reading of cues as a table."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest

from tests.fakefish.expressive import performance, performance_of


async def tts(fakefish: Any, text: str, model: str, reference_id: Any = None) -> httpx.Response:
    body: dict[str, Any] = {"text": text, "format": "mp3"}
    if reference_id is not None:
        body["reference_id"] = reference_id
    async with httpx.AsyncClient(base_url=fakefish.base_url,
                                 headers={"Authorization": "Bearer test-key", "model": model}) as raw:
        return await raw.post("/v1/tts", json=body)


@pytest.fixture
def two_voices(fakefish: Any) -> list[str]:
    return [fakefish.add_voice("Ann")["_id"], fakefish.add_voice("Bob")["_id"]]


@pytest.mark.parametrize("model", ["s2-pro", "s2.1-pro", "s2.1-pro-free", "drama-3", "drama-3-preview"])
async def test_multi_speaker_with_agreeing_markers_is_spoken(fakefish, two_voices, model) -> None:
    response = await tts(fakefish, "<|speaker:0|>Hi!<|speaker:1|>Hello there.<|speaker:0|>Bye.", model,
                         two_voices)
    assert response.status_code == 200 and response.content
    heard = performance_of(fakefish.requests_for("tts")[-1])
    assert heard.speakers == [0, 1, 0]
    assert heard.spoken == "Hi! Hello there. Bye."


@pytest.mark.parametrize(("text", "why"), [
    ("<|speaker:0|>Hi!<|speaker:2|>Who?", "<|speaker:2|> has no voice"),
    ("<|speaker:0|>Only one of us speaks.", "Speaker 1 in reference_id has no <|speaker:1|>"),
    ("Nobody is marked.", "needs <|speaker:N|> tags"),
])
async def test_markers_that_disagree_with_the_voice_list_are_a_400(fakefish, two_voices, text, why) -> None:
    response = await tts(fakefish, text, "s2.1-pro", two_voices)
    assert response.status_code == 400
    assert why in response.json()["message"]
    assert fakefish.requests_for("tts")[-1].charged == 0


@pytest.mark.parametrize(("count", "status"), [(16, 200), (17, 400)])
async def test_drama_3_takes_up_to_16_speakers(fakefish, count: int, status: int) -> None:
    voices = [fakefish.add_voice(f"Voice {n}")["_id"] for n in range(count)]
    text = "".join(f"<|speaker:{n}|>Line {n}." for n in range(count))
    response = await tts(fakefish, text, "drama-3", voices)
    assert response.status_code == status
    if status == 400:
        assert response.json()["message"] == "drama-3 takes at most 16 speakers, got 17"
    else:
        assert performance_of(fakefish.requests_for("tts")[-1]).speakers == list(range(16))


async def test_markers_without_a_list_are_a_400(fakefish, two_voices) -> None:
    response = await tts(fakefish, "<|speaker:0|>Hi<|speaker:1|>Hey", "s2.1-pro", two_voices[0])
    assert response.status_code == 400 and "list" in response.json()["message"]


async def test_s1_has_no_multi_speaker(fakefish, two_voices, set_today) -> None:
    set_today(date(2026, 12, 1))
    response = await tts(fakefish, "<|speaker:0|>Hi<|speaker:1|>Hey", "s1", two_voices)
    assert response.status_code == 400 and "not s1" in response.json()["message"]
    # From its retirement s1 is served as s2.1-pro, which has multi-speaker.
    set_today(date(2026, 12, 31))
    assert (await tts(fakefish, "<|speaker:0|>Hi<|speaker:1|>Hey", "s1", two_voices)).status_code == 200


async def test_an_unknown_voice_in_the_list_is_refused(fakefish, two_voices) -> None:
    response = await tts(fakefish, "<|speaker:0|>Hi<|speaker:1|>Hey", "s2.1-pro", [two_voices[0], "nope"])
    assert response.status_code >= 400
    assert fakefish.requests_for("tts")[-1].charged == 0


# --- which markup each model acts on, and what it reads aloud ---------------------------------

BEFORE_RETIREMENT = date(2026, 12, 1)


@pytest.mark.parametrize(("model", "text", "cues", "spoken"), [
    # S2: brackets (free text too) are cues; parentheses and angle tags are read aloud.
    ("s2.1-pro", "[whispering] Come closer.", ["[whispering]"], "Come closer."),
    ("s2-pro", "Oh [laughing nervously] fine.", ["[laughing nervously]"], "Oh fine."),
    ("s2.1-pro-free", "(happy) Hello.", [], "(happy) Hello."),
    ("s2.1-pro", "<whisper>psst</whisper>", [], "<whisper>psst</whisper>"),
    # drama-3: brackets and paired tags are cues; an unpaired tag is read aloud.
    ("drama-3-preview", "[sighs] <whisper>not now</whisper>", ["<whisper>", "[sighs]"], "not now"),
    ("drama-3", "[sighs] <whisper>not now</whisper>", ["<whisper>", "[sighs]"], "not now"),
    ("drama-3", "<|phoneme_start|>T AH0 M EY1 T OW2<|phoneme_end|>", [], "T AH0 M EY1 T OW2"),
    ("drama-3-preview", "<slow><french>bonjour</french></slow>", ["<french>", "<slow>"], "bonjour"),
    ("drama-3-preview", "<whisper>open ended", [], "<whisper>open ended"),
    ("drama-3-preview", "<mumble>hm</mumble>", [], "<mumble>hm</mumble>"),
    # s1 before it retires: only its fixed list in parentheses; brackets are read aloud.
    ("s1", "(happy) Hello! (aside) hi", ["(happy)"], "Hello! (aside) hi"),
    ("s1", "[whispering] Hello", [], "[whispering] Hello"),
])
def test_cues_per_model(set_today, model, text, cues, spoken) -> None:
    set_today(BEFORE_RETIREMENT)
    heard = performance(model, text)
    assert sorted(heard.cues) == sorted(cues)
    assert heard.spoken == spoken


def test_retired_s1_reads_parentheses_aloud(set_today) -> None:
    set_today(date(2027, 1, 1))
    heard = performance("s1", "(happy) [excited] Hello")
    assert heard.cues == ["[excited]"]
    assert heard.spoken == "(happy) Hello"
