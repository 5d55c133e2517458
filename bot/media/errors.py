"""Why a file was refused, as data (`bot.errors.Refusal`): the file's name (the member's own) and
the facts; `bot.wording.media` words each for the member who sent it."""

from __future__ import annotations

from bot.errors import Refusal


class MediaError(Refusal):
    """A file (`name`) that can't be used; the subclass says why."""

    def __init__(self, name: str = "") -> None:
        super().__init__(name)
        self.name = name


class FileTooLarge(MediaError):
    """`size` bytes (as far as they were counted) over the `limit` per file."""

    def __init__(self, name: str, size: int, limit: int) -> None:
        super().__init__(name)
        self.size, self.limit = size, limit


class DownloadFailed(MediaError):
    """Discord's CDN didn't hand the file over."""


class EmptyAudio(MediaError):
    pass


class NotAudio(MediaError):
    pass


class CorruptAudio(MediaError):
    pass


class MediaTimeout(MediaError):
    pass


class TooMuchAudio(MediaError):
    """Decoding gave more audio than the file's length allows (the output cap was reached)."""


class MediaBusy(MediaError):
    """The line for audio processing is full."""
