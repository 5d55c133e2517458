"""Writes `bot/locales/commands.pot`: every name, description and choice of the command tree,
exactly as discord.py would send them to Discord (it asks a translator for each).

    python -m bot.tools.extract_commands

Builds the bot offline (a throw-away SQLite database, no Discord or Fish connection) so that
what is extracted is the tree the cogs really build, context menus included.
"""

from __future__ import annotations

import asyncio
import tempfile
from dataclasses import dataclass
from pathlib import Path

import discord
from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po
from discord import app_commands

from bot.i18n.catalogs import LOCALES_DIR
from bot.i18n.commands import context_of

POT_PATH = LOCALES_DIR / "commands.pot"


@dataclass(frozen=True, order=True)
class Metadata:
    context: str  # name, menu, description, choice
    message: str
    where: str  # the command it belongs to, for translators


class _Recorder(app_commands.Translator):
    def __init__(self) -> None:
        self.found: set[Metadata] = set()

    async def translate(self, string: app_commands.locale_str, locale: discord.Locale,
                        context: app_commands.TranslationContextTypes) -> str | None:
        if locale is discord.Locale.american_english:  # each string is offered once per locale
            data = context.data
            owner = getattr(data, "command", data)  # a Parameter's command
            where = getattr(owner, "qualified_name", None) or getattr(owner, "name", "")
            self.found.add(Metadata(context_of(context), string.message, f"/{where}"))
        return None


async def tree_strings(tree: app_commands.CommandTree) -> list[Metadata]:
    recorder = _Recorder()
    commands = tree.get_commands()  # global: slash commands, groups and context menus
    for command in commands:
        await command.get_translated_payload(tree, recorder)
    return sorted(recorder.found)


def build_catalog(strings: list[Metadata]) -> Catalog:
    catalog = Catalog(project="fishbot", domain="commands", fuzzy=False)
    for item in strings:
        existing = catalog.get(item.message, context=item.context)
        if existing is not None:
            existing.auto_comments.append(item.where)
            continue
        catalog.add(item.message, context=item.context, auto_comments=[item.where])
    return catalog


async def _extract() -> list[Metadata]:
    from bot.cli import build_bot
    from bot.config import Settings

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            discord_token="unused-for-extraction",
            fish_api_key="unused-for-extraction",
            database_url=f"sqlite+aiosqlite:///{Path(tmp, 'extract.db').as_posix()}",
            data_dir=Path(tmp),
            narration={"enabled": True},
        )
        bot = await build_bot(settings)
        try:
            await bot._async_setup_hook()  # what login() does before setup_hook, minus the network
            await bot.setup_hook()
            return await tree_strings(bot.tree)
        finally:
            await bot.close()


def main() -> None:
    strings = asyncio.run(_extract())
    with POT_PATH.open("wb") as out:
        write_po(out, build_catalog(strings), omit_header=True, sort_output=True, width=110)
    print(f"wrote {len({(s.context, s.message) for s in strings})} strings to {POT_PATH}")


if __name__ == "__main__":
    main()
