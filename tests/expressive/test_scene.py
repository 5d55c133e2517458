"""The scene script parser and the multi-speaker request builder (table tests), with the request
checked by the stand-in's own multi-speaker rules."""

from __future__ import annotations

from datetime import date

import pytest

from bot.errors import BadScript, UnknownSpeakers
from bot.expressive.scene import (
    Line,
    Part,
    build_parts,
    consecutive_clips,
    mention_id,
    multi_speaker_request,
    one_request,
    parse_script,
    speakers_of,
)
from bot.wording import describe
from tests.fakefish import expressive

ON = date(2026, 12, 1)


def parse(script: str, max_speakers: int = 4, max_chars: int = 500) -> list[Line]:
    return parse_script(script, max_speakers=max_speakers, max_chars=max_chars)


def test_lines_speakers_and_blank_lines() -> None:
    lines = parse("Ann: Hello there!\n\n  <@123456789012345678> :  Hi, Ann.  \nann: Time: 5 pm.\n")
    assert lines == [
        Line("Ann", "Hello there!", 1),
        Line("<@123456789012345678>", "Hi, Ann.", 3),
        Line("ann", "Time: 5 pm.", 4),  # only the first colon separates the speaker
    ]
    assert speakers_of(lines) == {"ann": "Ann", "<@123456789012345678>": "<@123456789012345678>"}


@pytest.mark.parametrize(("script", "message"), [
    ("Hello without a speaker", "line 1 (“Hello without a speaker”) has no “Speaker:” in front"),
    ("Ann: hi\nBob:", "line 2 gives Bob nothing to say"),
    ("", "The script is empty"),
    ("A: 1\nB: 2\nC: 3", "That scene has 3 speakers; the limit is 2."),
    ("A: " + "x" * 30 + "\nB: " + "y" * 21, "That scene is 51 characters of speech; the limit is 50."),
])
def test_refusals(script, message) -> None:
    with pytest.raises(BadScript) as caught:
        parse(script, max_speakers=2, max_chars=50)
    assert message in str(describe(caught.value))


def test_every_bad_line_is_named_at_once() -> None:
    with pytest.raises(BadScript) as caught:
        parse("Ann: ok\nno colon\nBob: fine\nalso none")
    text = str(describe(caught.value))
    assert "line 2" in text and "line 4" in text


@pytest.mark.parametrize(("label", "found"), [
    ("<@123456789012345678>", 123456789012345678), ("<@!123456789012345678>", 123456789012345678),
    ("Ann", None), ("<@12>", None),
])
def test_mentions(label, found) -> None:
    assert mention_id(label) == found


def test_unknown_speakers_named_together() -> None:
    text = str(describe(UnknownSpeakers(["Zed", "Narrator"])))
    assert "**Zed** and **Narrator** are" in text and "Nothing was spent" in text


def test_multi_speaker_request_numbers_voices_by_first_appearance() -> None:
    parts = [Part("v-bob", "Hi."), Part("v-ann", "Hello."), Part("v-bob", "Bye.")]
    request = multi_speaker_request(parts)
    assert request.voices == ["v-bob", "v-ann"]
    assert request.text == "<|speaker:0|>Hi.<|speaker:1|>Hello.<|speaker:0|>Bye."
    assert expressive.speaker_problem("s2.1-pro", request.text, request.voices) is None


def test_consecutive_clips_merge_neighbouring_turns() -> None:
    parts = [Part("a", "One."), Part("a", "Two."), Part("b", "Three."), Part("a", "Four.")]
    assert consecutive_clips(parts) == [Part("a", "One. Two."), Part("b", "Three."), Part("a", "Four.")]


@pytest.mark.parametrize(("model", "voices", "one"), [
    ("s2.1-pro", ["a", "b"], True), ("drama-3-preview", ["a", "b"], True), ("s1", ["a", "b"], False),
    ("s2.1-pro", ["a", "a"], False), ("s2.1-pro", ["a", None], False),
])
def test_one_request_only_where_the_model_can(model, voices, one) -> None:
    parts = [Part(v, "x") for v in voices]
    assert one_request(parts, model, ON) is one


def test_build_parts_makes_each_line_safe_for_the_model() -> None:
    lines = parse("Ann: [whispering] psst <|speaker:3|>\nBob: (happy) [citation needed]")
    voices: dict[str, str | None] = {"ann": "v-ann", "bob": "v-bob"}
    s2 = build_parts(lines, voices, "s2.1-pro", cues_allowed=True, on=ON)
    assert s2 == [Part("v-ann", "[whispering] psst"), Part("v-bob", "(happy) [citation needed]")]
    s2_plain = build_parts(lines, voices, "s2.1-pro", cues_allowed=False, on=ON)
    assert s2_plain == [Part("v-ann", "(whispering) psst"), Part("v-bob", "(happy) (citation needed)")]
    s1 = build_parts(lines, voices, "s1", cues_allowed=False, on=ON)
    assert s1 == [Part("v-ann", "whispering psst"), Part("v-bob", "happy citation needed")]
    request = multi_speaker_request(s2)
    assert expressive.speaker_problem("s2.1-pro", request.text, request.voices) is None


def test_a_line_of_only_a_cue_the_model_lacks_is_dropped() -> None:
    lines = parse("Ann: [sighs]\nBob: [laughing nervously]")
    voices: dict[str, str | None] = {"ann": "a", "bob": "b"}
    assert build_parts(lines, voices, "s2.1-pro", cues_allowed=True, on=ON) == [
        Part("a", "[sighs]"), Part("b", "[laughing nervously]")]  # a sigh is something to hear
    assert build_parts(lines, voices, "s1", cues_allowed=True, on=ON) == [Part("a", "(sighing)")]
    with pytest.raises(BadScript):
        build_parts(lines[1:], voices, "s1", cues_allowed=True, on=ON)
