"""Why a file was refused, each worded for the member who sent it (in the current language; the
file's name is the member's own, shown as it is)."""

from __future__ import annotations

from bot.errors import UserFacingError
from bot.i18n import _
from bot.i18n.formatting import number


class MediaError(UserFacingError):
    """A file that can't be used; the message names the file and says why."""


class FileTooLarge(MediaError):
    def __init__(self, name: str, size: int, limit: int) -> None:
        super().__init__(_("`{name}` is {size} MB; the limit is {limit} MB per file.").format(
            name=name, size=number(size / 1_048_576, decimals=1),
            limit=number(limit / 1_048_576, decimals=0)))


class EmptyAudio(MediaError):
    def __init__(self, name: str) -> None:
        super().__init__(_("`{name}` is empty: there is no audio in it.").format(name=name))


class NotAudio(MediaError):
    def __init__(self, name: str) -> None:
        super().__init__(_("`{name}` isn't an audio or video file I can read ({formats}).").format(
            name=name, formats="MP3, WAV, OGG/Opus, M4A, FLAC, WebM, MP4"))


class CorruptAudio(MediaError):
    def __init__(self, name: str) -> None:
        super().__init__(
            _("`{name}` looks like audio but is damaged: I couldn't decode it.").format(name=name))


class MediaTimeout(MediaError):
    def __init__(self, name: str) -> None:
        super().__init__(
            _("Reading `{name}` took too long. Try a shorter or simpler file.").format(name=name))


class TooMuchAudio(MediaError):
    """Decoding gave more audio than the file's length allows (the output cap was reached)."""

    def __init__(self, name: str) -> None:
        super().__init__(_("`{name}` is too long or damaged: it decodes to far more audio than it "
                           "should. Try a shorter file.").format(name=name))


class MediaBusy(MediaError):
    """The line for audio processing is full."""

    def __init__(self) -> None:
        super().__init__(
            _("I'm busy processing other members' audio right now. Try again in a minute."))
