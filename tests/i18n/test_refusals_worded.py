"""Every refusal (data in bot/errors.py and bot/media/errors.py) has its words in bot.wording, and
they are the member's language: each case of each refusal, worded in the pseudo-locale."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from bot import clock, errors
from bot.errors import (
    BadEntry,
    BadLine,
    BadNameTemplate,
    BadSample,
    BadSamples,
    BadScript,
    BadVoiceDetails,
    ClipTooLarge,
    NotAnImage,
    QuotaExceeded,
    Refusal,
    SpeakerRefused,
    UnknownSpeakers,
)
from bot.i18n import catalogs, using_language
from bot.media import errors as media_errors
from bot.media.errors import DownloadFailed, FileTooLarge, MediaBusy, MediaError, NotAudio
from bot.wording import describe
from bot.wording.errors import REFUSALS
from tests.i18n import pseudo

SOON = timedelta(hours=5, minutes=3)


def every_refusal() -> list[type[Refusal]]:
    found, todo = [], [Refusal]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo += cls.__subclasses__()
    return [cls for cls in found if cls.__module__ in (errors.__name__, media_errors.__name__)]


def test_every_refusal_has_its_words() -> None:
    abstract = {Refusal, MediaError}
    unworded = [cls.__name__ for cls in every_refusal() if cls not in abstract
                and not any(base in REFUSALS for base in cls.__mro__[:cls.__mro__.index(Refusal)])]
    assert unworded == []


@pytest.fixture
def in_pseudo() -> Iterator[None]:
    catalogs.register(pseudo.LANGUAGE, pseudo.catalog())
    with using_language(pseudo.LANGUAGE):
        yield
    catalogs.unregister(pseudo.LANGUAGE)


def cases() -> list[Refusal]:
    resets_at = clock.utc_now() + SOON
    return [
        *(QuotaExceeded(kind=kind, scope=scope, limit=limit, used=limit, requested=3, resets_at=resets_at)
          for kind in ("tts_bytes", "clones", "transcribe_seconds", "voice_designs")
          for scope in ("member", "guild") for limit in (0, 10)),
        *(BadVoiceDetails(why, length=70, limit=64, typed="everyone")
          for why in ("no_title", "title_too_long", "description_too_long", "too_many_tags", "tag_too_long",
                      "visibility")),
        BadSamples("none"), BadSamples("too_many", count=9, limit=5),
        BadSamples("transcripts", count=2, given=1),
        BadSample("a.mp3", "too_long", seconds=200, limit=120),
        BadSample("a.mp3", "too_short", seconds=2.5, limit=8),
        BadSample("a.mp3", "silent"), NotAnImage("cover.txt"),
        BadScript("lines", lines=tuple(BadLine(n, why, "Ann") for n, why in
                                       ((1, "no_speaker"), (2, "no_words")) * 4)),
        BadScript("empty"), BadScript("too_many_speakers", count=5, limit=4),
        BadScript("too_long", count=900, limit=800), BadScript("nothing_left"),
        UnknownSpeakers(["Zed", "Ann"]),
        *(BadEntry(field, why, limit=50) for field, whys in (
            ("word", ("empty", "too_long", "mentions", "markup", "no_letter")),
            ("replacement", ("empty", "too_long", "mentions", "markup")),
            ("fallback", ("empty", "too_long", "mentions", "markup", "lonely_fallback")),
            ("phonemes", ("empty", "too_long", "phoneme_characters"))) for why in whys),
        *(BadNameTemplate(why, limit=60) for why in ("no_name", "too_long", "mentions", "placeholder")),
        *(SpeakerRefused("<#5>", why) for why in ("muted", "audience", "no_speak")),
        FileTooLarge("a.mp3", 3_000_000, 2_097_152), DownloadFailed("a.mp3"), NotAudio("a.mp3"), MediaBusy(),
        ClipTooLarge(),
    ]


def test_refusals_are_worded_in_the_current_language(in_pseudo: None) -> None:
    texts = [describe(refusal) for refusal in cases()]
    assert all(texts)
    # The member's own words come back as they typed them, inside “…” or ** **.
    assert pseudo.unmarked([t or "" for t in texts], values=["“Ann”", "“everyone”", "**Zed**", "**Ann**",
                                                               "Ann"]) == []


def test_a_quota_reset_is_worded_from_the_time_it_happens(set_now) -> None:
    """The refusal holds when the quotas reset; the wait is worded when the member reads it."""
    now = clock.utc_now()
    refusal = QuotaExceeded(kind="clones", scope="member", limit=2, used=2, requested=1,
                            resets_at=now + SOON)
    assert "resets in 5 h 3 min" in str(describe(refusal))
    set_now(now + timedelta(hours=5))
    assert "resets in 3 min" in str(describe(refusal))
