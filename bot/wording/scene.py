"""Scenes in words: what is wrong with a script (`BadScript`) and who is unknown in it
(`UnknownSpeakers`)."""

from __future__ import annotations

from bot.errors import BadLine, BadScript, UnknownSpeakers
from bot.i18n import _, ngettext
from bot.i18n.formatting import listing, number

SHOWN_LINES = 5  # the wrong lines named at once; more are "…"


def _quote(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _bad_line(line: BadLine) -> str:
    if line.why == "no_speaker":
        return _("line {number} (“{text}”) has no “Speaker:” in front").format(
            number=number(line.number), text=_quote(line.text))
    return _("line {number} gives {speaker} nothing to say").format(
        number=number(line.number), speaker=_quote(line.text))


def bad_script(error: BadScript) -> str:
    if error.why == "lines":
        shown = [_bad_line(line) for line in error.lines[:SHOWN_LINES]]
        problems = "; ".join(shown) + ("; …" if len(error.lines) > SHOWN_LINES else ".")
        return _("Every line needs a speaker, a colon and what they say, like `Ann: Hello!`. "
                 "Fix: {problems}").format(problems=problems)
    if error.why == "empty":
        return _("The script is empty. Write one line per turn, like `Ann: Hello!`.")
    if error.why == "too_many_speakers":
        return _("That scene has {count} speakers; the limit is {limit}.").format(
            count=number(error.count), limit=number(error.limit))
    if error.why == "too_long":
        return _("That scene is {count} characters of speech; the limit is {limit}.").format(
            count=number(error.count), limit=number(error.limit))
    return _("After taking out the cues there is nothing left to say.")


def unknown_speakers(error: UnknownSpeakers) -> str:
    names = listing([f"**{_quote(label)}**" for label in error.labels])
    text = ngettext(
        "I don't know who {names} is. A speaker is a member (a mention, or the name of someone in a voice "
        "channel here) or a voice you can use (its exact title). Nothing was spent.",
        "I don't know who {names} are. A speaker is a member (a mention, or the name of someone in a voice "
        "channel here) or a voice you can use (its exact title). Nothing was spent.",
        len(error.labels),
    )
    return text.format(names=names)
