"""Cloning in words: a voice's visibility as members read it, and the refusals of the clone and
edit forms (`BadVoiceDetails`, `BadSamples`, `BadSample`, `NotAnImage`)."""

from __future__ import annotations

from bot.errors import BadSample, BadSamples, BadVoiceDetails, NotAnImage
from bot.i18n import N_, _, ngettext
from bot.i18n.formatting import number

# What a voice's visibility is called in replies (translated where shown: `visibility_name`).
VISIBILITY_NAMES = {"private": N_("private"), "unlist": N_("unlisted"), "public": N_("public")}


def visibility_name(value: str | None) -> str:
    """A visibility as members read it, in their language ("?" when Fish sends none)."""
    if not value:
        return "?"
    return _(VISIBILITY_NAMES[value]) if value in VISIBILITY_NAMES else value


def bad_voice_details(error: BadVoiceDetails) -> str:
    if error.why == "visibility":
        return _("“{value}” is not a visibility: private, unlisted or public.").format(value=error.typed[:20])
    if error.why == "no_title":
        return _("Give the voice a title.")
    if error.why == "title_too_long":
        return _("The title is {length} characters; keep it to {limit}.").format(
            length=number(error.length), limit=number(error.limit))
    if error.why == "description_too_long":
        return _("The description is too long; keep it to {limit} characters.").format(
            limit=number(error.limit))
    if error.why == "too_many_tags":
        return _("At most {limit} tags, separated by commas.").format(limit=number(error.limit))
    return _("Tags are at most {limit} characters each.").format(limit=number(error.limit))


def bad_samples(error: BadSamples) -> str:
    if error.why == "none":
        return _("Attach at least one audio sample of the voice.")
    if error.why == "too_many":
        return ngettext("That's {count} sample; the limit is {limit}.",
                        "That's {count} samples; the limit is {limit}.", error.count).format(
            count=number(error.count), limit=number(error.limit))
    return ngettext(
        "Give a transcript for every sample or for none: I got {given} for {count} sample. "
        "Separate them with `|`, in the order of the samples.",
        "Give a transcript for every sample or for none: I got {given} for {count} samples. "
        "Separate them with `|`, in the order of the samples.",
        error.count,
    ).format(given=number(error.given), count=number(error.count))


def bad_sample(error: BadSample) -> str:
    if error.why == "too_long":
        return _("`{name}` is longer than {seconds} s. Trim it to the clearest part.").format(
            name=error.name, seconds=number(error.limit))
    if error.why == "too_short":
        return _("`{name}` is only {seconds} s; a voice needs at least {minimum} s of speech per sample "
                 "(10 s or more sounds best).").format(
            name=error.name, seconds=number(error.seconds, decimals=1), minimum=number(error.limit))
    return _("`{name}` is silent: there is no voice in it to clone.").format(name=error.name)


def not_an_image(error: NotAnImage) -> str:
    return _("`{name}` isn't an image; the cover must be PNG, JPEG or WebP.").format(name=error.name)
