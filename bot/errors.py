"""Turning any app-command error into one short, ephemeral, human message.

Cogs raise `UserFacingError` for expected refusals; Fish Audio errors are worded by
`bot.fish.messages.user_message`; everything else is logged with its traceback and context and
answered with a generic apology, never a traceback.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.fish.errors import FishError
from bot.fish.messages import user_message
from bot.i18n import N_, _
from bot.i18n.core import set_language
from bot.i18n.formatting import duration, listing
from bot.i18n.resolve import interaction_language, language_of

if TYPE_CHECKING:
    from bot.storage.settings import SettingsStore

log = logging.getLogger(__name__)

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


class UserFacingError(Exception):
    """An expected refusal whose message is safe and useful to show the member as it is."""


def _permission_names(permissions: list[str]) -> str:
    names = [_(PERMISSION_NAMES[name]) if name in PERMISSION_NAMES
             else name.replace("_", " ").replace("guild", "server").title() for name in permissions]
    return listing(names)


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
    if isinstance(error, UserFacingError):
        return str(error), False
    if isinstance(error, FishError):
        return user_message(error), False
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


async def send_ephemeral(interaction: discord.Interaction, content: str) -> None:
    """Answer the interaction ephemerally, whether or not it was already answered or deferred."""
    mentions = discord.AllowedMentions.none()
    try:
        if interaction.response.is_done():
            await interaction.followup.send(content, ephemeral=True, allowed_mentions=mentions)
        else:
            await interaction.response.send_message(
                content, ephemeral=True, allowed_mentions=mentions
            )
    except discord.HTTPException:
        # The interaction expired or was deleted; there is nobody left to tell.
        log.warning("could not deliver an error message for interaction %s", interaction.id)


async def use_interaction_language(interaction: discord.Interaction, store: SettingsStore | None) -> None:
    """Translate the rest of this interaction's task into the member's language."""
    if store is None:  # a bare client (tests of the tree alone): the member's locale or English
        set_language(language_of(interaction.locale) or "en")
        return
    try:
        language = await interaction_language(store, interaction)
    except Exception:  # the settings database is unreachable: answer anyway
        log.warning("could not read the server's language; using its Discord locale", exc_info=True)
        language = language_of(interaction.guild_locale) or "en"
    set_language(language)


def in_installed_server(interaction: discord.Interaction) -> bool:
    """Whether the interaction comes from a server that installed the bot: not a DM, a group DM,
    nor a server where only the member installed it as a user app."""
    if interaction.guild_id is None:
        return False
    # Discord names who authorised it; a server install maps 0 to this server's id.
    return interaction.is_guild_integration() or not interaction.is_user_integration()


def _context(interaction: discord.Interaction) -> str:
    command = interaction.command.qualified_name if interaction.command else "?"
    return f"command={command} guild={interaction.guild_id} user={interaction.user.id}"


class FishTree(app_commands.CommandTree):
    """The command tree with fishbot's one error handler, answering in the member's language."""

    # The server's language setting; the bot hands it in (a bare tree answers in the locale).
    store: SettingsStore | None = None

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        # The first thing discord.py runs for every command, context menu and autocomplete, in the
        # interaction's own task: everything after it (the command, its checks, on_error) replies
        # in this language.
        await use_interaction_language(interaction, self.store)
        if in_installed_server(interaction):
            return True
        # The commands are registered for servers only; one reaching us from a DM or a user
        # install (registered before, or the portal changed) is refused, not run.
        log.info("refused %s outside a server that installed the bot", _context(interaction))
        if interaction.type is discord.InteractionType.application_command:
            await send_ephemeral(interaction, _("I only work in servers that added me, not in DMs or "
                                                "as a user app."))
        return False

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        text, unexpected = describe_error(error)
        if unexpected:
            original = getattr(error, "original", error)
            log.error("unhandled error in %s", _context(interaction), exc_info=original)
        else:
            log.info("refused %s: %s", _context(interaction), text)
        await send_ephemeral(interaction, text)
