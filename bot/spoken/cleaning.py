"""Turning a Discord message into what is worth saying aloud. Pure and table-tested.

Order matters: code and spoilers go first (their insides are not read), then Discord's markup
(mentions, custom emoji, timestamps), links, Markdown, the language's chat conventions, Unicode
emoji, invisible characters, repeated characters and whitespace.

What the bot says in place of things ("a link", "2 images") is in the language of the message
(`bot.spoken.language`), from the gettext catalogs under the context "spoken".
"""

from __future__ import annotations

import contextlib
import datetime
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import emoji
from babel import UnknownLocaleError
from babel.lists import format_list

from bot import clock
from bot.i18n import DEFAULT_LANGUAGE, npgettext, pgettext, using_language
from bot.i18n.formatting import relative
from bot.spoken import conventions

EmojiMode = Literal["skip", "name"]

_CODE_BLOCK = re.compile(r"```.*?(?:```|$)", re.DOTALL)
_INLINE_CODE = re.compile(r"`[^`\n]+`")
_SPOILER = re.compile(r"\|\|.+?\|\|", re.DOTALL)
_USER = re.compile(r"<@!?(\d+)>")
_ROLE = re.compile(r"<@&(\d+)>")
_CHANNEL = re.compile(r"<#(\d+)>")
_SLASH = re.compile(r"</([\w -]+):\d+>")
# Discord's mass mentions: Fish would say "at everyone".
_MASS_MENTION = re.compile(r"@(everyone|here)\b")
_TIMESTAMP = re.compile(r"<t:(-?\d+)(?::([tTdDfFR]))?>")
_CUSTOM_EMOJI = re.compile(r"<a?:(\w+):\d+>")
_MASKED_LINK = re.compile(r"\[([^\]]+)\]\(<?https?://[^)\s]+>?\)")
_URL = re.compile(r"<?https?://[^\s>]+>?")
_HEADER = re.compile(r"^(?:#{1,3}|-#)\s+", re.MULTILINE)
_QUOTE = re.compile(r"^>{1,3}\s?", re.MULTILINE)
_LIST = re.compile(r"^\s*(?:[-*+]|\d+\.)\s+", re.MULTILINE)
_EMPHASIS = re.compile(r"(\*\*\*|\*\*|\*|__|~~)(?=\S)(.+?)(?<=\S)\1", re.DOTALL)
# Like Discord, a single underscore only emphasises at word edges (snake_case stays).
_UNDERSCORE = re.compile(r"(?<!\w)_(?=\S)(.+?)(?<=\S)_(?!\w)", re.DOTALL)
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff\u00ad]")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class CleanOptions:
    custom_emoji: EmojiMode = "name"
    unicode_emoji: EmojiMode = "skip"
    max_repeat: int = 3  # "soooooo" → "sooo", "!!!!!!" → "!!!"
    read_everyone: bool = True  # "@everyone" / "@here" said as "everyone" / "here", or skipped


@dataclass(frozen=True)
class Names:
    """How to say the ids in a message (a missing one is said generically)."""

    user: Callable[[int], str | None] = lambda _id: None
    role: Callable[[int], str | None] = lambda _id: None
    channel: Callable[[int], str | None] = lambda _id: None


# The emoji library's name data for each shipped language (Chinese has one, in simplified script).
_EMOJI_LANGUAGES = {"ja": "ja", "ko": "ko", "zh_Hans": "zh", "zh_Hant": "zh", "es": "es", "pt_BR": "pt",
                    "fr": "fr", "de": "de"}
# Babel's list patterns, except English: fishbot has always said "a, b and c".
_LIST_LOCALES = {DEFAULT_LANGUAGE: "en_GB"}


def _emoji_namer(language: str) -> Callable[[str, dict[str, str]], str]:
    key = _EMOJI_LANGUAGES.get(language, "en")
    if key != "en" and not emoji.EMOJI_DATA["😀"].get(key):
        emoji.config.load_language(key)  # once per language, on first use

    def name(chars: str, data: dict[str, str]) -> str:
        return " " + (data.get(key) or data["en"]).strip(":").replace("_", " ") + " "

    return name


def _attachment(kind: str, n: int) -> str:
    """One kind of attachment, counted, in the current language."""
    if kind == "image":
        return npgettext("spoken", "an image", "{count} images", n).format(count=n)
    if kind == "video":
        return npgettext("spoken", "a video", "{count} videos", n).format(count=n)
    if kind == "audio file":
        return npgettext("spoken", "an audio file", "{count} audio files", n).format(count=n)
    if kind == "voice message":
        return npgettext("spoken", "a voice message", "{count} voice messages", n).format(count=n)
    if kind == "sticker":
        return npgettext("spoken", "a sticker", "{count} stickers", n).format(count=n)
    return npgettext("spoken", "a file", "{count} files", n).format(count=n)


