"""Numbers, durations and lists follow each language's conventions (CLDR through Babel)."""

from __future__ import annotations

from datetime import date

import pytest

from bot.i18n import using_language
from bot.i18n.formatting import day, duration, listing, number


@pytest.mark.parametrize(
    "language, big, wait, long_wait, items",
    [
        ("en", "12,345.5", "4 s", "2 min 5 s", "a, b, and c"),
        ("ja", "12,345.5", "4 秒", "2 分 5 秒", "a、b、c"),
        ("ko", "12,345.5", "4초", "2분 5초", "a, b 및 c"),
        ("zh_Hans", "12,345.5", "4秒", "2分钟5秒", "a、b和c"),
        ("es", "12.345,5", "4 s", "2 min y 5 s", "a, b y c"),
        ("pt_BR", "12.345,5", "4 s", "2 min e 5 s", "a, b e c"),
        ("fr", "12\u202f345,5", "4\u202fs", "2\xa0min et 5\u202fs", "a, b et c"),
        ("de", "12.345,5", "4 Sek.", "2 Min., 5 Sek.", "a, b und c"),
    ],
)
def test_formats_per_language(language: str, big: str, wait: str, long_wait: str, items: str) -> None:
    with using_language(language):
        assert number(12345.5) == big
        assert duration(3.2) == wait  # waits round up: "in 3 s" would be a promise broken
        assert duration(125) == long_wait
        assert listing(["a", "b", "c"]) == items


def test_dates_and_fixed_decimals() -> None:
    with using_language("de"):
        assert day(date(2026, 12, 31)) == "31.12.2026"
        assert number(1.5, decimals=2) == "1,50"
    with using_language("ja"):
        assert day(date(2026, 12, 31)) == "2026/12/31"
    assert number(1234) == "1,234"  # English outside any interaction


def test_hours_join_the_units() -> None:
    with using_language("en"):
        assert duration(3725) == "1 h 2 min 5 s"
