"""Turning any app-command error into one short, ephemeral, human message.

Cogs raise `UserFacingError` for expected refusals; Fish Audio errors are worded by
`bot.fish.messages.user_message`; everything else is logged with its traceback and context and
answered with a generic apology, never a traceback.
"""

from __future__ import annotations

import logging
import math

import discord
from discord import app_commands

from bot.fish.errors import FishError
from bot.fish.messages import user_message

log = logging.getLogger(__name__)

GENERIC_FAILURE = "Something went wrong on my side. The bot's operator can find the details in the log."


class UserFacingError(Exception):
    """An expected refusal whose message is safe and useful to show the member as it is."""


def _permission_names(permissions: list[str]) -> str:
    names = [name.replace("_", " ").replace("guild", "server").title() for name in permissions]
    return ", ".join(names)


def _duration(seconds: float) -> str:
    seconds = max(1, math.ceil(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, rest = divmod(seconds, 60)
    return f"{minutes} min {rest} s" if rest else f"{minutes} min"


def describe_error(error: BaseException) -> tuple[str, bool]:
    """The member-facing text for an error, and whether it was unexpected (worth a traceback)."""
    if isinstance(error, app_commands.CommandInvokeError):
        return describe_error(error.original)
    if isinstance(error, app_commands.TransformerError):
        # Transformers (e.g. the voice autocompleter) may refuse a value with their own reason.
        if isinstance(error.__cause__, UserFacingError | FishError):
            return describe_error(error.__cause__)
        return f"“{str(error.value)[:80]}” is not a valid {error.type.name} here.", False
    if isinstance(error, UserFacingError):
        return str(error), False
    if isinstance(error, FishError):
        return user_message(error), False
    if isinstance(error, app_commands.MissingPermissions):
        return f"You need the {_permission_names(error.missing_permissions)} permission to do that.", False
    if isinstance(error, app_commands.BotMissingPermissions):
        names = _permission_names(error.missing_permissions)
        return f"I need the {names} permission here to do that. Ask a server admin.", False
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"Slow down: you can use this again in {_duration(error.retry_after)}.", False
    if isinstance(error, app_commands.NoPrivateMessage):
        return "This command only works in a server.", False
    if isinstance(error, app_commands.MissingRole | app_commands.MissingAnyRole):
        return "You don't have the role this command needs.", False
    if isinstance(error, app_commands.CheckFailure):
        text = str(error)
        if text and not text.startswith("The check functions"):
            return text, False
        return "You can't use this command here.", False
    if isinstance(error, discord.Forbidden):
        return "Discord didn't let me do that: I'm missing a permission in this channel.", False
    return GENERIC_FAILURE, True


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


def _context(interaction: discord.Interaction) -> str:
    command = interaction.command.qualified_name if interaction.command else "?"
    return f"command={command} guild={interaction.guild_id} user={interaction.user.id}"


class FishTree(app_commands.CommandTree):
    """The command tree with fishbot's one error handler."""

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
