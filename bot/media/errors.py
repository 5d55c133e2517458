"""Why a file was refused, each worded for the member who sent it."""

from __future__ import annotations

from bot.errors import UserFacingError


class MediaError(UserFacingError):
    """A file that can't be used; the message names the file and says why."""


class FileTooLarge(MediaError):
    def __init__(self, name: str, size: int, limit: int) -> None:
        super().__init__(
            f"`{name}` is {size / 1_048_576:.1f} MB; the limit is {limit / 1_048_576:.0f} MB per file."
        )


class EmptyAudio(MediaError):
    def __init__(self, name: str) -> None:
        super().__init__(f"`{name}` is empty: there is no audio in it.")


class NotAudio(MediaError):
    def __init__(self, name: str) -> None:
        super().__init__(
            f"`{name}` isn't an audio or video file I can read (MP3, WAV, OGG/Opus, M4A, FLAC, WebM, MP4)."
        )


class CorruptAudio(MediaError):
    def __init__(self, name: str) -> None:
        super().__init__(f"`{name}` looks like audio but is damaged: I couldn't decode it.")


class MediaTimeout(MediaError):
    def __init__(self, name: str) -> None:
        super().__init__(f"Reading `{name}` took too long. Try a shorter or simpler file.")
