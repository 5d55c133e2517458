"""The cue catalogue and the per-model text: table tests, and the property that matters — what
the stand-in hears from the text built for a model never contains a cue read aloud."""

from __future__ import annotations

from datetime import date

import pytest

from bot.expressive import cues
from bot.expressive.cues import Direction, Span, Words, for_model, parse, parse_style
from tests.fakefish import expressive

BEFORE = date(2026, 12, 1)  # s1 still reads parentheses
AFTER = date(2026, 12, 31)  # s1 retired: served as s2.1-pro
MODELS = ("s1", "s2-pro", "s2.1-pro", "s2.1-pro-free", "drama-3", "drama-3-preview")


@pytest.mark.parametrize(("model", "on", "dialect"), [
    ("s2-pro", BEFORE, "brackets"), ("s2.1-pro", BEFORE, "brackets"), ("s2.1-pro-free", AFTER, "brackets"),
    ("drama-3-preview", BEFORE, "drama"), ("drama-3", BEFORE, "drama"), ("s1", BEFORE, "parens"),
    ("s1", AFTER, "brackets"),
    ("speech-1.6", BEFORE, "plain"),
])
def test_dialects(model, on, dialect) -> None:
    assert cues.dialect(model, on) == dialect
    assert cues.multi_speaker(model, on) is (dialect in ("brackets", "drama"))


@pytest.mark.parametrize(("text", "pieces"), [
    ("hello", [Words("hello")]),
    ("[whispering] come here", [Direction("whispering"), Words(" come here")]),
    ("a [ tired,  end of shift ] b", [Words("a "), Direction("tired, end of shift"), Words(" b")]),
    ("<whisper>psst</whisper>!", [Span("whisper", "psst"), Words("!")]),
    ("<French>oui</French>", [Span("french", "oui")]),
    ("<mumble>x</mumble>", [Words("<mumble>x</mumble>")]),
    ("[" + "x" * 81 + "]", [Words("[" + "x" * 81 + "]")]),
])
def test_parse_with_cues_allowed(text, pieces) -> None:
    assert parse(text, cues_allowed=True) == pieces


def test_parse_without_cues_is_all_words() -> None:
    assert parse("[whispering] hi <whisper>x</whisper>", cues_allowed=False) == [
        Words("[whispering] hi <whisper>x</whisper>")
    ]


@pytest.mark.parametrize(("model", "text", "style", "allowed", "sent"), [
    # A style on the whole text, written per model.
    ("s2.1-pro", "Come closer.", "whispering", False, "[whispering] Come closer."),
    ("s2.1-pro", "Come closer.", "[tired, end of a long shift]", False,
     "[tired, end of a long shift] Come closer."),
    ("drama-3-preview", "Come closer.", "<whisper>", False, "<whisper>Come closer.</whisper>"),
    ("drama-3-preview", "Come closer.", "sighing", False, "[sighing] Come closer."),
    ("s2-pro", "Come closer.", "<whisper>", False, "[whispering] Come closer."),
    ("s1", "Come closer.", "whispering", False, "(whispering) Come closer."),
    ("s1", "Come closer.", "whisper", False, "(whispering) Come closer."),
    ("s1", "Come closer.", "tired, end of a long shift", False, "Come closer."),  # s1 has no such cue
    ("s1", "Bonjour.", "<french>", False, "Bonjour."),
    # Members' inline cues, when the server allows them.
    ("s2.1-pro", "Well [laughing] fine.", None, True, "Well [laughing] fine."),
    ("s1", "Well [laughing] fine.", None, True, "Well (laughing) fine."),
    ("s1", "Well [laughing nervously] fine.", None, True, "Well fine."),
    ("drama-3-preview", "I said <emphasis>no</emphasis>.", None, True, "I said <emphasis>no</emphasis>."),
    ("s2.1-pro", "I said <emphasis>no</emphasis>.", None, True, "I said [emphasis] no."),
    ("s2.1-pro", "<french>oui</french> ok", None, True, "oui ok"),
    # Not allowed: brackets and tags are neutralised, never cues.
    ("s2.1-pro", "[citation needed] it is.", None, False, "(citation needed) it is."),
    ("s2.1-pro", "unbalanced ] and [ brackets", None, True, "unbalanced ) and ( brackets"),
    ("s2.1-pro", "say <|phoneme_start|>EH1<|phoneme_end|>", None, True, "say EH1"),
    ("drama-3-preview", "a <whisper>b</whisper> c", None, False, "a b c"),
    ("s1", "I am (happy) today (really)", None, False, "I am happy today (really)"),
    # Speaker markers from a member never reach Fish.
    ("s2.1-pro", "hi <|speaker:1|> there", None, True, "hi there"),
])
def test_text_for_model(model, text, style, allowed, sent) -> None:
    assert for_model(text, model, style=style, cues_allowed=allowed, on=BEFORE) == sent


