"""`SpeechService`: the one path from a `SpeechSpec` to audio a member hears, for /speak, the voice
previews and narration.

    spec = speech.spec(text, voice_id=..., speed=...)
    placed = await speech.queue(member, spec, notify, accepted=defer)   # in their voice channel
    audio = await speech.render(spec, user_id=..., guild_id=..., accepted=defer)  # as a file

Both reserve the text's billed bytes first (QuotaExceeded before anything else happens), then
call `accepted()` — the caller's hook to defer its interaction — and only then join voice or call
Fish. Callers own their Discord replies: the service never touches an interaction; it tells a
requester about a failed clip only through the plain `notify(text)` callback it is given.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime
import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import discord

from bot import clock
from bot.audio.tts_cache import TTSCache
from bot.config import Settings
from bot.errors import UserFacingError
from bot.fish import FishClient, ReferenceNotFoundError
from bot.i18n import _, current_language, using_language
from bot.permissions import require_speaker
from bot.speech.breaker import FishBreaker
from bot.speech.spec import SpeechSpec
from bot.usage import UsageLedger
from bot.usage.billing import billed_bytes
from bot.voice.clip import MAX_VOICE_REPLACEMENTS, Clip
from bot.voice.manager import SessionManager
from bot.voice.request import Notify, SpeakRequest, VoiceGone
from bot.voice.session import QueueFull, VoiceSession
from bot.voice.stale import StaleVoices

Accepted = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class Placement:
    """Where a queued spec went: `ahead` requests before it (0 = it plays now), in `channel`."""

    ahead: int
    channel: discord.abc.Connectable

    @property
    def position(self) -> int:
        """1-based place in the queue (1 = speaking now)."""
        return self.ahead + 1


class SpeechService:
    def __init__(
        self,
        *,
        fish: FishClient,
        ledger: UsageLedger,
        sessions: SessionManager,
        cache: TTSCache,
        settings: Settings,
        stale: StaleVoices,
        breaker: FishBreaker | None = None,
    ) -> None:
        self.stale = stale
        # `SpeechSpec.build` with this bot's settings (same arguments, one signature); a file's
        # spec is in the operator's `speak.file_format`.
        self.spec = functools.partial(SpeechSpec.build, settings)
        self.file_spec = functools.partial(SpeechSpec.build, settings, format=settings.speak.file_format)
        self._fish = fish
        self._ledger = ledger
        self._sessions = sessions
        self._cache = cache
        self._settings = settings
        self._breaker = breaker

    @property
    def breaker(self) -> FishBreaker | None:
        return self._breaker

    @staticmethod
    def today() -> datetime.date:
        """The UTC date model retirements are judged by (the bot's one clock, `bot.clock`)."""
        return clock.utc_today()

    async def queue(
        self,
        requester: discord.Member | discord.User,
        spec: SpeechSpec,
        notify: Notify | None,
        *,
        into: VoiceSession | None = None,
        accepted: Accepted | None = None,
        message_id: int | None = None,
        channel_id: int | None = None,
        max_seconds: float | None = None,
        notice: Notify | None = None,
    ) -> Placement:
        """Reserve the billed bytes, join the requester's voice channel (or use `into`, an existing
        session) and queue the spec. Returns its placement.

        `notify(text)` tells the requester why their clip failed later; `message_id` and
        `max_seconds` are narration's (the message read, a cap on its speaking time); `channel_id`
        is the text channel the words were read from (who may see them in /queue). `notice(text)`
        tells the requester something that did not stop the clip (a saved voice that was gone and
        replaced); it defaults to `notify`. Raises
        QuotaExceeded, QueueFull, or UserFacingError when the requester may not speak in their
        voice channel or it can't be joined; in every case the reservation has been finished
        (given back, unless Fish had already been asked for the clip).

        With `into` (narration), who may speak is the caller's to check (`speak_refusal`)."""
        guild_id = into.guild_id if into is not None else _guild_id(requester)
        if self._breaker is not None:
            self._breaker.refuse_if_open()  # before anything is reserved or joined
        voice_gone = self.voice_gone(requester.id, guild_id, notice or notify)
        spec = await self._usable_voice(spec, requester.id, guild_id, voice_gone)
        reservation = await self._ledger.reserve(
            kind="tts_bytes", amount=billed_bytes(spec.text), user_id=requester.id, guild_id=guild_id,
            model=spec.model,
        )
        request = SpeakRequest(
            spec=spec, requester_id=requester.id, requester_name=requester.display_name,
            notify=notify, message_id=message_id, channel_id=channel_id, max_seconds=max_seconds,
            on_outcome=reservation.finish, voice_gone=voice_gone,
        )
        started: Clip | None = None
        try:
            session = into
            if session is None:
                if not isinstance(requester, discord.Member):
                    raise UserFacingError(_("This only works in a server."))
                self._check_voice(requester)
                if self._sessions.get(requester.guild.id) is None:
                    # Cold: the voice handshake and Fish's first byte each take hundreds of
                    # milliseconds, so they run at the same time; the audio waits in the clip's
                    # buffer until the connection is ready.
                    started = self._sessions.head_start(request)
                joining = asyncio.ensure_future(self._sessions.join(requester, warm=started is None))
                try:
                    if accepted is not None:
                        await accepted()
                    session = await joining
                finally:
                    if not joining.done():  # accepted() failed: don't leave the join dangling
                        joining.cancel()
            elif accepted is not None:
                await accepted()
            ahead = session.enqueue(request, started=started)
            started = None  # the session owns it now
        except BaseException:
            if started is not None:
                await started.cancel()  # closes the Fish stream at once
                await reservation.finish(started.outcome)  # "spent" if Fish had been asked already
            else:
                await reservation.release("skipped")
            raise
        return Placement(ahead=ahead, channel=session.channel)

    async def queue_together(
        self,
        requester: discord.Member,
        specs: list[SpeechSpec],
        notify: Notify | None,
        *,
        accepted: Accepted | None = None,
    ) -> Placement:
        """Queue `specs` back to back, nothing of anyone else's between them (a scene read as
        consecutive clips: the player chains queued clips without a gap). Every spec's bytes
        are reserved first; if anything fails, all of them are given back. Returns the first's
        placement."""
        reservations = []
        try:
            for spec in specs:
                reservations.append(await self._ledger.reserve(
                    kind="tts_bytes", amount=billed_bytes(spec.text), user_id=requester.id,
                    guild_id=requester.guild.id, model=spec.model,
                ))
            self._check_voice(requester)
            if accepted is not None:
                await accepted()
            session = await self._sessions.join(requester)
            limit = self._settings.speak.queue_limit
            if len(session.queue) + len(specs) > limit:
                raise QueueFull(limit)
            requests = [
                SpeakRequest(spec=spec, requester_id=requester.id, requester_name=requester.display_name,
                             notify=notify, on_outcome=reservation.finish)
                for spec, reservation in zip(specs, reservations, strict=True)
            ]
            places = [session.enqueue(request) for request in requests]  # no await in between
            ahead = places[0]
        except BaseException:
            for reservation in reservations:
                await reservation.release("skipped")
            raise
        return Placement(ahead=ahead, channel=session.channel)

    async def queue_audio(
        self,
        requester: discord.Member,
        spec: SpeechSpec,
        audio: bytes,
        notify: Notify | None,
        *,
        accepted: Accepted | None = None,
    ) -> Placement:
        """Queue `audio` that was already bought (a voice-design candidate's WAV) in the requester's
        voice channel: it plays as it is, with no Fish request and nothing reserved or charged.
        `spec` describes it for the queue (its text is what /queue shows). Raises UserFacingError
        when the requester may not speak there or the channel can't be joined (or the bot speaks
        elsewhere), QueueFull."""
        self._check_voice(requester)  # refused before the interaction is deferred
        if accepted is not None:
            await accepted()
        session = await self._sessions.join(requester)
        request = SpeakRequest(spec=spec, requester_id=requester.id, requester_name=requester.display_name,
                               notify=notify, audio=audio)
        ahead = session.enqueue(request)
        return Placement(ahead=ahead, channel=session.channel)

    def _check_voice(self, member: discord.Member) -> None:
        """Before joining or spending: what the bot lacks in the member's voice channel, then
        whether the member may speak there themselves (UserFacingError; no I/O)."""
        self._sessions.joinable(member)
        require_speaker(member)

    async def replace_text(self, session: VoiceSession, message_id: int, text: str, *, user_id: int) -> bool:
        """A queued message was edited: read it as edited if it hasn't started playing. Fish is
        asked again only when the words changed. The edit is paid for at its own length
        (QuotaExceeded if that's over quota); the first version's amount goes back unless Fish
        had already been asked for it (fetched ahead: "spent"). Returns False when it had already
        started (the first version is read)."""
        request = session.waiting(message_id)
        if request is None:
            return False
        if request.text == text:
            return True  # the same words: what is fetched (or will be) stays
        reservation = await self._ledger.reserve(
            kind="tts_bytes", amount=billed_bytes(text), user_id=user_id, guild_id=session.guild_id,
            model=request.spec.model,
        )
        if not await session.replace_text(message_id, text, on_outcome=reservation.finish):
            await reservation.release("skipped")  # it started playing while the quota was reserved
            return False
        return True

    def prime(self, spec: SpeechSpec, audio: bytes) -> bool:
        """Let `audio` (a voice's own sample) stand for `spec`: queued, it plays from the cache, so
        it costs no credit and its quota is given back. False when the cache can't hold it."""
        return self._cache.put(spec, audio)

    def voice_gone(self, user_id: int, guild_id: int | None, notice: Notify | None) -> VoiceGone:
        """The hook a clip calls when Fish says its voice is gone (see bot/voice/stale.py)."""

        language = current_language()  # the requester's: the clip may call this from another task

        async def replace(missing: str) -> str | None:
            with using_language(language):
                replacement = await self.stale.replace(missing, user_id=user_id, guild_id=guild_id)
            if replacement.notice is not None and notice is not None:
                with contextlib.suppress(discord.HTTPException):  # a courtesy: the clip is spoken anyway
                    await notice(replacement.notice)
            return replacement.voice_id

        return replace

    async def _usable_voice(self, spec: SpeechSpec, user_id: int, guild_id: int | None,
                            voice_gone: VoiceGone) -> SpeechSpec:
        """`spec` with a voice that may be spoken for `user_id`, decided before anything is spent
        (bot/voice/stale.py): a voice saved for them or their server that they may no longer use is
        forgotten (and they are told), and a voice known to be gone from Fish is replaced."""
        for missing in await self.stale.withdrawn(user_id, guild_id):
            replacement = await voice_gone(missing)
            if spec.voice_id == missing:
                spec = dataclasses.replace(spec, voice_id=replacement)
        for _attempt in range(MAX_VOICE_REPLACEMENTS + 1):
            if spec.voice_id is None or not self.stale.is_gone(spec.voice_id):
                break
            spec = dataclasses.replace(spec, voice_id=await voice_gone(spec.voice_id))
        return spec

    async def render(
        self, spec: SpeechSpec, *, user_id: int, guild_id: int | None, accepted: Accepted | None = None,
        notice: Notify | None = None,
    ) -> bytes:
        """The whole clip as bytes in `spec.format`: from the TTS cache (recorded as "cached")
        or from Fish, with the billed bytes reserved first and committed when the audio arrived.
        A saved voice that is gone is replaced as in `queue` (`notice` tells the member)."""
        voice_gone = self.voice_gone(user_id, guild_id, notice)
        spec = await self._usable_voice(spec, user_id, guild_id, voice_gone)
        try:
            return await self._render(spec, user_id=user_id, guild_id=guild_id, accepted=accepted)
        except ReferenceNotFoundError:
            if spec.voice_id is None:
                raise
            spec = dataclasses.replace(spec, voice_id=await voice_gone(spec.voice_id))
            return await self.render(spec, user_id=user_id, guild_id=guild_id, accepted=accepted,
                                     notice=notice)

    async def _render(
        self, spec: SpeechSpec, *, user_id: int, guild_id: int | None, accepted: Accepted | None
    ) -> bytes:
        audio = self._cache.get(spec)
        if audio is not None:
            if accepted is not None:
                await accepted()
            await self._ledger.record(kind="tts_bytes", amount=billed_bytes(spec.text), user_id=user_id,
                                      guild_id=guild_id, outcome="cached", model=spec.model)
            return audio
        async with self._ledger.reserve(kind="tts_bytes", amount=billed_bytes(spec.text), user_id=user_id,
                                        guild_id=guild_id, model=spec.model):
            if accepted is not None:
                await accepted()
            audio = await self._convert(spec)
        self._cache.put(spec, audio)
        return audio

    async def _convert(self, spec: SpeechSpec) -> bytes:
        breaker = self._breaker
        if breaker is None:
            return await self._fish.tts.convert(text=spec.text, **spec.tts_options())
        probe = breaker.check()
        try:
            audio = await self._fish.tts.convert(text=spec.text, **spec.tts_options())
        except asyncio.CancelledError:
            if probe:
                breaker.abandon()
            raise
        except Exception as exc:
            breaker.failure(exc)
            raise
        breaker.success()
        return audio


def _guild_id(requester: discord.Member | discord.User) -> int | None:
    return requester.guild.id if isinstance(requester, discord.Member) else None

