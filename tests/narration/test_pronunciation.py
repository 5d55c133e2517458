"""The pronunciation dictionary and the per-model text Fish gets, table-tested."""

from __future__ import annotations

from datetime import date

import pytest

from bot.errors import BadEntry
from bot.spoken.dictionaries import for_model
from bot.spoken.pronunciation import MAX_REPLACEMENT, Dictionary, Entry, parse_entry
from bot.wording import describe

SPAN = "<|phoneme_start|>{}<|phoneme_end|>"
S1_LAST_DAY = date(2026, 12, 30)  # s1 reads its (emotions) and no phoneme spans until it retires
S1_RETIRED = [date(2026, 12, 31), date(2027, 1, 2)]  # then Fish serves s2.1-pro in its place

ENTRIES = [
    Entry("New York", "noo york"),
    Entry("New York City", "the big apple"),
    Entry("York", "yawk"),
    Entry("Nguyen", "win"),
    Entry("GPU", "gee pee you", "JH IY1 P IY1 Y UW1"),
    Entry("東京", "とうきょう"),
    Entry("東京都", "とうきょうと"),
    Entry("重庆", "chongqing", "chong2 qing4"),
    Entry("C++", "see plus plus"),
    Entry("서울", "soul"),
    Entry("ça", "sa"),
]
DICTIONARY = Dictionary(ENTRIES)

# (text, with phonemes, without phonemes)
CASES: list[tuple[str, str, str]] = [
    ("hello", "hello", "hello"),
    # whole words, any case
    ("I met nguyen", "I met win", "I met win"),
    ("NGUYEN and Nguyen's cat", "win and win's cat", "win and win's cat"),
    ("Nguyenova", "Nguyenova", "Nguyenova"),
    ("Yorkshire and newyork", "Yorkshire and newyork", "Yorkshire and newyork"),
    ("Ça va", "sa va", "sa va"),
    ("garçon", "garçon", "garçon"),
    # overlapping entries: the longest wins, then the leftmost
    ("new york city tonight", "the big apple tonight", "the big apple tonight"),
    ("New York, then York", "noo york, then yawk", "noo york, then yawk"),
    ("New Yorker", "New Yorker", "New Yorker"),
    # phoneme spans only for models that read them; the plain fallback otherwise
    ("my GPU.", f"my {SPAN.format('JH IY1 P IY1 Y UW1')}.", "my gee pee you."),
    ("gpus", "gpus", "gpus"),
    # scripts without spaces: found inside the sentence
    ("東京に行く", "とうきょうに行く", "とうきょうに行く"),
    ("東京都庁", "とうきょうと庁", "とうきょうと庁"),
    ("我去重庆了", f"我去{SPAN.format('chong2 qing4')}了", "我去chongqing了"),
    ("서울에서 만나요", "soul에서 만나요", "soul에서 만나요"),
    # a Latin word next to Japanese is still a whole word
    ("GPUが速い", f"{SPAN.format('JH IY1 P IY1 Y UW1')}が速い", "gee pee youが速い"),
    # words ending in punctuation
    ("I like C++ a lot", "I like see plus plus a lot", "I like see plus plus a lot"),
]


@pytest.mark.parametrize(("text", "phonemes", "plain"), CASES)
def test_dictionary(text: str, phonemes: str, plain: str) -> None:
    assert DICTIONARY.apply(text, phonemes=True) == phonemes
    assert DICTIONARY.apply(text, phonemes=False) == plain


def test_an_empty_dictionary_changes_nothing() -> None:
    assert Dictionary([]).apply("New York", phonemes=True) == "New York"


def test_a_thousand_entries_all_match() -> None:
    words = [f"word{i}x" for i in range(1000)]
    dictionary = Dictionary([Entry(w, w.upper()) for w in words])
    assert dictionary.apply(" ".join(words), phonemes=False) == " ".join(w.upper() for w in words)


PARSED: list[tuple[tuple[str, str, str | None], Entry]] = [
    (("  New   York ", " noo york ", None), Entry("New York", "noo york")),
    (("GPU", "<|phoneme_start|>JH IY1 P IY1 Y UW1<|phoneme_end|>", None),
     Entry("GPU", "GPU", "JH IY1 P IY1 Y UW1")),
    (("GPU", "<|phoneme_start|> JH  IY1 <|phoneme_end|>", "gee pee you"),
     Entry("GPU", "gee pee you", "JH IY1")),
    (("重庆", "<|phoneme_start|>chong2 qing4<|phoneme_end|>", None), Entry("重庆", "重庆", "chong2 qing4")),
    (("東京", "とうきょう", None), Entry("東京", "とうきょう")),
]


@pytest.mark.parametrize(("typed", "entry"), PARSED)
def test_parse_entry(typed: tuple[str, str, str | None], entry: Entry) -> None:
    assert parse_entry(*typed) == entry


