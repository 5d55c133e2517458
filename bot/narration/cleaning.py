"""Turning a Discord message into what is worth saying aloud. Pure and table-tested.

Order matters: code and spoilers go first (their insides are not read), then Discord's markup
(mentions, custom emoji, timestamps), links, Markdown, Unicode emoji, invisible characters,
repeated characters and whitespace.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import emoji

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
_TIMESTAMP = re.compile(r"<t:-?\d+(?::[tTdDfFR])?>")
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


def _emoji_name(chars: str, data: dict[str, str]) -> str:
    return " " + data["en"].strip(":").replace("_", " ") + " "


def _attachments_phrase(kinds: Sequence[str]) -> str:
    """["image", "image", "file"] → "2 images and a file"."""
    counts: dict[str, int] = {}
    for kind in kinds:
        counts[kind] = counts.get(kind, 0) + 1
    parts = [(f"an {kind}" if kind[0] in "aeiou" else f"a {kind}") if n == 1 else f"{n} {kind}s"
             for kind, n in counts.items()]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def clean(text: str, *, names: Names | None = None, options: CleanOptions | None = None,
          attachments: Sequence[str] = ()) -> str:
    """The words to speak for `text` ("" when nothing is left). `attachments` are kinds such as
    "image", "file", "sticker", "video", "voice message"."""
    names = names or Names()
    options = options or CleanOptions()
    text = _CODE_BLOCK.sub(" a code block ", text)
    text = _INLINE_CODE.sub(" a code block ", text)
    text = _SPOILER.sub(" a spoiler ", text)
    text = _USER.sub(lambda m: names.user(int(m[1])) or "someone", text)
    text = _ROLE.sub(lambda m: names.role(int(m[1])) or "a role", text)
    text = _CHANNEL.sub(lambda m: names.channel(int(m[1])) or "a channel", text)
    text = _SLASH.sub(lambda m: f"slash {m[1]}", text)
    text = _MASS_MENTION.sub(lambda m: m[1] if options.read_everyone else " ", text)
    text = _TIMESTAMP.sub(" a time ", text)
    text = _CUSTOM_EMOJI.sub(
        lambda m: f" {m[1].replace('_', ' ')} " if options.custom_emoji == "name" else " ", text
    )
    text = _MASKED_LINK.sub(r"\1", text)
    text = _URL.sub(" a link ", text)
    text = _HEADER.sub("", text)
    text = _QUOTE.sub("", text)
    text = _LIST.sub("", text)
    for _ in range(3):  # nested emphasis: ***x***, **_x_**
        text = _UNDERSCORE.sub(r"\1", _EMPHASIS.sub(r"\2", text))
    if options.unicode_emoji == "name":
        text = emoji.replace_emoji(text, replace=_emoji_name)
    else:
        text = emoji.replace_emoji(text, replace=" ")
    text = _INVISIBLE.sub("", text)
    if options.max_repeat > 0:
        repeat = options.max_repeat
        text = re.sub(rf"(.)\1{{{repeat},}}", lambda m: m[1] * repeat, text)
    text = _SPACES.sub(" ", text).strip()
    if attachments:
        things = _attachments_phrase(attachments)
        text = f"{text}, with {things}" if text else things
    return text