def test_cues_follow_the_bots_clock(set_today) -> None:
    set_today(BEFORE)
    assert cues.dialect("s1") == "parens" and for_model("Hi.", "s1", style="happy") == "(happy) Hi."
    set_today(AFTER)
    assert cues.dialect("s1") == "brackets" and for_model("Hi.", "s1", style="happy") == "[happy] Hi."


def test_retired_s1_takes_brackets() -> None:
    assert for_model("Hi.", "s1", style="whispering", on=AFTER) == "[whispering] Hi."
    assert for_model("(happy) hi", "s1", on=AFTER) == "(happy) hi"  # read as words now


@pytest.mark.parametrize(("style", "piece"), [
    ("whispering", Direction("whispering")), ("[excited]", Direction("excited")),
    ("(happy)", Direction("happy")), ("<whisper>", Span("whisper", "")), ("<nope>", None),
    ("a]b", None), ("", None), ("x" * 81, None),
])
def test_parse_style(style, piece) -> None:
    assert parse_style(style) == piece


@pytest.mark.parametrize(("model", "style", "works"), [
    ("s2.1-pro", "whispering", True), ("s2.1-pro", "<whisper>", True), ("s2.1-pro", "<french>", False),
    ("drama-3-preview", "<french>", True), ("s1", "whisper", True), ("s1", "tired", False),
])
def test_style_works(model, style, works) -> None:
    piece = parse_style(style)
    assert piece is not None
    assert cues.style_works(piece, model, BEFORE) is works


def test_catalogue_per_model() -> None:
    s1 = cues.catalogue("s1", BEFORE)
    assert all(c.written.startswith("(") for c in s1) and "(happy)" in {c.written for c in s1}
    s2 = {c.written for c in cues.catalogue("s2.1-pro", BEFORE)}
    assert {"[whispering]", "[excited]", "[laughing]"} <= s2 and not any(w.startswith("<") for w in s2)
    drama = {c.style for c in cues.catalogue("drama-3-preview", BEFORE)}
    assert {"<whisper>", "<french>", "whispering"} <= drama
    assert cues.catalogue("s1", AFTER) == cues.catalogue("s2.1-pro", AFTER)
    assert "retires on Dec 31, 2026" in cues.describe("s1", BEFORE)


MEMBER_TEXTS = [
    "[citation needed] (happy) <whisper>psst</whisper> [laughing] ok",
    "<|speaker:1|>I'm (sad) and [whispering] <slow>slow</slow>",
    "plain words only",
]


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("text", MEMBER_TEXTS)
@pytest.mark.parametrize("allowed", [True, False])
@pytest.mark.parametrize("style", [None, "whispering", "<whisper>", "(happy)"])
def test_no_cue_is_ever_read_aloud(set_today, model, text, allowed, style) -> None:
    """Whatever the member wrote, the stand-in (Fish's reading of each model) hears no markup."""
    set_today(BEFORE)
    sent = for_model(text, model, style=style, cues_allowed=allowed, on=BEFORE)
    heard = expressive.performance(model, sent)
    assert not any(mark in heard.spoken for mark in "[]<>|"), heard.spoken
    if model == "s1":
        assert not any(f"({e})" in heard.spoken for e in cues.S1_EMOTIONS), heard.spoken
    assert heard.speakers == []
    if not allowed and style is None:
        assert heard.cues == []  # with the switch off a member's text carries no cue at all
