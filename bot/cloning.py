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
from bot.errors import UserFacingError
from bot.fish import Visibility
from bot.i18n import N_, _, ngettext
from bot.i18n.formatting import number
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
# What a voice's visibility is called in replies (translated where shown: `visibility_name`).
VISIBILITY_NAMES = {"private": N_("private"), "unlist": N_("unlisted"), "public": N_("public")}
_VISIBILITIES: dict[str, Visibility] = {"private": "private", "unlist": "unlist", "public": "public"}


def visibility_name(value: str | None) -> str:
    """A visibility as members read it, in their language ("?" when Fish sends none)."""
    if not value:
        return "?"
    return _(VISIBILITY_NAMES[value]) if value in VISIBILITY_NAMES else value


def visibility_of(value: str) -> Visibility:
    """A choice's value as the API's visibility."""
    try:
        return _VISIBILITIES[value]
    except KeyError:
        raise UserFacingError(_("“{value}” is not a visibility: private, unlisted or public.").format(
            value=value[:20])) from None


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
        raise UserFacingError(_("Give the voice a title."))
    if len(title) > TITLE_LIMIT:
        raise UserFacingError(_("The title is {length} characters; keep it to {limit}.").format(
            length=number(len(title)), limit=number(TITLE_LIMIT)))
    return title


def check_description(description: str | None) -> str | None:
    if description is not None and len(description) > DESCRIPTION_LIMIT:
        raise UserFacingError(_("The description is too long; keep it to {limit} characters.").format(
            limit=number(DESCRIPTION_LIMIT)))
    return description.strip() or None if description else None


def parse_tags(tags: str | None) -> list[str]:
    found = [t.strip().lower() for t in (tags or "").split(",") if t.strip()]
    if len(found) > TAGS_MAX:
        raise UserFacingError(_("At most {limit} tags, separated by commas.").format(limit=number(TAGS_MAX)))
    if any(len(t) > TAG_LIMIT for t in found):
        raise UserFacingError(_("Tags are at most {limit} characters each.").format(limit=number(TAG_LIMIT)))
    return list(dict.fromkeys(found))


def split_transcripts(transcript: str | None, samples: int) -> list[str] | None:
    """One transcript per sample, separated by `|` in order, or none at all (Fish then transcribes
    the samples itself). A transcript for some samples but not others is refused."""
    if transcript is None or not transcript.strip():
        return None
    parts = [part.strip() for part in transcript.split("|")]
    if len(parts) != samples or not all(parts):
        raise UserFacingError(ngettext(
            "Give a transcript for every sample or for none: I got {given} for {count} sample. "
            "Separate them with `|`, in the order of the samples.",
            "Give a transcript for every sample or for none: I got {given} for {count} samples. "
            "Separate them with `|`, in the order of the samples.",
            samples,
        ).format(given=number(sum(1 for p in parts if p)), count=number(samples)))
    return parts


def check_sample_count(count: int, settings: CloneSection) -> None:
    if count == 0:
        raise UserFacingError(_("Attach at least one audio sample of the voice."))
    if count > settings.max_samples:
        raise UserFacingError(ngettext("That's {count} sample; the limit is {limit}.",
                                       "That's {count} samples; the limit is {limit}.", count).format(
            count=number(count), limit=number(settings.max_samples)))


async def check_sample(attachment: discord.Attachment, settings: CloneSection,
                       notice: Notice | None = None) -> Sample:
    """Download one sample and check it by decoding (nothing is kept but the download)."""
    name = attachment.filename
    data = await download_attachment(attachment, max_bytes=int(settings.max_file_mb * 1024 * 1024))
    async with slot(notice), temporary_copy(data) as path:
        info = await probe(path, name=name, cap_s=settings.max_seconds + 1)
    if info.duration_s > settings.max_seconds:
        raise UserFacingError(
            _("`{name}` is longer than {seconds} s. Trim it to the clearest part.").format(
                name=name, seconds=number(settings.max_seconds))
        )
    if info.duration_s < settings.min_seconds:
        raise UserFacingError(
            _("`{name}` is only {seconds} s; a voice needs at least {minimum} s of speech per sample "
              "(10 s or more sounds best).").format(
                name=name, seconds=number(info.duration_s, decimals=1),
                minimum=number(settings.min_seconds))
        )
    if info.silent:
        raise UserFacingError(
            _("`{name}` is silent: there is no voice in it to clone.").format(name=name))
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
        raise UserFacingError(_("`{name}` isn't an image; the cover must be PNG, JPEG or WebP.").format(
            name=attachment.filename))
    return await download_attachment(attachment, max_bytes=COVER_MAX_BYTES)
