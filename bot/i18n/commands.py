"""Command metadata in every language: the `commands` catalog behind discord.py's Translator.

discord.py hands every command, group, option and context-menu name, every description and
every choice name to the tree's translator as a `locale_str` when the tree is synced, so the cogs
need no changes. Each kind of string is a gettext context, because Discord's rules differ:
names are lowercase without spaces (≤ 32), context-menu names may have both (≤ 32),
descriptions and choices are ≤ 100 characters.
"""

from __future__ import annotations

import discord
from discord import app_commands
from discord.app_commands import TranslationContextLocation as Where

from bot.i18n.catalogs import translations
from bot.i18n.resolve import language_of

NAME, MENU, DESCRIPTION, CHOICE = "name", "menu", "description", "choice"


def context_of(context: app_commands.TranslationContextTypes) -> str:
    location = context.location
    if location is Where.command_name and isinstance(context.data, app_commands.ContextMenu):
        return MENU
    if location in (Where.command_name, Where.group_name, Where.parameter_name):
        return NAME
    if location is Where.choice_name:
        return CHOICE
    return DESCRIPTION


def translate_metadata(message: str, kind: str, language: str) -> str | None:
    translated = translations(language, "commands").pgettext(kind, message)
    return translated if translated != message else None


class CatalogTranslator(app_commands.Translator):
    async def translate(self, string: app_commands.locale_str, locale: discord.Locale,
                        context: app_commands.TranslationContextTypes) -> str | None:
        language = language_of(locale)
        if language is None or language == "en":
            return None  # Discord shows the English default
        return translate_metadata(string.message, context_of(context), language)