def _attachments_phrase(kinds: Sequence[str], language: str) -> str:
    """["image", "image", "file"] → "2 images and a file" (in the current language)."""
    counts: dict[str, int] = {}
    for kind in kinds:
        counts[kind] = counts.get(kind, 0) + 1
    parts = [_attachment(kind, n) for kind, n in counts.items()]
    try:
        return format_list(parts, locale=_LIST_LOCALES.get(language, language))
    except (UnknownLocaleError, ValueError):  # a language Babel doesn't know: English's pattern
        return format_list(parts, locale=_LIST_LOCALES[DEFAULT_LANGUAGE])


def mentioned_users(text: str) -> list[int]:
    """The ids of the members `text` mentions (`<@id>`), each once, in order."""
    return list(dict.fromkeys(int(match[1]) for match in _USER.finditer(text)))


def clean(text: str, *, names: Names | None = None, options: CleanOptions | None = None,
          attachments: Sequence[str] = (), language: str = DEFAULT_LANGUAGE) -> str:
    """The words to speak for `text` ("" when nothing is left). `attachments` are kinds such as
    "image", "file", "sticker", "video", "voice message". What the bot says in place of things
    is in `language` (the message's: `bot.spoken.language.detect`)."""
    names = names or Names()
    options = options or CleanOptions()
    with using_language(language):
        code = " " + pgettext("spoken", "a code block") + " "
        spoiler = " " + pgettext("spoken", "a spoiler") + " "
        text = _CODE_BLOCK.sub(lambda _m: code, text)
        text = _INLINE_CODE.sub(lambda _m: code, text)
        text = _SPOILER.sub(lambda _m: spoiler, text)
        text = _USER.sub(lambda m: names.user(int(m[1])) or pgettext("spoken", "someone"), text)
        text = _ROLE.sub(lambda m: names.role(int(m[1])) or pgettext("spoken", "a role"), text)
        text = _CHANNEL.sub(lambda m: names.channel(int(m[1])) or pgettext("spoken", "a channel"), text)
        text = _SLASH.sub(lambda m: pgettext("spoken", "slash {command}").format(command=m[1]), text)
        text = _MASS_MENTION.sub(lambda m: _mass_mention(m[1]) if options.read_everyone else " ", text)
        text = _TIMESTAMP.sub(_timestamp, text)
        text = _CUSTOM_EMOJI.sub(
            lambda m: f" {m[1].replace('_', ' ')} " if options.custom_emoji == "name" else " ", text
        )
        text = _MASKED_LINK.sub(r"\1", text)
        link = " " + pgettext("spoken", "a link") + " "
        text = _URL.sub(lambda _m: link, text)
        text = _HEADER.sub("", text)
        text = _QUOTE.sub("", text)
        text = _LIST.sub("", text)
        for _ in range(3):  # nested emphasis: ***x***, **_x_**
            text = _UNDERSCORE.sub(r"\1", _EMPHASIS.sub(r"\2", text))
        text = conventions.apply(text, language)
        if options.unicode_emoji == "name":
            text = emoji.replace_emoji(text, replace=_emoji_namer(language))
        else:
            text = emoji.replace_emoji(text, replace=" ")
        text = _INVISIBLE.sub("", text)
        if options.max_repeat > 0:
            repeat = options.max_repeat
            text = re.sub(rf"(.)\1{{{repeat},}}", lambda m: m[1] * repeat, text)
        text = _SPACES.sub(" ", text).strip()
        if attachments:
            things = _attachments_phrase(attachments, language)
            if text:
                text = pgettext("spoken", "{text}, with {things}").format(text=text, things=things)
            else:
                text = things
    return text


def _timestamp(match: re.Match[str]) -> str:
    """A relative timestamp ("<t:…:R>") is said as members see it, "in 3 hours"; the others are
    shown in each reader's own time zone, which the bot doesn't know, so they are "a time"."""
    if match[2] == "R":
        with contextlib.suppress(OverflowError, ValueError, OSError):
            moment = datetime.datetime.fromtimestamp(int(match[1]), datetime.UTC)
            return " " + relative(moment - clock.utc_now()) + " "
    return " " + pgettext("spoken", "a time") + " "


def _mass_mention(which: str) -> str:
    """@everyone / @here, said as a word."""
    return pgettext("spoken", "everyone") if which == "everyone" else pgettext("spoken", "here")
