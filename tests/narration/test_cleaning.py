"""The narration text cleaner, table-tested."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.spoken.cleaning import CleanOptions, Names, clean

NAMES = Names(
    user={1: "Alice", 2: "Bob"}.get,
    role={10: "Moderators"}.get,
    channel={20: "general"}.get,
)

CASES: list[tuple[str, str]] = [
    # plain text and whitespace
    ("hello world", "hello world"),
    ("  hello   \n\n world\t ", "hello world"),
    ("", ""),
    ("   \n  ", ""),
    # mentions
    ("hi <@1>", "hi Alice"),
    ("hi <@!2>!", "hi Bob!"),
    ("hi <@999>", "hi someone"),
    ("ping <@&10>", "ping Moderators"),
    ("ping <@&11>", "ping a role"),
    ("see <#20>", "see general"),
    ("see <#21>", "see a channel"),
    ("use </speak:123456>", "use slash speak"),
    ("meet <t:1700000000:F>", "meet a time"),  # shown in each reader's time zone: unknown here
    ("meet <t:1700000000>", "meet a time"),
    # custom emoji (named by default)
    ("nice <:party_parrot:123>", "nice party parrot"),
    ("nice <a:dance:456> move", "nice dance move"),
    # links
    ("look https://example.com/a?b=c now", "look a link now"),
    ("look <https://example.com> now", "look a link now"),
    ("read [the docs](https://example.com/docs)", "read the docs"),
    ("http://a.b/c and https://d.e", "a link and a link"),
    # code and spoilers
    ("run `rm -rf /` now", "run a code block now"),
    ("```py\nprint('hi')\n```", "a code block"),
    ("before ```\ncode\n``` after", "before a code block after"),
    ("unterminated ```code here", "unterminated a code block"),
    ("the ending is ||they all die||", "the ending is a spoiler"),
    # markdown
    ("**bold** and *italic*", "bold and italic"),
    ("__underline__ ~~strike~~", "underline strike"),
    ("***both***", "both"),
    ("# Big news", "Big news"),
    ("### small header", "small header"),
    ("-# subtext", "subtext"),
    ("> quoted text", "quoted text"),
    ("- one\n- two", "one two"),
    ("1. first\n2. second", "first second"),
    ("2 * 3 * 4 = 24", "2 * 3 * 4 = 24"),
    ("_quiet_ please", "quiet please"),
    ("snake_case_name", "snake_case_name"),
    # unicode emoji (skipped by default)
    ("I love it 😍", "I love it"),
    ("👍", ""),
    ("family 👨‍👩‍👧 time", "family time"),
    ("go 🇯🇵 team", "go team"),
    # repeated characters
    ("soooooooo good", "sooo good"),
    ("what!!!!!!!!", "what!!!"),
    ("hahaha", "hahaha"),
    ("哈哈哈哈哈哈", "哈哈哈"),
    # scripts
    ("你好，世界", "你好，世界"),
    ("こんにちは <@1> さん", "こんにちは Alice さん"),
    ("日本語の**太字**です", "日本語の太字です"),
    ("مرحبا بالعالم", "مرحبا بالعالم"),
    ("שלום <@2>", "שלום Bob"),
    ("Ελληνικά και русский", "Ελληνικά και русский"),
    # invisible characters
    ("zero\u200bwidth", "zerowidth"),
    ("\u200b\u200c\u200d\ufeff", ""),
    ("rtl\u200fmark and soft\u00adhyphen", "rtlmark and softhyphen"),
    ("a\u2060b", "ab"),
    # mass mentions: the word, not "at everyone"
    ("@everyone meeting now", "everyone meeting now"),
    ("hey @here, look", "hey here, look"),
    ("mail me at bob@heretic.example", "mail me at bob@heretic.example"),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_clean(text: str, expected: str) -> None:
    assert clean(text, names=NAMES) == expected


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= 40


@pytest.mark.parametrize(("text", "options", "expected"), [
    ("nice <:party_parrot:123>", CleanOptions(custom_emoji="skip"), "nice"),
    ("I love it 😍", CleanOptions(unicode_emoji="name"), "I love it smiling face with heart-eyes"),
    ("go 🇯🇵", CleanOptions(unicode_emoji="name"), "go Japan"),
    ("soooooo", CleanOptions(max_repeat=5), "sooooo"),
    ("soooooo", CleanOptions(max_repeat=0), "soooooo"),
    ("@everyone meeting @here now", CleanOptions(read_everyone=False), "meeting now"),
])
def test_options(text: str, options: CleanOptions, expected: str) -> None:
    assert clean(text, names=NAMES, options=options) == expected


@pytest.mark.parametrize(("text", "attachments", "expected"), [
    ("", ["image"], "an image"),
    ("look", ["image"], "look, with an image"),
    ("look", ["image", "image", "file"], "look, with 2 images and a file"),
    ("", ["sticker"], "a sticker"),
    ("👍", ["file", "video", "sticker"], "a file, a video and a sticker"),
])
def test_attachments(text: str, attachments: list[str], expected: str) -> None:
    assert clean(text, names=NAMES, attachments=attachments) == expected


NOW = datetime(2026, 12, 6, 23, 30, tzinfo=UTC)


@pytest.mark.parametrize("language, hours, expected", [
    ("en", 3, "meet in 3 hours"),
    ("en", -50, "meet 2 days ago"),
    ("ja", 3, "meet 3 時間後"),
    ("de", 3, "meet in 3 Stunden"),
    ("en", 0, "meet in 10 minutes"),
])
def test_a_relative_timestamp_is_said_as_members_see_it(set_now, language: str, hours: int,
                                                       expected: str) -> None:
    set_now(NOW)  # said relative to the bot's clock, not the machine's
    when = int(NOW.timestamp()) + hours * 3600 + 600  # ten minutes more: rounds the same way when slow
    assert clean(f"meet <t:{when}:R>", language=language) == expected


def test_an_impossible_timestamp_is_just_a_time() -> None:
    assert clean("meet <t:99999999999999999:R>") == "meet a time"
