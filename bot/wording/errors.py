"""Turning any error into one short, human message for the member, in the current language.

Refusals are data (`bot.errors`); they are worded here. Fish Audio errors are worded by
`bot.wording.fish.user_message`; anything unexpected gets a generic apology (and the caller logs
its traceback), never a traceback.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import discord
from discord import app_commands

from bot.errors import (
    BadEntry,
    BadNameTemplate,
    BadSample,
    BadSamples,
    BadScript,
    BadStyle,
    BadVoiceDetails,
    BotCannotSpeak,
    ChannelFull,
    ClipStalled,
    ClipTooLarge,
    ConnectTimedOut,
    DatabaseUnavailable,
    FishUnavailable,
    JoinFailed,
    NotAnImage,
    NotInVoice,
    QueueFull,
    QuotaExceeded,
    ServersOnly,
    SpeakerRefused,
    SpeakingElsewhere,
    TimedOutMember,
    UnknownSpeakers,
    UnknownVoice,
    UserFacingError,
    VoiceTraining,
)
from bot.fish.errors import FishError
from bot.i18n import N_, _
from bot.i18n.formatting import duration, listing, number
from bot.wording.cloning import bad_sample, bad_samples, bad_voice_details, not_an_image
from bot.wording.fish import user_message
from bot.wording.media import MEDIA_REFUSALS
from bot.wording.quotas import quota_exceeded
from bot.wording.scene import bad_script, unknown_speakers
from bot.wording.spoken import bad_entry, bad_name_template

GENERIC_FAILURE = N_("Something went wrong on my side. The bot's operator can find the details in the log.")
# The permissions the bot's checks name; others are shown with Discord's English name.
PERMISSION_NAMES = {
    "manage_guild": N_("Manage Server"),
    "manage_nicknames": N_("Manage Nicknames"),
    "manage_messages": N_("Manage Messages"),
    "administrator": N_("Administrator"),
    "connect": N_("Connect"),
    "speak": N_("Speak"),
    "send_messages": N_("Send Messages"),
    "embed_links": N_("Embed Links"),
    "attach_files": N_("Attach Files"),
    "read_message_history": N_("Read Message History"),
    "view_channel": N_("View Channels"),
    "mute_members": N_("Mute Members"),
}
# What an option holds, for a value a transformer refused (keyed by AppCommandOptionType's name).
OPTION_KINDS = {
    "string": N_("text"),
    "integer": N_("whole number"),
    "number": N_("number"),
    "boolean": N_("yes/no"),
    "user": N_("member"),
    "channel": N_("channel"),
    "role": N_("role"),
    "mentionable": N_("member or role"),
    "attachment": N_("file"),
}


def _permission_names(permissions: list[str]) -> str:
    names = [_(PERMISSION_NAMES[name]) if name in PERMISSION_NAMES
             else name.replace("_", " ").replace("guild", "server").title() for name in permissions]
    return listing(names)


def _cannot_speak(error: BotCannotSpeak) -> str:
    missing = error.missing
    names = [_(name) for name, lacking in ((N_("View Channels"), missing.view_channel),
                                           (N_("Connect"), missing.connect),
                                           (N_("Speak"), missing.speak)) if lacking]
    if missing.stage_speaker:
        # Without stage-moderator rights the bot joins as a listener and can only ask to speak.
        names.append(_("Mute Members (to become a stage speaker)"))
    return _("I can't speak in {channel}: I'm missing {permissions} there.").format(
        channel=error.channel, permissions=listing(names))


def _speaker_refused(error: SpeakerRefused) -> str:
    if error.why == "muted":
        text = _("You're server-muted, so I won't speak for you in {channel}.")
    elif error.why == "audience":
        text = _("You're in the audience of {channel}: only its speakers can have me speak there.")
    else:
        text = _("You don't have the Speak permission in {channel}, so I won't speak for you there.")
    return text.format(channel=error.channel)


def _unknown_voice(error: UnknownVoice) -> str:
    # What the member typed, shown back in a code span it cannot break out of.
    return _("There's no Fish Audio voice with the id `{voice_id}` that you can use.").format(
        voice_id=error.typed.replace("`", "")[:64])


def _bad_style(error: BadStyle) -> str:
    if error.why == "malformed":
        return _("A style is a short description such as `whispering` or `excited` "
                 "(no brackets inside, at most 80 characters).")
    if error.why == "no_emotion":
        text = _("{model} only knows a fixed list of emotions and has none for “{style}”. "
                 "Pick one from the list, or choose an S2 model.")
    else:
        text = _("{model} can't take the style “{style}”. Pick one from the list.")
    return text.format(model=error.model, style=error.style)


# Each refusal's wording (the first class in an error's MRO that is listed here wins).
REFUSALS: dict[type[BaseException], Callable[[Any], str]] = {
    DatabaseUnavailable: lambda _e: _("The bot's database isn't answering right now. Try again in a moment."),
    QueueFull: lambda e: _("The queue is full ({count} waiting). Try again soon.").format(
        count=number(e.limit)),
    QuotaExceeded: quota_exceeded,
    FishUnavailable: lambda e: _(
        "Fish Audio isn't responding right now (several requests failed in a row), so I'm not "
        "sending it new speech for a moment. Try again in {wait}.").format(wait=duration(e.retry_in)),
    ClipStalled: lambda _e: _("Timed out waiting for Fish Audio to send audio for your message, so I "
                              "skipped it."),
    NotInVoice: lambda _e: _("Join a voice channel first."),
    TimedOutMember: lambda _e: _("You're timed out in this server, so I can't speak for you right now."),
    BotCannotSpeak: _cannot_speak,
    ChannelFull: lambda e: _("{channel} is full ({count} members).").format(channel=e.channel,
                                                                            count=number(e.limit)),
    SpeakingElsewhere: lambda e: _("I'm already speaking in {channel}. Join that channel, or wait until "
                                   "I'm done.").format(channel=e.channel),
    ConnectTimedOut: lambda e: _("I couldn't connect to {channel} in time.").format(channel=e.channel),
    JoinFailed: lambda e: _("I couldn't join {channel}: {reason}").format(channel=e.channel, reason=e.reason),
    SpeakerRefused: _speaker_refused,
    UnknownVoice: _unknown_voice,
    BadStyle: _bad_style,
    ServersOnly: lambda _e: _("This only works in a server."),
    BadVoiceDetails: bad_voice_details,
    BadSamples: bad_samples,
    BadSample: bad_sample,
    NotAnImage: not_an_image,
    BadScript: bad_script,
    UnknownSpeakers: unknown_speakers,
    BadEntry: bad_entry,
    BadNameTemplate: bad_name_template,
    VoiceTraining: lambda _e: _("That voice is still being trained on Fish Audio (or its training failed): "
                                "it can speak once it is ready."),
    ClipTooLarge: lambda _e: _("That clip is larger than Discord lets me upload here. Try less text."),
    **MEDIA_REFUSALS,
}


def describe(error: BaseException) -> str | None:
    """The member-facing words for an expected error (a refusal, a Fish error), None otherwise."""
    for cls in type(error).__mro__:
        word = REFUSALS.get(cls)
        if word is not None:
            return word(error)
    if isinstance(error, UserFacingError):
        return str(error)
    if isinstance(error, FishError):
        return user_message(error)
    return None


def describe_error(error: BaseException) -> tuple[str, bool]:
    """The member-facing text for an error, and whether it was unexpected (worth a traceback)."""
    if isinstance(error, app_commands.CommandInvokeError):
        return describe_error(error.original)
    if isinstance(error, app_commands.TransformerError):
        # Transformers (e.g. the voice autocompleter) may refuse a value with their own reason.
        if isinstance(error.__cause__, UserFacingError | FishError):
            return describe_error(error.__cause__)
        kind = OPTION_KINDS.get(error.type.name, OPTION_KINDS["string"])
        return _("“{value}” is not a valid {kind} here.").format(
            value=str(error.value)[:80], kind=_(kind)), False
    text = describe(error)
    if text is not None:
        return text, False
    if isinstance(error, app_commands.MissingPermissions):
        names = _permission_names(error.missing_permissions)
        return _("You need the {permissions} permission to do that.").format(permissions=names), False
    if isinstance(error, app_commands.BotMissingPermissions):
        names = _permission_names(error.missing_permissions)
        return _("I need the {permissions} permission here to do that. Ask a server admin.").format(
            permissions=names), False
    if isinstance(error, app_commands.CommandOnCooldown):
        return _("Slow down: you can use this again in {wait}.").format(
            wait=duration(error.retry_after)), False
    if isinstance(error, app_commands.NoPrivateMessage):
        return _("This command only works in a server."), False
    if isinstance(error, app_commands.MissingRole | app_commands.MissingAnyRole):
        return _("You don't have the role this command needs."), False
    if isinstance(error, app_commands.CheckFailure):
        text = str(error)
        if text and not text.startswith("The check functions"):
            return text, False
        return _("You can't use this command here."), False
    if isinstance(error, discord.Forbidden):
        return _("Discord didn't let me do that: I'm missing a permission in this channel."), False
    return _(GENERIC_FAILURE), True
