"""Which language to answer in: the member's Discord client language when fishbot speaks it,
else the server's (its `/settings language`, else its Discord community locale), else English."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from pydantic import BaseModel

from bot.i18n.core import DEFAULT_LANGUAGE, LANGUAGES

if TYPE_CHECKING:
    from bot.storage.settings import SettingsStore

NAMESPACE = "language"

# Discord's locale codes → the catalog that serves them (regional variants share one).
DISCORD_LOCALES: dict[str, str] = {
    "en-US": "en",
    "en-GB": "en",
    "ja": "ja",
    "ko": "ko",
    "zh-CN": "zh_Hans",
    "zh-TW": "zh_Hant",
    "es-ES": "es",
    "es-419": "es",
    "pt-BR": "pt_BR",
    "fr": "fr",
    "de": "de",
}


class LanguageSettings(BaseModel):
    """Per server (guild namespace "language"); None: follow the server's Discord locale."""

    language: str | None = None


def language_of(locale: discord.Locale | str | None) -> str | None:
    """The shipped language for a Discord locale, or None when fishbot doesn't speak it."""
    if locale is None:
        return None
    return DISCORD_LOCALES.get(str(locale))


async def guild_language(store: SettingsStore, guild: discord.Guild | None) -> str:
    """For what the bot posts or says in a server outside an interaction."""
    if guild is None:
        return DEFAULT_LANGUAGE
    chosen = (await store.get_guild(guild.id, NAMESPACE, LanguageSettings)).language
    if chosen in LANGUAGES:
        return chosen
    return language_of(guild.preferred_locale) or DEFAULT_LANGUAGE


async def interaction_language(store: SettingsStore, interaction: discord.Interaction) -> str:
    """For replies: the member's own client language first."""
    mine = language_of(interaction.locale)
    if mine is not None:
        return mine
    if interaction.guild_id is None:
        return DEFAULT_LANGUAGE
    chosen = (await store.get_guild(interaction.guild_id, NAMESPACE, LanguageSettings)).language
    if chosen in LANGUAGES:
        return chosen
    return language_of(interaction.guild_locale) or DEFAULT_LANGUAGE
