"""The one voice autocompleter every voice option uses: the member's own voices first, then the
server's default, then library matches for what they typed. It must answer inside Discord's
3-second window, so the library lookup is cached briefly, time-boxed, and dropped on any error.

`VoiceChoices` is the service (the bot builds one); a cog with voice options mixes in
`VoiceOptions` and names `VoiceOptions.voice_autocomplete` as the options' autocompleter."""

from __future__ import annotations

import asyncio
import logging
import time

import discord
from cachetools import TTLCache
from discord import app_commands
from discord.ext import commands

from bot.fish import FishClient, FishError, Voice, parse_voice_id
from bot.i18n import _
from bot.storage.settings import SettingsStore
from bot.storage.voice_owners import VoiceOwners
from bot.storage.voice_prefs import NAMESPACE, VoicePrefs

log = logging.getLogger(__name__)

MAX_CHOICES = 25  # Discord's limit
NAME_LIMIT = 100  # Discord's limit for a choice's name
LIBRARY_TIMEOUT_S = 2.0
CACHE_TTL_S = 60.0
CACHE_SIZE = 256


def _name(title: str, note: str = "") -> str:
    """A choice's name: the voice's title (data), cut to leave room for the bot's note."""
    if not note:
        return title[:NAME_LIMIT]
    suffix = note.format(title="")
    return note.format(title=title[: NAME_LIMIT - len(suffix)])


class VoiceChoices:
    """The choices for a voice option, from the member's voices, the server's default and the library.
    Library search results are kept per typed text for a short while (typing sends a request per
    key)."""

    def __init__(self, *, fish: FishClient, owners: VoiceOwners, store: SettingsStore) -> None:
        self.fish = fish
        self.owners = owners
        self.store = store
        self._library: TTLCache[str, list[Voice]] = TTLCache(CACHE_SIZE, CACHE_TTL_S, timer=time.monotonic)

    async def library_matches(self, typed: str) -> list[Voice]:
        key = typed.casefold()
        cached = self._library.get(key)
        if cached is not None:
            return cached
        try:
            async with asyncio.timeout(LIBRARY_TIMEOUT_S):
                page = await self.fish.voices.list(title=typed or None, page_size=MAX_CHOICES)
        except (FishError, TimeoutError) as exc:
            # Local choices still answer; don't cache the failure, the next key press may work.
            log.info("voice autocomplete without the library: %s", type(exc).__name__)
            return []
        ready = [voice for voice in page.items if voice.ready]  # a voice still training can't speak yet
        self._library[key] = ready
        return ready

    async def choices(self, user_id: int, guild_id: int | None, typed: str) -> list[app_commands.Choice[str]]:
        wanted = typed.strip().casefold()
        choices: dict[str, app_commands.Choice[str]] = {}
        for record in await self.owners.of_user(user_id):
            if wanted in record.title.casefold() or wanted == record.voice_id:
                choices.setdefault(record.voice_id, app_commands.Choice(
                    name=_name(record.title, _("{title} (yours)")), value=record.voice_id))
        if guild_id is not None:
            server = await self.store.get_guild(guild_id, NAMESPACE, VoicePrefs)
            saved = parse_voice_id(server.voice_id)
            if saved and wanted in (server.voice_name or saved).casefold():
                choices.setdefault(saved, app_commands.Choice(
                    name=_name(server.voice_name or saved, _("{title} (server default)")), value=saved))
        if len(choices) < MAX_CHOICES:
            for voice in await self.library_matches(typed.strip()):
                if parse_voice_id(voice.id):  # a value offered is a value the commands accept
                    choices.setdefault(voice.id, app_commands.Choice(name=_name(voice.title), value=voice.id))
        return list(choices.values())[:MAX_CHOICES]


class VoiceOptions(commands.Cog):
    """Mixed into a cog with voice options, which sets `voice_choices` (the bot's). discord.py calls
    an autocompleter named as `Class.method` with the command's cog as `self`, so the options'
    autocompleter gets the service from the cog it was handed to."""

    voice_choices: VoiceChoices

    async def voice_autocomplete(self, interaction: discord.Interaction,
                                 current: str) -> list[app_commands.Choice[str]]:
        return await self.voice_choices.choices(interaction.user.id, interaction.guild_id, current)
