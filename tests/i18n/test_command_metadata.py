"""Every command's names, descriptions and choices in every language, as Discord will receive
them at sync, checked against Discord's rules."""

from __future__ import annotations

import re
from typing import Any

import discord
import pytest

from bot.i18n.commands import CatalogTranslator
from bot.i18n.resolve import DISCORD_LOCALES

# Discord's rule for CHAT_INPUT command and option names (lowercase where the script has case).
NAME = re.compile(r"^[-_'\w\u0900-\u097F\u0E00-\u0E7F]{1,32}$")
LOCALES = sorted(locale for locale, language in DISCORD_LOCALES.items() if language != "en")


async def payloads(bot: Any) -> list[dict[str, Any]]:
    translator = CatalogTranslator()
    return [await command.get_translated_payload(bot.tree, translator) for command in bot.tree.get_commands()]


def check_name(name: str, where: str, problems: list[str]) -> None:
    if not NAME.match(name) or name != name.lower():
        problems.append(f"{where}: bad name {name!r}")


def check_description(text: str, where: str, problems: list[str]) -> None:
    if not 1 <= len(text) <= 100:
        problems.append(f"{where}: description of {len(text)} characters")


def check_options(options: list[dict[str, Any]], locale: str, where: str, problems: list[str]) -> None:
    names = [o.get("name_localizations", {}).get(locale, o["name"]) for o in options]
    if len(set(names)) != len(names):
        problems.append(f"{where}: two options or subcommands share a name in {locale}: {names}")
    for option in options:
        name = option.get("name_localizations", {}).get(locale, option["name"])
        check_name(name, f"{where} {name}", problems)
        check_description(option.get("description_localizations", {}).get(locale, option["description"]),
                          f"{where} {name}", problems)
        for choice in option.get("choices", []):
            text = choice.get("name_localizations", {}).get(locale, choice["name"])
            if not 1 <= len(text) <= 100:
                problems.append(f"{where} {name}: choice {text!r}")
        check_options(option.get("options", []), locale, f"{where} {name}", problems)


@pytest.mark.parametrize("locale", LOCALES)
async def test_every_command_is_translated_within_discords_limits(bot, locale: str) -> None:
    problems: list[str] = []
    top_level: dict[int, list[str]] = {}
    for payload in await payloads(bot):
        # No localization: the translation is the English word itself (e.g. "info").
        name = payload.get("name_localizations", {}).get(locale, payload["name"])
        top_level.setdefault(payload.get("type", 1), []).append(name)
        if payload.get("type", 1) == discord.AppCommandType.chat_input.value:
            check_name(name, f"/{payload['name']}", problems)
            description = payload.get("description_localizations", {}).get(locale, payload["description"])
            check_description(description, f"/{payload['name']}", problems)
            check_options(payload.get("options", []), locale, f"/{name}", problems)
        elif not 1 <= len(name) <= 32:  # context menus: spaces and capitals allowed
            problems.append(f"menu {payload['name']!r}: {name!r}")
    for kind, names in top_level.items():
        if len(set(names)) != len(names):
            problems.append(f"two commands of type {kind} share a name in {locale}: {sorted(names)}")
    assert problems == []


async def test_english_is_discords_default_and_not_sent_again(bot) -> None:
    speak = next(p for p in await payloads(bot) if p["name"] == "speak")
    assert speak["description"] == "Say something in your voice channel"
    assert "en-US" not in speak["name_localizations"] and "en-GB" not in speak["name_localizations"]
    assert speak["name_localizations"]["ja"] == "話す"
    assert speak["description_localizations"]["de"] == "Sag etwas in deinem Sprachkanal"
    # Spanish serves both of Discord's Spanish locales; languages fishbot lacks get the English.
    assert speak["name_localizations"]["es-419"] == speak["name_localizations"]["es-ES"] == "hablar"
    assert "ru" not in speak["name_localizations"]
