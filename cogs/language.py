"""/settings language: the server's language, for what the bot posts and says outside a reply.

It joins narration's /settings group (loaded before this extension) rather than adding a group of
its own, so that all server settings stay in one place in Discord's command list."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.i18n import LANGUAGES, _
from bot.i18n.resolve import NAMESPACE, LanguageSettings, guild_language

if TYPE_CHECKING:
    from bot.client import FishBot

AUTO = "auto"
# Each language by its own name, the way members look for it.
CHOICES = [app_commands.Choice(name=name, value=code) for code, name in LANGUAGES.items()]
CHOICES.append(app_commands.Choice(name="Discord server locale", value=AUTO))


@app_commands.command(name="language",
                      description="The language of the bot's notices and narration in this server")
@app_commands.describe(language="Leave out to see the current one")
@app_commands.choices(language=CHOICES)
@app_commands.checks.has_permissions(manage_guild=True)
async def settings_language(interaction: discord.Interaction[FishBot],
                            language: app_commands.Choice[str] | None = None) -> None:
    guild = interaction.guild
    assert guild is not None
    store = interaction.client.store
    if language is not None:
        chosen = None if language.value == AUTO else language.value
        await store.update_guild(guild.id, NAMESPACE, {"language": chosen}, model=LanguageSettings)
    current = await guild_language(store, guild)
    text = _("This server's language is {language}: narration, its notices and alerts use it. "
             "Replies to a member follow their own Discord language when the bot speaks it.")
    await interaction.response.send_message(text.format(language=LANGUAGES[current]), ephemeral=True)


def _settings_group(bot: FishBot) -> app_commands.Group:
    group = bot.tree.get_command("settings")
    if not isinstance(group, app_commands.Group):
        raise RuntimeError("cogs.language needs the /settings group: load cogs.narration first")
    return group


async def setup(bot: FishBot) -> None:
    _settings_group(bot).add_command(settings_language)


async def teardown(bot: FishBot) -> None:
    _settings_group(bot).remove_command(settings_language.name)
