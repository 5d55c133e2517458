"""Checking everything a clone needs before a single credit is spent: title, samples (decoded, of
the right length, in a format Fish takes), transcripts, cover image."""

from __future__ import annotations

from dataclasses import dataclass

import discord
from discord import app_commands

from bot.config import CloneSection
from bot.errors import UserFacingError
from bot.fish import Visibility
from bot.media import convert, download_attachment, probe, temporary_copy

TITLE_LIMIT = 64
DESCRIPTION_LIMIT = 500
TAG_LIMIT, TAGS_MAX = 30, 10
COVER_MAX_BYTES = 5 * 1024 * 1024
# Fish takes .wav, .mp3, .m4a and .opus for persistent voices (fish-audio-api.md §8): these go up
# untouched; anything else (FLAC, WebM, a video's soundtrack…) is re-encoded to WAV.
_AS_IS = {("mp3", "mp3"), ("wav", "pcm_s16le"), ("ogg", "opus"), ("mov,mp4,m4a,3gp,3g2,mj2", "aac")}


# Members read "unlisted"; the API's value is "unlist".
VISIBILITY_CHOICES = [
    app_commands.Choice(name="private (only you)", value="private"),
    app_commands.Choice(name="unlisted (anyone with the id)", value="unlist"),
    app_commands.Choice(name="public (listed in the library)", value="public"),
]
VISIBILITY_NAMES = {"private": "private", "unlist": "unlisted", "public": "public"}
_VISIBILITIES: dict[str, Visibility] = {"private": "private", "unlist": "unlist", "public": "public"}


def visibility_of(value: str) -> Visibility:
    """A choice's value as the API's visibility."""
    try:
        return _VISIBILITIES[value]
    except KeyError:
        raise UserFacingError(f"“{value[:20]}” is not a visibility: private, unlisted or public.") from None


@dataclass(frozen=True)
class Sample:
    name: str
    audio: bytes
    seconds: float
    converted: bool


def check_title(title: str) -> str:
    title = " ".join(title.split())
    if not title:
        raise UserFacingError("Give the voice a title.")
    if len(title) > TITLE_LIMIT:
        raise UserFacingError(f"The title is {len(title)} characters; keep it to {TITLE_LIMIT}.")
    return title


def check_description(description: str | None) -> str | None:
    if description is not None and len(description) > DESCRIPTION_LIMIT:
        raise UserFacingError(f"The description is too long; keep it to {DESCRIPTION_LIMIT} characters.")
    return description.strip() or None if description else None


def parse_tags(tags: str | None) -> list[str]:
    found = [t.strip().lower() for t in (tags or "").split(",") if t.strip()]
    if len(found) > TAGS_MAX:
        raise UserFacingError(f"At most {TAGS_MAX} tags, separated by commas.")
    if any(len(t) > TAG_LIMIT for t in found):
        raise UserFacingError(f"Tags are at most {TAG_LIMIT} characters each.")
    return list(dict.fromkeys(found))


def split_transcripts(transcript: str | None, samples: int) -> list[str] | None:
    """One transcript per sample, separated by `|` in order, or none at all (Fish then transcribes
    the samples itself). A transcript for some samples but not others is refused."""
    if transcript is None or not transcript.strip():
        return None
    parts = [part.strip() for part in transcript.split("|")]
    if len(parts) != samples or not all(parts):
        raise UserFacingError(
            f"Give a transcript for every sample or for none: I got {sum(1 for p in parts if p)} "
            f"for {samples} sample(s). Separate them with `|`, in the order of the samples."
        )
    return parts


def check_sample_count(count: int, settings: CloneSection) -> None:
    if count == 0:
        raise UserFacingError("Attach at least one audio sample of the voice.")
    if count > settings.max_samples:
        raise UserFacingError(f"That's {count} samples; the limit is {settings.max_samples}.")


async def prepare_sample(attachment: discord.Attachment, settings: CloneSection) -> Sample:
    """Download, decode and check one sample; re-encode it if Fish would not take it as it is."""
    name = attachment.filename
    data = await download_attachment(attachment, max_bytes=int(settings.max_file_mb * 1024 * 1024))
    async with temporary_copy(data) as path:
        info = await probe(path, name=name, cap_s=settings.max_seconds + 1)
        if info.duration_s > settings.max_seconds:
            raise UserFacingError(
                f"`{name}` is longer than {settings.max_seconds:g} s. Trim it to the clearest part."
            )
        if info.duration_s < settings.min_seconds:
            raise UserFacingError(
                f"`{name}` is only {info.duration_s:.1f} s; a voice needs at least "
                f"{settings.min_seconds:g} s of speech per sample (10 s or more sounds best)."
            )
        if info.silent:
            raise UserFacingError(f"`{name}` is silent: there is no voice in it to clone.")
        if (info.format_name, info.codec) in _AS_IS and not info.has_video:
            return Sample(name, data, info.duration_s, converted=False)
        audio = await convert(path, name=name, fmt="wav", cap_s=settings.max_seconds)
        return Sample(name, audio, info.duration_s, converted=True)


async def read_cover(attachment: discord.Attachment | None) -> bytes | None:
    if attachment is None:
        return None
    if not (attachment.content_type or "").startswith("image/"):
        raise UserFacingError(f"`{attachment.filename}` isn't an image; the cover must be PNG, JPEG or WebP.")
    return await download_attachment(attachment, max_bytes=COVER_MAX_BYTES)
