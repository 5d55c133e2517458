"""The one voice autocompleter every voice option uses: the member's own voices first, then the
server's default, then library matches for what they typed. It must answer inside Discord's
3-second window, so the library lookup is cached briefly, time-boxed, and dropped on any error."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from typing import Protocol, runtime_checkable
from weakref import WeakKeyDictionary

import discord
from discord import app_commands

from bot.fish import FishClient, FishError, Voice, parse_voice_id
from bot.i18n import _
from bot.storage.db import Database
from bot.storage.settings import SettingsStore
from bot.storage.voice_owners import VoiceOwners
from bot.storage.voice_prefs import NAMESPACE, VoicePrefs

log = logging.getLogger(__name__)

MAX_CHOICES = 25  # Discord's limit
NAME_LIMIT = 100  # Discord's limit for a choice's name
LIBRARY_TIMEOUT_S = 2.0
CACHE_TTL_S = 60.0
CACHE_SIZE = 256


class LibraryCache:
    """Library search results per typed text, for a short while (typing sends a request per key)."""

    def __init__(self, ttl: float = CACHE_TTL_S, size: int = CACHE_SIZE) -> None:
        self.ttl = ttl
        self.size = size
        self._entries: OrderedDict[str, tuple[float, list[Voice]]] = OrderedDict()

    def get(self, key: str) -> list[Voice] | None:
        entry = self._entries.get(key)
        if entry is None or entry[0] < time.monotonic():
            self._entries.pop(key, None)
            return None
        self._entries.move_to_end(key)
        return entry[1]

    def put(self, key: str, voices: list[Voice]) -> None:
        self._entries[key] = (time.monotonic() + self.ttl, voices)
        self._entries.move_to_end(key)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)


# One cache per Fish client (tests run several bots, each with its own stand-in).
_caches: WeakKeyDictionary[FishClient, LibraryCache] = WeakKeyDictionary()


@runtime_checkable
class VoiceSources(Protocol):
    """What the autocompleter reads; the bot (`interaction.client`) provides it."""

    fish: FishClient
    db: Database
    store: SettingsStore


def _name(title: str, note: str = "") -> str:
    """A choice's name: the voice's title (data), cut to leave room for the bot's note."""
    if not note:
        return title[:NAME_LIMIT]
    suffix = note.format(title="")
    return note.format(title=title[: NAME_LIMIT - len(suffix)])


async def library_matches(fish: FishClient, typed: str) -> list[Voice]:
    key = typed.casefold()
    cache = _caches.setdefault(fish, LibraryCache())
    cached = cache.get(key)
    if cached is not None:
        return cached
    try:
        async with asyncio.timeout(LIBRARY_TIMEOUT_S):
            page = await fish.voices.list(title=typed or None, page_size=MAX_CHOICES)
    except (FishError, TimeoutError) as exc:
        # Local choices still answer; don't cache the failure, the next key press may work.
        log.info("voice autocomplete without the library: %s", type(exc).__name__)
        return []
    ready = [voice for voice in page.items if voice.ready]  # a voice still training can't speak yet
    cache.put(key, ready)
    return ready


async def voice_choices(sources: VoiceSources, user_id: int, guild_id: int | None,
                        typed: str) -> list[app_commands.Choice[str]]:
    wanted = typed.strip().casefold()
    choices: dict[str, app_commands.Choice[str]] = {}
    for record in await VoiceOwners(sources.db).of_user(user_id):
        if wanted in record.title.casefold() or wanted == record.voice_id:
            choices.setdefault(record.voice_id, app_commands.Choice(
                name=_name(record.title, _("{title} (yours)")), value=record.voice_id))
    if guild_id is not None:
        server = await sources.store.get_guild(guild_id, NAMESPACE, VoicePrefs)
        saved = parse_voice_id(server.voice_id)
        if saved and wanted in (server.voice_name or saved).casefold():
            choices.setdefault(saved, app_commands.Choice(
                name=_name(server.voice_name or saved, _("{title} (server default)")), value=saved))
    if len(choices) < MAX_CHOICES:
        for voice in await library_matches(sources.fish, typed.strip()):
            if parse_voice_id(voice.id):  # a value offered is a value the commands accept
                choices.setdefault(voice.id, app_commands.Choice(name=_name(voice.title), value=voice.id))
    return list(choices.values())[:MAX_CHOICES]


async def voice_autocomplete(interaction: discord.Interaction,
                             current: str) -> list[app_commands.Choice[str]]:
    sources = interaction.client
    if not isinstance(sources, VoiceSources):
        return []
    return await voice_choices(sources, interaction.user.id, interaction.guild_id, current)
