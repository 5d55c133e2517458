"""/dictionary add|remove|list: how this server's words are pronounced (see
bot/spoken/pronunciation.py). Everyone may list; changing needs Manage Server."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import UserFacingError
from bot.i18n import _, ngettext
from bot.i18n.formatting import listing, number
from bot.member_data import Deleted, Held, named, server_name
from bot.permissions import requires
from bot.spoken.dictionaries import entries_of
from bot.spoken.pronunciation import MAX_ENTRIES, PHONEME_END, PHONEME_START, Entry, parse_entry
from bot.spoken.settings import DICTIONARY_NAMESPACE, PronunciationSettings

if TYPE_CHECKING:
    from bot.client import FishBot

NO_MENTIONS = discord.AllowedMentions.none()
PER_PAGE = 20


def shown(entry: Entry) -> str:
    """One entry as /dictionary shows it (entries hold no backticks: the span goes in code)."""
    escape = discord.utils.escape_markdown
    if entry.phonemes:
        span = f"{PHONEME_START}{entry.phonemes}{PHONEME_END}"
        return _("{word} → {phonemes} (else “{say}”)").format(word=escape(entry.word), phonemes=f"`{span}`",
                                                             say=escape(entry.say))
    return f"{escape(entry.word)} → {escape(entry.say)}"


class PronunciationDictionary(commands.Cog):
    dictionary = app_commands.Group(name="dictionary", description="How words are pronounced here",
                                    guild_only=True)

    def __init__(self, bot: FishBot) -> None:
        self.bot = bot

    async def _stored(self, guild_id: int) -> PronunciationSettings:
        return await self.bot.store.get_guild(guild_id, DICTIONARY_NAMESPACE, PronunciationSettings)

    async def _reply(self, interaction: discord.Interaction, text: str) -> None:
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)

    # --- /forget-me: the words a member added ----------------------------------------------------

    async def _words_of(self, user_id: int) -> dict[int, list[str]]:
        """Per server, the words `user_id` added (or last changed) in its dictionary."""
        found: dict[int, list[str]] = {}
        stored = await self.bot.store.guilds_mentioning(DICTIONARY_NAMESPACE, PronunciationSettings, user_id)
        for guild_id, dictionary in stored.items():
            words = [dictionary.entries[key][0] for key, who in dictionary.added_by.items()
                     if who == user_id and key in dictionary.entries]
            if words:
                found[guild_id] = sorted(words, key=str.lower)
        return found

    async def member_data(self, user_id: int) -> Held:
        found = await self._words_of(user_id)
        if not found:
            return Held()
        places = [_("{words} in {server}").format(
            words=named([discord.utils.escape_markdown(w) for w in words]),
            server=server_name(self.bot, guild_id)) for guild_id, words in found.items()]
        return Held(deletes=[_("Your words in servers' pronunciation dictionaries: {places}").format(
            places=listing(places))])

    async def delete_member_data(self, user_id: int) -> Deleted:
        deleted = Deleted()
        for guild_id in await self._words_of(user_id):
            def without_theirs(stored: PronunciationSettings) -> dict[str, Any]:
                theirs = {key for key, who in stored.added_by.items() if who == user_id}
                deleted.records += len(theirs & stored.entries.keys())
                return {"entries": {k: v for k, v in stored.entries.items() if k not in theirs},
                        "added_by": {k: v for k, v in stored.added_by.items() if k not in theirs}}

            await self.bot.store.edit_guild(guild_id, DICTIONARY_NAMESPACE, PronunciationSettings,
                                            without_theirs)
        return deleted

    @dictionary.command(name="add", description="Say a word differently (in narration and /speak)")
    @app_commands.describe(
        word="The word as it is written (matched whole, in any case)",
        replacement="A respelling, or <|phoneme_start|>…<|phoneme_end|> (Arpabet, pinyin, romaji)",
        fallback="With phonemes: the respelling for models that don't read them (default: the word)",
    )
    @requires(manage_guild=True)
    async def add(self, interaction: discord.Interaction, word: str, replacement: str,
                  fallback: str | None = None) -> None:
        assert interaction.guild_id is not None
        entry = parse_entry(word, replacement, fallback)
        key = entry.word.lower()
        replaced = False

        def with_entry(stored: PronunciationSettings) -> dict[str, Any]:
            nonlocal replaced
            replaced = key in stored.entries
            if not replaced and len(stored.entries) >= MAX_ENTRIES:
                raise UserFacingError(
                    _("This server's dictionary is full ({count} words). Remove some first.").format(
                        count=number(MAX_ENTRIES)))
            return {"entries": {**stored.entries, key: (entry.word, entry.say, entry.phonemes or "")},
                    "added_by": {**stored.added_by, key: interaction.user.id}}

        # The entries are one stored value: read and written under the row lock, so two changes at
        # the same instant (in this process or another) both count.
        await self.bot.store.edit_guild(interaction.guild_id, DICTIONARY_NAMESPACE, PronunciationSettings,
                                        with_entry)
        done = _("Changed: {entry}") if replaced else _("Added: {entry}")
        await self._reply(interaction, done.format(entry=shown(entry)))

    @dictionary.command(name="remove", description="Say a word as it is written again")
    @app_commands.describe(word="The word to remove")
    @requires(manage_guild=True)
    async def remove(self, interaction: discord.Interaction, word: str) -> None:
        assert interaction.guild_id is not None
        key = " ".join(word.split()).lower()
        removed = ""

        def without_entry(stored: PronunciationSettings) -> dict[str, Any]:
            nonlocal removed
            if key not in stored.entries:
                raise UserFacingError(
                    _("That word isn't in this server's dictionary (see `/dictionary list`)."))
            removed = stored.entries[key][0]
            return {"entries": {k: v for k, v in stored.entries.items() if k != key},
                    "added_by": {k: v for k, v in stored.added_by.items() if k != key}}

        await self.bot.store.edit_guild(interaction.guild_id, DICTIONARY_NAMESPACE, PronunciationSettings,
                                        without_entry)
        word = discord.utils.escape_markdown(removed)
        await self._reply(interaction, _("Removed “{word}”.").format(word=word))

    @dictionary.command(name="list", description="The words this server pronounces its own way")
    @app_commands.describe(page="Which page (20 words each)")
    async def list_(self, interaction: discord.Interaction,
                    page: app_commands.Range[int, 1, 1000] = 1) -> None:
        assert interaction.guild_id is not None
        entries = sorted(entries_of(await self._stored(interaction.guild_id)), key=lambda e: e.word.lower())
        if not entries:
            await self._reply(interaction, _("This server's dictionary is empty. Members with Manage Server "
                                             "can add words with `/dictionary add`."))
            return
        pages = math.ceil(len(entries) / PER_PAGE)
        if page > pages:
            raise UserFacingError(ngettext("There is only {count} page.", "There are only {count} pages.",
                                           pages).format(count=number(pages)))
        page_entries = entries[(page - 1) * PER_PAGE: page * PER_PAGE]
        embed = discord.Embed(title=_("Pronunciation dictionary"), colour=discord.Colour.blurple(),
                              description="\n".join(shown(e) for e in page_entries))
        footer = ngettext("Page {page} of {pages} · {count} word", "Page {page} of {pages} · {count} words",
                          len(entries))
        embed.set_footer(text=footer.format(page=number(page), pages=number(pages),
                                            count=number(len(entries))))
        await interaction.response.send_message(embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS)


async def setup(bot: FishBot) -> None:
    await bot.add_cog(PronunciationDictionary(bot))
