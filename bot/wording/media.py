"""Refused files in words (`bot.media.errors`): each names the member's file and says why."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.i18n import _
from bot.i18n.formatting import number
from bot.media.errors import (
    CorruptAudio,
    DownloadFailed,
    EmptyAudio,
    FileTooLarge,
    MediaBusy,
    MediaTimeout,
    NotAudio,
    TooMuchAudio,
)

FORMATS = "MP3, WAV, OGG/Opus, M4A, FLAC, WebM, MP4"


def _too_large(error: FileTooLarge) -> str:
    return _("`{name}` is {size} MB; the limit is {limit} MB per file.").format(
        name=error.name, size=number(error.size / 1_048_576, decimals=1),
        limit=number(error.limit / 1_048_576, decimals=0))


MEDIA_REFUSALS: dict[type[BaseException], Callable[[Any], str]] = {
    FileTooLarge: _too_large,
    DownloadFailed: lambda e: _("I couldn't download `{name}` from Discord. Try again in a moment.").format(
        name=e.name),
    EmptyAudio: lambda e: _("`{name}` is empty: there is no audio in it.").format(name=e.name),
    NotAudio: lambda e: _("`{name}` isn't an audio or video file I can read ({formats}).").format(
        name=e.name, formats=FORMATS),
    CorruptAudio: lambda e: _("`{name}` looks like audio but is damaged: I couldn't decode it.").format(
        name=e.name),
    MediaTimeout: lambda e: _("Reading `{name}` took too long. Try a shorter or simpler file.").format(
        name=e.name),
    TooMuchAudio: lambda e: _("`{name}` is too long or damaged: it decodes to far more audio than it "
                              "should. Try a shorter file.").format(name=e.name),
    MediaBusy: lambda _e: _("I'm busy processing other members' audio right now. Try again in a minute."),
}
