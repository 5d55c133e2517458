"""From a Discord message to the words to say: names for its mentions, its attachments, the
server's cleaning options and length limit, and the language to say what the bot adds in."""

from __future__ import annotations

import discord

from bot.i18n import DEFAULT_LANGUAGE
from bot.spoken import phrases
from bot.spoken.cleaning import CleanOptions, Names, clean
from bot.spoken.language import detect
from bot.spoken.settings import ServerSpeech


def attachment_kinds(message: discord.Message | discord.MessageSnapshot) -> list[str]:
    kinds = []
    for attachment in message.attachments:
        kind = (attachment.content_type or "").split("/", 1)[0]
        if attachment.is_voice_message():
            kinds.append("voice message")
        elif kind in ("image", "video"):
            kinds.append(kind)
        elif kind == "audio":
            kinds.append("audio file")
        else:
            kinds.append("file")
    kinds += ["sticker"] * len(message.stickers)
    return kinds


def names_for(message: discord.Message) -> Names:
    return names_in(message.guild, {user.id: user.display_name for user in message.mentions})


def names_in(guild: discord.Guild | None, mentioned: dict[int, str] | None = None) -> Names:
    """Names for the ids in a text written in `guild` (`mentioned`: those Discord resolved)."""
    mentioned = mentioned or {}

    def user(user_id: int) -> str | None:
        if user_id in mentioned:
            return mentioned[user_id]
        member = guild.get_member(user_id) if guild else None
        return member.display_name if member else None

    def role(role_id: int) -> str | None:
        found = guild.get_role(role_id) if guild else None
        return found.name if found else None

    def channel(channel_id: int) -> str | None:
        found = guild.get_channel_or_thread(channel_id) if guild else None
        return found.name if found else None

    return Names(user=user, role=role, channel=channel)


def clean_options(config: ServerSpeech) -> CleanOptions:
    return CleanOptions(custom_emoji=config.custom_emoji, unicode_emoji=config.unicode_emoji,
                        max_repeat=config.max_repeat, read_everyone=config.read_everyone)


def forwarded(message: discord.Message) -> discord.MessageSnapshot | None:
    """The forwarded message's snapshot, when `message` is a forward (its own content is empty)."""
    reference = message.reference
    if reference is None or reference.type is not discord.MessageReferenceType.forward:
        return None
    return message.message_snapshots[0] if message.message_snapshots else None


def unprefixed(content: str, config: ServerSpeech, *, asked: bool = False) -> str | None:
    """The content to read, or None when the ignore prefix (or a missing required prefix) says
    the message is not for reading. The required prefix itself is not read. A message someone
    `asked` to hear needs no required prefix (that prefix is what asks for automatic reading)."""
    if config.ignore_prefix and content.startswith(config.ignore_prefix):
        return None
    if config.required_prefix:
        if content.startswith(config.required_prefix):
            return content[len(config.required_prefix):]
        return content if asked else None
    return content


def message_language(message: discord.Message, server_language: str) -> str:
    """The language of what the bot says around this message (a forward: of its snapshot)."""
    snapshot = forwarded(message)
    return detect(snapshot.content if snapshot is not None else message.content, server_language)


def words_of(message: discord.Message, config: ServerSpeech, *, max_length: int,
             asked: bool = False, language: str = DEFAULT_LANGUAGE) -> str:
    """The words to read for a message ("" for none); a forward is read from its snapshot.
    `asked`: a member asked for this message ("Speak this message"), see `unprefixed`.
    `language`: the message's (`message_language`), for what the bot says in place of things."""
    snapshot = forwarded(message)
    if snapshot is not None:
        if config.required_prefix and not asked:  # a forward can't carry the required prefix
            return ""
        text = clean(snapshot.content, names=names_in(message.guild), options=clean_options(config),
                     attachments=attachment_kinds(snapshot), language=language)
    else:
        content = unprefixed(message.content, config, asked=asked)
        if content is None:
            return ""
        text = clean(content, names=names_for(message), options=clean_options(config),
                     attachments=attachment_kinds(message), language=language)
    if len(text) > max_length:
        cut = text[:max_length]
        text = phrases.and_so_on(cut.rsplit(" ", 1)[0] if " " in cut else cut, language)
    return text


def spoken_name(display_name: str, nickname: str | None, language: str = DEFAULT_LANGUAGE) -> str:
    """The nickname a member chose, else their display name without emoji and markup."""
    if nickname:
        return nickname
    return clean(display_name) or phrases.someone(language)