REFUSED: list[tuple[tuple[str, str, str | None], str]] = [
    (("", "x", None), "can't be empty"),
    (("word", "   ", None), "can't be empty"),
    (("...", "dots", None), "letter or digit"),
    (("x" * 51, "y", None), "at most 50"),
    (("word", "y" * (MAX_REPLACEMENT + 1), None), f"at most {MAX_REPLACEMENT}"),
    (("hi", "<@123>", None), "mentions"),
    (("hi", "@everyone", None), "mentions"),
    (("<@&5>", "role", None), "mentions"),
    (("hi", "[whispers] hi", None), "markup"),
    (("hi", "<whisper>hi</whisper>", None), "markup"),
    (("hi", "<|speaker:1|>hi", None), "markup"),
    (("hi", "a <|phoneme_start|>HH AY1<|phoneme_end|> b", None), "markup"),
    (("hi", "<|phoneme_start|><|phoneme_end|>", None), "empty"),
    (("hi", "<|phoneme_start|>HH<|phoneme_end|><|phoneme_start|>AY<|phoneme_end|>", None), "Phonemes are"),
    (("hi", "<|phoneme_start|>HH [laugh]<|phoneme_end|>", None), "Phonemes are"),
    (("hi", "<|phoneme_start|>HH AY1<|phoneme_end|>", "[laugh]"), "markup"),
    (("hi", "hey", "fallback"), "only goes with a phoneme"),
]


@pytest.mark.parametrize(("typed", "reason"), REFUSED)
def test_bad_entries_are_refused(typed: tuple[str, str, str | None], reason: str) -> None:
    with pytest.raises(BadEntry) as caught:
        parse_entry(*typed)
    assert reason in str(describe(caught.value))


NEUTRALISED: list[tuple[str, str, str, str]] = [
    # (model, member's cleaned text, without expressive cues, with them)
    ("s2.1-pro", "this is true [citation needed]", "this is true (citation needed)",
     "this is true [citation needed]"),
    ("s2.1-pro", "a <whisper>quiet</whisper> word", "a quiet word", "a [whispering] quiet word"),
    ("drama-3-preview", "a <whisper>quiet</whisper> word", "a quiet word", "a <whisper>quiet</whisper> word"),
    ("drama-3-preview", "<french>bonjour</french>", "bonjour", "<french>bonjour</french>"),
    ("s1", "I feel (happy) today", "I feel happy today", "I feel happy today"),
    ("s2.1-pro", "i <3 you, 2 < 3 > 1", "i <3 you, 2 < 3 > 1", "i <3 you, 2 < 3 > 1"),
    # Fish's own tokens never come from members
    ("s2.1-pro", "<|speaker:1|>hi", "hi", "hi"),
    ("s2.1-pro", "say <|phoneme_start|>HH AY1<|phoneme_end|>", "say HH AY1", "say HH AY1"),
]


@pytest.mark.parametrize(("model", "text", "plain", "expressive"), NEUTRALISED)
def test_cues_are_neutralised_unless_allowed(set_today, model: str, text: str, plain: str,
                                             expressive: str) -> None:
    set_today(S1_LAST_DAY)
    assert for_model(text, model=model) == plain
    assert for_model(text, model=model, expressive_cues=True) == expressive


MODELS = [("s2.1-pro", True), ("s2-pro", True), ("s2.1-pro-free", True), ("drama-3-preview", True),
          ("s1", False)]


@pytest.mark.parametrize(("model", "reads_spans"), MODELS)
def test_for_model(set_today, model: str, reads_spans: bool) -> None:
    set_today(S1_LAST_DAY)
    text = "[sic] my GPU"
    expected = ("(sic) my " + SPAN.format("JH IY1 P IY1 Y UW1") if reads_spans
                else "sic my gee pee you")  # s1 (until it retires) reads brackets as words
    assert for_model(text, model=model, dictionary=DICTIONARY) == expected


@pytest.mark.parametrize("day", S1_RETIRED)
@pytest.mark.parametrize("text", ["I feel (happy) today", "this is true [citation needed]", "[sic] my GPU",
                                  "a <whisper>quiet</whisper> word",
                                  "say <|phoneme_start|>EH1<|phoneme_end|>"])
@pytest.mark.parametrize("expressive_cues", [False, True])
def test_a_retired_s1_gets_what_s2_1_pro_gets(set_today, day: date, text: str, expressive_cues: bool) -> None:
    # Its (happy) is no tag any more (said as written), and the dictionary's phonemes are read.
    set_today(day)
    assert for_model(text, model="s1", dictionary=DICTIONARY, expressive_cues=expressive_cues) == for_model(
        text, model="s2.1-pro", dictionary=DICTIONARY, expressive_cues=expressive_cues)
    assert for_model("I feel (happy) today", model="s1") == "I feel (happy) today"
    assert for_model("[sic] my GPU", model="s1", dictionary=DICTIONARY) == (
        "(sic) my " + SPAN.format("JH IY1 P IY1 Y UW1"))


def test_a_dictionary_span_survives_neutralising_but_a_members_does_not() -> None:
    # The member's own span is taken apart before the dictionary adds its own.
    text = "<|phoneme_start|>EH1<|phoneme_end|> GPU"
    assert for_model(text, model="s2.1-pro", dictionary=DICTIONARY) == (
        "EH1 " + SPAN.format("JH IY1 P IY1 Y UW1"))
