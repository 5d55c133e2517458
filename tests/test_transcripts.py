"""The pure transcript formatter: clocks, SubRip, cutting to fit an embed."""

from __future__ import annotations

import pytest

from bot.fish import ASRSegment
from bot.transcripts import clock, render, shorten, speaker_lines, srt_time, timestamped_lines, to_srt


def seg(text: str, start: float, end: float) -> ASRSegment:
    return ASRSegment(text=text, start=start, end=end)


@pytest.mark.parametrize(("seconds", "expected"), [
    (0, "00:00"), (59.9, "00:59"), (60, "01:00"), (754.2, "12:34"), (3599.99, "59:59"),
    (3600, "1:00:00"), (3725.5, "1:02:05"), (-3, "00:00"),
])
def test_clock(seconds: float, expected: str) -> None:
    assert clock(seconds) == expected


@pytest.mark.parametrize(("seconds", "expected"), [
    (0, "00:00:00,000"), (1.2345, "00:00:01,234"), (1.2346, "00:00:01,235"),
    (59.9996, "00:01:00,000"), (3600.5, "01:00:00,500"), (36000, "10:00:00,000"), (-1, "00:00:00,000"),
])
def test_srt_time(seconds: float, expected: str) -> None:
    assert srt_time(seconds) == expected


def test_srt_numbers_cues_skips_empty_ones_and_never_ends_before_it_starts() -> None:
    segments = [seg(" Hello. ", 0, 1.5), seg("   ", 1.5, 2), seg("Odd end.", 5, 4.9),
                seg("Bye.", 3661.25, 3662)]
    assert to_srt(segments) == (
        "1\n00:00:00,000 --> 00:00:01,500\nHello.\n\n"
        "2\n00:00:05,000 --> 00:00:05,000\nOdd end.\n\n"
        "3\n01:01:01,250 --> 01:01:02,000\nBye.\n"
    )
    assert to_srt([]) == ""


def test_timestamped_lines() -> None:
    segments = [seg("One", 0, 2.5), seg("", 2.5, 3), seg("Two", 62, 3700)]
    assert timestamped_lines(segments) == "[00:00 → 00:02] One\n[01:02 → 1:01:40] Two"


@pytest.mark.parametrize(("text", "limit", "expected", "cut"), [
    ("short", 10, "short", False),
    ("exactly10!", 10, "exactly10!", False),
    ("one two three four", 12, "one two…", True),
    ("line one\nline two three", 16, "line one\nline…", True),
    ("abcdefghijklmnopqrstuvwxyz", 10, "abcdefghi…", True),  # no boundary late enough: hard cut
])
def test_shorten(text: str, limit: int, expected: str, cut: bool) -> None:
    assert shorten(text, limit) == (expected, cut)
    assert len(shorten(text, limit)[0]) <= limit


def test_render_plain_short_has_no_files() -> None:
    out = render("Hi there.", [seg("Hi there.", 0, 1)], timestamps=False)
    assert (out.body, out.files) == ("Hi there.", {})


def test_render_with_timestamps_attaches_subtitles() -> None:
    out = render("Hi there.", [seg("Hi there.", 0, 1)], timestamps=True)
    assert out.body == "[00:00 → 00:01] Hi there."
    assert out.files == {"transcript.srt": b"1\n00:00:00,000 --> 00:00:01,000\nHi there.\n"}


def test_render_long_text_attaches_the_whole_transcript() -> None:
    text = "word " * 50
    out = render(text, [], timestamps=True, limit=40)  # no segments: plain text, no .srt
    assert out.body.endswith("…") and len(out.body) <= 40
    assert out.files == {"transcript.txt": (text.strip() + "\n").encode()}


@pytest.mark.parametrize(("text", "shown"), [
    ("<|speaker:1|> Hi. [laughter] <|speaker:2|> Yo.", "Speaker 1: Hi. *laughter*\nSpeaker 2: Yo."),
    ("<|speaker:0|> a <|speaker:0|> b <|speaker:3|> c", "Speaker 1: a b\nSpeaker 2: c"),  # any numbering
    ("before <|speaker:2|> after", "before\nSpeaker 1: after"),
    ("[music] just sounds [applause]", "*music* just sounds *applause*"),
    ("<|speaker:1|> [sigh] <|unknown|> fine", "Speaker 1: *sigh* fine"),
])
def test_speaker_lines(text: str, shown: str) -> None:
    assert speaker_lines(text) == shown


def test_pro_markup_never_reaches_subtitles() -> None:
    segments = [seg("<|speaker:1|> Hello [laughter]", 0.0, 1.0)]
    rendered = render("<|speaker:1|> Hello [laughter]", segments, timestamps=True)
    assert rendered.body == "Speaker 1: Hello *laughter*"
    assert rendered.files["transcript.srt"] == b"1\n00:00:00,000 --> 00:00:01,000\nHello\n"
