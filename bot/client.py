"""The bot itself: an AutoShardedBot handed every service it runs (discord.py's
examples/advanced_startup.py pattern). `bot.cli.build_bot` builds them, for `run` and for the
tests alike; cogs take from the bot the services they use and pass those on, never the bot."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import discord
from discord.ext import commands

from bot.audio.tts_cache import TTSCache
from bot.command_sync import sync_if_changed
from bot.config import Settings
from bot.errors import FishTree
from bot.fish import FishClient
from bot.fish.tts_models import retirement_notice
from bot.narration.spoken import Dictionaries
from bot.speech.service import SpeechService
from bot.storage.db import Database
from bot.storage.settings import SettingsStore
from bot.storage.state import StateStore
from bot.usage import UsageLedger
from bot.voice.manager import SessionManager

log = logging.getLogger(__name__)

# One extension per feature; each is a thin module under cogs/.
EXTENSIONS: tuple[str, ...] = (
    "cogs.meta",
    "cogs.speak",
    "cogs.narration",
    "cogs.dictionary",
    "cogs.speak_message",
    "cogs.member_voice",
    "cogs.voices",
    "cogs.clone",
    "cogs.transcribe",
    "cogs.credits",
)


def build_intents(settings: Settings) -> discord.Intents:
    """The least the features need: guilds and voice states; messages and their content only for
    narration and automatic transcription."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.voice_states = True
    if settings.needs_message_content:
        intents.guild_messages = True
        intents.message_content = True
    return intents


class FishBot(commands.AutoShardedBot):
    def __init__(
        self,
        *,
        settings: Settings,
        fish: FishClient,
        db: Database,
        store: SettingsStore,
        usage: UsageLedger,
        tts_cache: TTSCache,
        voice_sessions: SessionManager,
        speech: SpeechService,
        extensions: Sequence[str] = EXTENSIONS,
        auto_sync: bool = False,
        **options: Any,
    ) -> None:
        super().__init__(
            # No prefix commands: a mention prefix needs no message content intent.
            command_prefix=commands.when_mentioned,
            help_command=None,
            intents=build_intents(settings),
            allowed_mentions=discord.AllowedMentions.none(),
            tree_cls=FishTree,
            owner_ids=set(settings.owner_ids) or None,
            **options,
        )
        self.settings = settings
        self.fish = fish
        self.db = db
        self.store = store
        self.state = StateStore(db)
        # `run` registers the slash commands itself when they changed since the last sync.
        self.auto_sync = auto_sync
        # Quotas and the usage ledger, for every cog that spends Fish credits.
        self.usage = usage
        self.tts_cache = tts_cache
        self.voice_sessions = voice_sessions
        # Saying something in voice or as a file: /speak, the voice previews, narration.
        self.speech = speech
        # Each server's compiled pronunciation dictionary, for everything that speaks.
        self.dictionaries = Dictionaries(store)
        self.initial_extensions = tuple(extensions)
        # Cogs that store per-member data register a deleter here (in cog_load), so /forget-me
        # reaches every table without knowing the features.
        self.data_deleters: dict[str, Callable[[int], Awaitable[int]]] = {}

    async def setup_hook(self) -> None:
        notice = retirement_notice(self.settings.fish.model, self.speech.today())
        if notice:
            log.warning("%s", notice)
        for extension in self.initial_extensions:
            await self.load_extension(extension)
        log.info("loaded %d extensions", len(self.initial_extensions))
        if self.auto_sync:
            await sync_if_changed(self.tree, self.state)

    async def is_bot_owner(self, user: discord.abc.User) -> bool:
        """Owners from config; without any configured, the application's owner or team."""
        if self.settings.owner_ids:
            return user.id in self.settings.owner_ids
        try:
            return await self.is_owner(user)
        except discord.HTTPException:
            return False

    async def forget_user(self, user_id: int) -> int:
        """Delete everything stored about a member; returns how many records went."""
        removed = await self.store.delete_user(user_id)
        for deleter in self.data_deleters.values():
            removed += await deleter(user_id)
        log.info("deleted %d stored records at a member's request", removed)
        return removed

    async def close(self) -> None:
        try:
            await self.voice_sessions.close_all()
            await super().close()
        finally:
            await self.usage.drain()  # outcomes of requests that ended during shutdown
            await self.fish.close()
            await self.db.close()
