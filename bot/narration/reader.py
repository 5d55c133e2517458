"""The reader: what narration does with a server's messages and voice-channel comings and goings.

Handed the services it uses (settings, store, voice sessions, speech); the narration
cog turns discord.py's events into calls on it. discord.py runs each event's listener in a task
of its own; one lock per server makes them take turns in arrival order, so messages are queued in
the order they were sent, and a delete or edit waits until its message has been queued. Every
method runs in the calling listener's task (it starts none of its own), on the event loop.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from dataclasses import dataclass

import discord
from cachetools import LRUCache

from bot.config import Settings
from bot.errors import FishUnavailable, QueueFull, UserFacingError
from bot.i18n import _, using_language
from bot.i18n.resolve import guild_language
from bot.narration.access import may_read
from bot.narration.announcer import Announcer, Last
from bot.narration.notices import Notices
from bot.permissions import speak_refusal
from bot.speech.prepare import Phrase
from bot.speech.service import SpeechService
from bot.spoken import phrases
from bot.spoken.settings import ServerSpeech
from bot.storage.settings import SettingsStore
from bot.usage import QuotaExceeded
from bot.voice.manager import SessionManager
from bot.voice.session import VoiceSession
from bot.wording import describe

log = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()
REMEMBERED_MESSAGES = 2000
PRESENCE_EVERY_S = 30.0


@dataclass
class Queued:
    """A message narration queued: who wrote it and the "Alice said: " it is read with."""

    author_id: int
    prefix: str
    message: discord.Message
    before: Last  # the announcer's state before it, in case it is dropped unspoken


class Reader:
    def __init__(self, *, settings: Settings, store: SettingsStore, sessions: SessionManager,
                 speech: SpeechService) -> None:
        self.settings = settings
        self.store = store
        self.sessions = sessions
        self.speech = speech
        self.preparer = speech.preparer
        self.announcer = Announcer()
        self.notices = Notices()
        self.presence = Notices(every=PRESENCE_EVERY_S)  # join/leave announcements per member
        self._locks: dict[int, asyncio.Lock] = {}
        # The session each server's announcements belong to (a new session starts afresh).
        self._session_of: weakref.WeakValueDictionary[int, VoiceSession] = weakref.WeakValueDictionary()
        # Recently queued messages, so deletes and edits know their author and name prefix.
        self._queued: LRUCache[int, Queued] = LRUCache(REMEMBERED_MESSAGES)

    @property
    def enabled(self) -> bool:
        return self.settings.narration.enabled

    async def config(self, guild_id: int) -> ServerSpeech:
        return await self.preparer.server(guild_id)

    def _lock(self, guild_id: int) -> asyncio.Lock:
        return self._locks.setdefault(guild_id, asyncio.Lock())

    # --- messages ----------------------------------------------------------------------------------

    async def read(self, message: discord.Message) -> None:
        """A message someone other than the bot posted: queued when the server reads its channel."""
        guild = message.guild
        if not self.enabled or guild is None or message.is_system():
            return
        if not (message.content or message.attachments or message.stickers or message.message_snapshots):
            return
        async with self._lock(guild.id):
            await self._consider(message, guild)

    async def deleted(self, guild_id: int | None, message_ids: list[int]) -> None:
        """Messages deleted: taken out of the queue (and skipped while being read)."""
        if guild_id is None:
            return
        async with self._lock(guild_id):
            session = self.sessions.get(guild_id)
            if session is None:
                return
            playing = session.current.request.message_id if session.current is not None else None
            if playing is not None and playing in message_ids:
                await session.skip()  # taken back (or removed by a moderator) while being read
            for message_id in message_ids:
                await self._drop(session, guild_id, message_id)

    async def edited(self, guild_id: int | None, message: discord.Message) -> None:
        """A message edited while it waits in the queue: read as it is now."""
        if guild_id is None:
            return
        async with self._lock(guild_id):
            await self._edited(guild_id, message)

    async def _consider(self, message: discord.Message, guild: discord.Guild) -> None:
        config = await self.config(guild.id)
        if message.channel.id not in config.channels and not self._voice_chat(message, config, guild):
            return
        automated = message.author.bot or message.webhook_id is not None
        if automated and not config.read_bots:
            return
        if message.flags.suppress_notifications and not config.read_silent:
            return
        member = message.author if isinstance(message.author, discord.Member) else None
        if not await self._may_read(message.author, member, config, guild.id, automated):
            return
        session = await self._session_for(member, config, guild)
        if session is None:
            return
        if not automated and member is not None:
            # The channel as the guild has it now (its permission overwrites up to date).
            channel = guild.get_channel(session.channel.id)
            if not isinstance(channel, discord.VoiceChannel | discord.StageChannel):
                channel = session.channel
            if speak_refusal(member, channel, audience=config.read_audience) is not None:
                return  # server-muted, in a stage's audience, or without Speak in the bot's channel
        if config.same_channel and not automated and (
            member is None or member.voice is None or member.voice.channel != session.channel
        ):
            return
        # What is worded while queueing (quota refusals, later notices about the clip) is posted
        # in the channel: in the server's language.
        with using_language(await guild_language(self.store, guild)):
            await self._queue(message, config, session)

    def _voice_chat(self, message: discord.Message, config: ServerSpeech, guild: discord.Guild) -> bool:
        """A message in the text chat of the voice channel the bot is in (read without a binding)."""
        session = self.sessions.get(guild.id)
        return config.voice_chat and session is not None and session.channel.id == message.channel.id

    async def _may_read(self, author: discord.abc.User, member: discord.Member | None,
                        config: ServerSpeech, guild_id: int, automated: bool) -> bool:
        return await may_read(self.store, author, member, config, guild_id, automated=automated)

    async def _session_for(self, member: discord.Member | None, config: ServerSpeech,
                           guild: discord.Guild) -> VoiceSession | None:
        session = self.sessions.get(guild.id)
        if session is not None or not config.auto_join or member is None or member.voice is None:
            return session
        try:
            return await self.sessions.join(member)
        except UserFacingError as exc:
            log.info("narration could not auto-join in guild %s: %s", guild.id, exc)
            return None

    async def _tell(self, message: discord.Message, reason: str | UserFacingError) -> None:
        """Why a message wasn't read: a reply, at most one per member and server every few minutes
        (a busy channel must not fill with the bot's notices); never a ping."""
        assert message.guild is not None
        if not self.notices.due(message.guild.id, message.author.id):
            return
        # Posted in the channel for everyone there: in the server's language. (Called from the
        # voice session's task too, so the language is set here, not inherited.)
        with using_language(await guild_language(self.store, message.guild)):
            if isinstance(reason, UserFacingError):
                reason = describe(reason) or ""
            text = _("I couldn't read this aloud: {reason}").format(reason=reason)
        try:
            await message.reply(text, mention_author=False, allowed_mentions=NO_MENTIONS)
        except discord.HTTPException:
            log.info("could not tell member %s why message %s wasn't read", message.author.id, message.id)

    async def _queue(self, message: discord.Message, config: ServerSpeech,
                     session: VoiceSession) -> None:
        operator = self.settings.narration
        guild = message.guild
        assert guild is not None
        if self._session_of.get(guild.id) is not session:  # a new session: say the first name again
            self.announcer.forget(guild.id)
            self._session_of[guild.id] = session
        author = message.author
        # In the author's voice, with their saved style where the server allows cues; the name
        # (in the message's language) when the author changed or after a pause.
        announce = config.announce_names and self.announcer.should_announce(guild.id, author.id)
        prepared = await self.preparer.prepare(guild, message, speaker_id=author.id, server=config,
                                               saved_style=True, announce=announce)
        if prepared is None:
            return
        speech = self.speech

        async def notify(reason: str) -> None:
            await self._tell(message, reason)

        async def notice(text: str) -> None:  # the message is still read: no "couldn't read this"
            await message.reply(text, mention_author=False, allowed_mentions=NO_MENTIONS)

        try:
            await speech.queue(
                author, [prepared.spec], notify,
                into=session, message_id=message.id, channel_id=message.channel.id,
                max_seconds=config.max_seconds or operator.max_spoken_seconds,
                max_wait_s=config.max_wait_s or None, notice=notice,
            )
        except QuotaExceeded as exc:
            await self._tell(message, exc)
            return
        except QueueFull:
            await self._tell(message, _("too many messages are waiting to be spoken."))
            return
        except FishUnavailable:
            # Dropped, not queued: reading it in a minute would be reading it out of place.
            await self._tell(message, _("Fish Audio isn't responding right now, so messages aren't read "
                                        "for a moment."))
            return
        before = self.announcer.queued(guild.id, author.id)
        self._queued[message.id] = Queued(author.id, prepared.intro, message, before)

    async def _drop(self, session: VoiceSession, guild_id: int, message_id: int) -> None:
        """Take a message out of the queue, and keep the announcements right: if it was the last
        one queued, as if it had never come; if its author's name was to be said with it, say it
        with their next queued message instead (changed before the drop lets that one be fetched
        ahead, so Fish isn't asked for it twice)."""
        queued = self._queued.pop(message_id, None)
        if session.waiting(message_id) is None:
            return
        if queued is not None:
            await self._pass_on(session, guild_id, message_id, queued)
        await session.remove(message_id)

    async def _pass_on(self, session: VoiceSession, guild_id: int, message_id: int, queued: Queued) -> None:
        later = [r for r in session.queue
                 if r.message_id is not None and r.message_id > message_id and r.message_id in self._queued]
        if not later:
            self.announcer.restore(guild_id, queued.before)
            return
        next_id = later[0].message_id
        assert next_id is not None  # only requests reading a message were kept above
        following = self._queued[next_id]
        if queued.prefix and following.author_id == queued.author_id and not following.prefix:
            try:  # paid like an edit: the name is part of what Fish is asked to say
                moved = await self.speech.replace_text(session, next_id, queued.prefix + later[0].text,
                                                       user_id=following.author_id)
            except QuotaExceeded:
                return  # read without the name rather than not at all
            if moved:
                following.prefix = queued.prefix

    async def _edited(self, guild_id: int, message: discord.Message) -> None:
        session = self.sessions.get(guild_id)
        queued = self._queued.get(message.id)
        request = session.waiting(message.id) if session is not None else None
        if session is None or queued is None or request is None:
            return  # already spoken (or being spoken), or never queued
        prepared = await self.preparer.prepare(message.guild, message, speaker_id=message.author.id,
                                               server=await self.config(guild_id), saved_style=True)
        if prepared is None:  # edited down to nothing, or to the ignore prefix
            await self._drop(session, guild_id, message.id)
            return
        text = queued.prefix + prepared.words
        if text == request.text:
            return  # an embed or link preview arrived; the words didn't change
        try:
            guild = queued.message.guild
            with using_language(await guild_language(self.store, guild)):  # a refusal is posted
                await self.speech.replace_text(session, message.id, text, user_id=message.author.id)
        except QuotaExceeded as exc:
            await self._drop(session, guild_id, message.id)
            await self._tell(queued.message, exc)

    # --- join/leave announcements ----------------------------------------------------------------

    async def voice_state_changed(self, member: discord.Member, before: discord.VoiceState,
                                  after: discord.VoiceState, *, bot_id: int) -> None:
        """"Alice joined" / "Alice left" in the bot's voice channel, where the server asked for it,
        in the server's voice (`bot_id`'s: the bot has no voice of its own)."""
        if member.bot or before.channel == after.channel or not self.enabled:
            return
        session = self.sessions.get(member.guild.id)
        if session is None:
            return
        if after.channel == session.channel:
            verb, say = "joined", phrases.joined
        elif before.channel == session.channel:
            verb, say = "left", phrases.left
        else:
            return
        async with self._lock(member.guild.id):
            config = await self.config(member.guild.id)
            if not config.announce_joins or not await self._may_read(member, member, config,
                                                                     member.guild.id, False):
                return
            if not self.presence.due(member.guild.id, member.id):
                return  # a flapping connection: once per member every PRESENCE_EVERY_S
            preparer = self.preparer
            language = await guild_language(self.store, member.guild)  # no message: the server's
            name = await preparer.name(member, member.guild.id, language)
            # In the server's voice, paid from the member's quota.
            prepared = await preparer.prepare(member.guild, Phrase(say(name, language)), speaker_id=bot_id,
                                              server=config)
            if prepared is None:
                return
            try:
                await self.speech.queue(member, [prepared.spec], None, into=session)
            except (QuotaExceeded, QueueFull, FishUnavailable) as exc:
                log.info("no %s announcement in guild %s: %s", verb, member.guild.id, exc)
