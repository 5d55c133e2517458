"""Checking everything a clone needs before a single credit is spent: title, samples (decoded, of
the right length), transcripts, cover image; and each sample's form for the upload.

A checked sample is held as the member uploaded it (already compressed, and at most
`clone.max_file_mb`) through the consent question; only after consent is a sample Fish does not
take as it is re-encoded, to MP3 (mono, at most 48 kHz), with its output capped. A 250 KB FLAC
at 384 kHz would otherwise sit in memory as 230 MB of WAV while the member decides."""

from __future__ import annotations

from dataclasses import dataclass

import discord
from discord import app_commands

from bot.config import CloneSection
from bot.errors import BadSample, BadSamples, BadVoiceDetails, NotAnImage
from bot.fish import Visibility
from bot.media import (
    Notice,
    convert,
    download_attachment,
    encoded_bound,
    needs_resampling,
    probe,
    slot,
    temporary_copy,
)

TITLE_LIMIT = 64
DESCRIPTION_LIMIT = 500
TAG_LIMIT, TAGS_MAX = 30, 10
COVER_MAX_BYTES = 5 * 1024 * 1024
# Fish takes .wav, .mp3, .m4a and .opus for persistent voices (fish-audio-api.md §8): these go up
# untouched (at most 48 kHz); anything else (FLAC, WebM, a video's soundtrack…) is re-encoded.
_AS_IS = {("mp3", "mp3"), ("wav", "pcm_s16le"), ("ogg", "opus"), ("mov,mp4,m4a,3gp,3g2,mj2", "aac")}


# Members read "unlisted"; the API's value is "unlist".
VISIBILITY_CHOICES = [
    app_commands.Choice(name="private (only you)", value="private"),
    app_commands.Choice(name="unlisted (anyone with the id)", value="unlist"),
    app_commands.Choice(name="public (listed in the library)", value="public"),
]
_VISIBILITIES: dict[str, Visibility] = {"private": "private", "unlist": "unlist", "public": "public"}


def visibility_of(value: str) -> Visibility:
    """A choice's value as the API's visibility."""
    try:
        return _VISIBILITIES[value]
    except KeyError:
        raise BadVoiceDetails("visibility", typed=value) from None


@dataclass(frozen=True)
class Sample:
    """A checked sample, as the member uploaded it."""

    name: str
    data: bytes
    seconds: float
    as_is: bool  # Fish takes it as it is; otherwise `upload_form` re-encodes it
    resample: bool  # above 48 kHz


def check_title(title: str) -> str:
    title = " ".join(title.split())
    if not title:
        raise BadVoiceDetails("no_title")
    if len(title) > TITLE_LIMIT:
        raise BadVoiceDetails("title_too_long", length=len(title), limit=TITLE_LIMIT)
    return title


def check_description(description: str | None) -> str | None:
    if description is not None and len(description) > DESCRIPTION_LIMIT:
        raise BadVoiceDetails("description_too_long", length=len(description), limit=DESCRIPTION_LIMIT)
    return description.strip() or None if description else None


def parse_tags(tags: str | None) -> list[str]:
    found = [t.strip().lower() for t in (tags or "").split(",") if t.strip()]
    if len(found) > TAGS_MAX:
        raise BadVoiceDetails("too_many_tags", length=len(found), limit=TAGS_MAX)
    if any(len(t) > TAG_LIMIT for t in found):
        raise BadVoiceDetails("tag_too_long", length=max(map(len, found)), limit=TAG_LIMIT)
    return list(dict.fromkeys(found))


def split_transcripts(transcript: str | None, samples: int) -> list[str] | None:
    """One transcript per sample, separated by `|` in order, or none at all (Fish then transcribes
    the samples itself). A transcript for some samples but not others is refused."""
    if transcript is None or not transcript.strip():
        return None
    parts = [part.strip() for part in transcript.split("|")]
    if len(parts) != samples or not all(parts):
        raise BadSamples("transcripts", count=samples, given=sum(1 for p in parts if p))
    return parts


def check_sample_count(count: int, settings: CloneSection) -> None:
    if count == 0:
        raise BadSamples("none")
    if count > settings.max_samples:
        raise BadSamples("too_many", count=count, limit=settings.max_samples)


async def check_sample(attachment: discord.Attachment, settings: CloneSection,
                       notice: Notice | None = None) -> Sample:
    """Download one sample and check it by decoding (nothing is kept but the download)."""
    name = attachment.filename
    data = await download_attachment(attachment, max_bytes=int(settings.max_file_mb * 1024 * 1024))
    async with slot(notice), temporary_copy(data) as path:
        info = await probe(path, name=name, cap_s=settings.max_seconds + 1)
    if info.duration_s > settings.max_seconds:
        raise BadSample(name, "too_long", seconds=info.duration_s, limit=settings.max_seconds)
    if info.duration_s < settings.min_seconds:
        raise BadSample(name, "too_short", seconds=info.duration_s, limit=settings.min_seconds)
    if info.silent:
        raise BadSample(name, "silent", seconds=info.duration_s)
    resample = needs_resampling(info)
    as_is = (info.format_name, info.codec) in _AS_IS and not info.has_video and not resample
    return Sample(name, data, info.duration_s, as_is=as_is, resample=resample)


async def upload_form(sample: Sample, settings: CloneSection, notice: Notice | None = None) -> bytes:
    """What goes to Fish: the sample as it is, or re-encoded to MP3 (mono, at most 48 kHz)."""
    if sample.as_is:
        return sample.data
    async with slot(notice), temporary_copy(sample.data) as path:
        return await convert(path, name=sample.name, fmt="mp3", resample=sample.resample,
                             cap_s=settings.max_seconds, max_bytes=encoded_bound(settings.max_seconds))


async def read_cover(attachment: discord.Attachment | None) -> bytes | None:
    if attachment is None:
        return None
    if not (attachment.content_type or "").startswith("image/"):
        raise NotAnImage(attachment.filename)
    return await download_attachment(attachment, max_bytes=COVER_MAX_BYTES)
