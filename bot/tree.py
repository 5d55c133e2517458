"""fishbot's command tree: every interaction in the member's language, refused outside servers
that installed the bot, and every app-command error answered with one short ephemeral message
(worded by `bot.wording.describe_error`)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.i18n import _
from bot.i18n.core import set_language
from bot.i18n.resolve import interaction_language, language_of
from bot.wording import describe_error

if TYPE_CHECKING:
    from bot.storage.settings import SettingsStore

log = logging.getLogger(__name__)


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
