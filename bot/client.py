"""The bot itself: an AutoShardedBot handed every service it runs (discord.py's
examples/advanced_startup.py pattern). `bot.cli.build_bot` builds them, for `run` and for the
tests alike; cogs take from the bot the services they use and pass those on, never the bot."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.command_sync import sync_if_changed
from bot.config import Settings
from bot.fish import FishClient, tts_models
from bot.gateway import IdentifyGate
from bot.i18n.commands import CatalogTranslator
from bot.member_data import CoreMemberData, Deleted, Held, MemberData
from bot.metrics import MetricsServer
from bot.speech.service import SpeechService
from bot.storage.db import Database
from bot.storage.settings import SettingsStore
from bot.storage.state import StateStore
from bot.storage.voice_owners import VoiceOwners
from bot.tree import FishTree
from bot.tts.cache import TTSCache
from bot.ui.voice_autocomplete import VoiceChoices
from bot.usage import UsageLedger
from bot.usage.cooldowns import SharedCooldowns
from bot.voice.manager import SessionManager

log = logging.getLogger(__name__)

# A stop (SIGTERM from Docker, 10 s before SIGKILL) must finish within 5 s in all: the orderly
# close has SHUTDOWN_TIMEOUT_S, shared by its steps (`fishbot run` exits soon after regardless).
SHUTDOWN_TIMEOUT_S = 3.5
VOICE_CLOSE_TIMEOUT_S = 3.0
LEDGER_FLUSH_TIMEOUT_S = 2.0  # ledger writes still waiting for the database are then given up

# One extension per feature; each is a thin module under cogs/.
EXTENSIONS: tuple[str, ...] = (
    "cogs.meta",
    "cogs.speak",
    "cogs.scene",
    "cogs.speak_help",
    "cogs.narration",
    "cogs.settings",
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
        voice_owners: VoiceOwners,
        extensions: Sequence[str] = EXTENSIONS,
        auto_sync: bool = False,
        **options: Any,
    ) -> None:
        # Every process on a PostgreSQL database takes its IDENTIFY turns from the database
        # (bot/gateway.py); one SQLite process keeps discord.py's own pacing. A turn can be minutes
        # away in a large fleet: discord.py's 180 s per-shard connect timeout would cancel the wait
        # and requeue the shard at the back (connecting and HELLO keep their own timeouts).
        identify_gate = IdentifyGate(db) if db.dialect == "postgresql" else None
        if identify_gate is not None:
            options.setdefault("shard_connect_timeout", None)
        super().__init__(
            # No prefix commands: a mention prefix needs no message content intent.
            command_prefix=commands.when_mentioned,
            help_command=None,
            intents=build_intents(settings),
            allowed_mentions=discord.AllowedMentions.none(),
            tree_cls=FishTree,
            # Servers only, whatever the developer portal allows: no user installs, no DMs (where
            # a member's quotas would start afresh outside the servers that set them).
            allowed_contexts=app_commands.AppCommandContext(guild=True, dm_channel=False,
                                                            private_channel=False),
            allowed_installs=app_commands.AppInstallationType(guild=True, user=False),
            owner_ids=set(settings.owner_ids) or None,
            **options,
        )
        self.settings = settings
        # The configured models (built-in plus [[fish.models]]) for every model look-up.
        tts_models.install(settings.fish.catalog)
        self.fish = fish
        self.db = db
        self.identify_gate = identify_gate
        self.store = store
        self.state = StateStore(db)
        # Who may use each voice cloned through the bot (bot/storage/voice_owners.py).
        self.voice_owners = voice_owners
        # Cooldowns of the credit-spending commands, shared by every process on the database; the
        # bot's owners are exempt.
        self.cooldowns = SharedCooldowns(db, exempt=self.is_bot_owner)
        # What the shared services keep about a member (/forget-me), whichever cogs are loaded.
        self.core_member_data = CoreMemberData(fish=fish, owners=voice_owners, store=store, usage=usage,
                                               cooldowns=self.cooldowns)
        # Every voice option's suggestions: the member's voices, the server's, the library.
        self.voice_choices = VoiceChoices(fish=fish, owners=voice_owners, store=store)
        # Answers in each member's or server's language, read from the store.
        assert isinstance(self.tree, FishTree)  # tree_cls above
        self.tree.store = store
        # `run` registers the slash commands itself when they changed since the last sync.
        self.auto_sync = auto_sync
        # Quotas and the usage ledger, for every cog that spends Fish credits.
        self.usage = usage
        self.tts_cache = tts_cache
        self.voice_sessions = voice_sessions
        # The session manager keeps its sessions healthy itself, whichever cogs are loaded (and
        # the bot closes them all in close()).
        self.add_listener(voice_sessions.on_voice_state_update, "on_voice_state_update")
        self.add_listener(voice_sessions.on_channel_delete, "on_guild_channel_delete")
        self.add_listener(voice_sessions.on_guild_remove, "on_guild_remove")
        # Saying something in voice or as a file: /speak, the voice previews, narration.
        self.speech = speech
        self.initial_extensions = tuple(extensions)
        self._shutdown: asyncio.Future[None] | None = None
        self.metrics_server: MetricsServer | None = None  # metrics.port set: /metrics, /healthz
        self._pruning: asyncio.Task[None] | None = None

    async def setup_hook(self) -> None:
        # Command names, descriptions and choices in each member's client language (at sync).
        await self.tree.set_translator(CatalogTranslator())
        for notice in self.settings.warnings(self.speech.today()):
            log.warning("%s", notice)
        # Housekeeping of the quota counters: its own task, whichever features are on.
        self._pruning = asyncio.create_task(self.usage.prune_forever(), name="prune-quota-counters")
        # Other processes on the same PostgreSQL database change settings too.
        await self.store.listen()
        await self.fish.gate.start()  # and share the account's Fish slots with them
        self.voice_sessions.warm_fish()  # the first /speak after start needn't wait for TLS
        for extension in self.initial_extensions:
            await self.load_extension(extension)
        log.info("loaded %d extensions", len(self.initial_extensions))
        if self.auto_sync:
            await sync_if_changed(self.tree, self.state)
        port = self.settings.metrics.port
        if port is not None:
            self.metrics_server = MetricsServer(self, self.settings.metrics.host, port)
            await self.metrics_server.start()

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        if self.identify_gate is None:
            await super().before_identify_hook(shard_id, initial=initial)
        else:
            await self.identify_gate.wait_turn(shard_id)

    async def owner_user_ids(self) -> frozenset[int]:
        """The bot's owners, the one answer every owner check uses: `owner_ids` from the config;
        without any configured, the application's owner, or its team's admins and developers
        (discord.py's rule), fetched once. Empty when Discord can't be asked."""
        if not (self.owner_id or self.owner_ids):
            try:
                app = await self.application_info()
            except discord.HTTPException:
                return frozenset()
            if app.team is not None:
                self.owner_ids = {member.id for member in app.team.members
                                  if member.role in (discord.TeamMemberRole.admin,
                                                     discord.TeamMemberRole.developer)}
            else:
                self.owner_id = app.owner.id
        return frozenset({self.owner_id}) if self.owner_id else frozenset(self.owner_ids or ())

    async def is_bot_owner(self, user: discord.abc.Snowflake) -> bool:
        return user.id in await self.owner_user_ids()

    def _member_data(self) -> list[MemberData]:
        """The shared services' part first (the cloned voices on Fish before anything else), then
        each loaded cog's (Red's `red_delete_data_for_user` pattern)."""
        return [self.core_member_data, *(cog for cog in self.cogs.values() if isinstance(cog, MemberData))]

    async def member_data(self, user_id: int) -> Held:
        """What the bot holds about a member: what /forget-me deletes and what it keeps."""
        held = Held()
        for part in self._member_data():
            held.add(await part.member_data(user_id))
        return held

    async def forget_user(self, user_id: int) -> Deleted:
        """Delete everything stored about a member; what went and what could not go now."""
        deleted = Deleted()
        for part in self._member_data():
            deleted.add(await part.delete_member_data(user_id))
        log.info("deleted %d stored records at a member's request (%d parts left for later)",
                 deleted.records, len(deleted.remaining))
        return deleted

    async def __aexit__(self, *exc_info: object) -> None:
        # discord.py skips close() once is_closed(), which turns true as close() *begins*
        # (e.g. from a SIGTERM handler): always wait for the shutdown to finish.
        await self.close()

    async def close(self) -> None:
        """Shut down in order, once (SIGTERM, `async with`, tests): voice sessions first (their
        reservations settle as their clips end), then the gateway, then the bookkeeping, Fish
        and the database. Bounded so a container stop never reaches SIGKILL."""
        if self._shutdown is None:
            self._shutdown = asyncio.ensure_future(self._close_everything())
        try:
            await asyncio.shield(self._shutdown)
        except asyncio.CancelledError:
            # A stop that arrives while closing: let the (bounded) shutdown finish, not leave it
            # half-done for asyncio.run to cancel.
            await self._shutdown
            raise

    async def _close_everything(self) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + SHUTDOWN_TIMEOUT_S
        if self._pruning is not None:
            self._pruning.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pruning
        try:
            try:
                async with asyncio.timeout(VOICE_CLOSE_TIMEOUT_S):
                    await self.voice_sessions.close_all()
            except TimeoutError:
                log.warning("voice sessions did not close within %s s", VOICE_CLOSE_TIMEOUT_S)
            await super().close()
        finally:
            # Outcomes of requests that ended during shutdown, in the time the voice close left.
            await self.usage.drain(timeout=max(0.0, min(LEDGER_FLUSH_TIMEOUT_S, deadline - loop.time())))
            if self.metrics_server is not None:
                await self.metrics_server.close()
            if self.identify_gate is not None:
                await self.identify_gate.close()
            await self.fish.close()
            await self.store.close()
            await self.db.close()
            log.debug("shut down")
