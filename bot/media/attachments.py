"""Finding the audio in a Discord message and downloading it with a hard size cap."""

from __future__ import annotations

from pathlib import PurePosixPath

import discord
import httpx

from bot.media.errors import DownloadFailed, FileTooLarge

# Used only when Discord gave no content type; the file is still probed by decoding.
_MEDIA_SUFFIXES = {".mp3", ".wav", ".ogg", ".oga", ".opus", ".m4a", ".mp4", ".mov", ".webm",
                   ".mkv", ".flac", ".aac", ".aif", ".aiff", ".caf"}


def is_voice_message(message: discord.Message) -> bool:
    return message.flags.voice or any(a.is_voice_message() for a in message.attachments)


def _looks_like_media(attachment: discord.Attachment) -> bool:
    if attachment.is_voice_message():
        return True
    kind = (attachment.content_type or "").split("/", 1)[0]
    if kind in ("audio", "video"):
        return True
    suffix = PurePosixPath(attachment.filename).suffix.lower()
    return not attachment.content_type and suffix in _MEDIA_SUFFIXES


def audio_attachments(message: discord.Message) -> list[discord.Attachment]:
    """The message's audio/video attachments, voice message first."""
    found = [a for a in message.attachments if _looks_like_media(a)]
    return sorted(found, key=lambda a: not a.is_voice_message())


async def download_url(url: str, *, max_bytes: int, timeout_s: float = 10.0) -> bytes | None:
    """The body at `url` (e.g. a voice's signed sample), or None when it can't be had in time,
    is refused (an expired signature), or grows past `max_bytes`."""
    chunks: list[bytes] = []
    received = 0
    try:
        async with (
            httpx.AsyncClient(timeout=timeout_s, follow_redirects=True) as client,
            client.stream("GET", url) as response,
        ):
            if response.status_code != 200:
                return None
            async for chunk in response.aiter_bytes():
                received += len(chunk)
                if received > max_bytes:
                    return None
                chunks.append(chunk)
    except httpx.HTTPError:
        return None
    return b"".join(chunks) or None


async def download_attachment(
    attachment: discord.Attachment, *, max_bytes: int, timeout_s: float = 60.0
) -> bytes:
    """The attachment's bytes; refuses before downloading when Discord reports it too large, and
    stops reading if the body grows past `max_bytes` anyway."""
    if attachment.size > max_bytes:
        raise FileTooLarge(attachment.filename, attachment.size, max_bytes)
    chunks: list[bytes] = []
    received = 0
    try:
        async with (
            httpx.AsyncClient(timeout=timeout_s, follow_redirects=True) as client,
            client.stream("GET", attachment.url) as response,
        ):
            response.raise_for_status()
            async for chunk in response.aiter_bytes():
                received += len(chunk)
                if received > max_bytes:
                    raise FileTooLarge(attachment.filename, received, max_bytes)
                chunks.append(chunk)
    except httpx.HTTPError:
        raise DownloadFailed(attachment.filename) from None
    return b"".join(chunks)
