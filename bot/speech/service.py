"""`SpeechService`: the one path from what a member asked for to audio they hear, for /speak, the
menus, /scene, the voice previews and narration.

    prepared = await speech.preparer.prepare(guild, text, speaker_id=member.id)  # bot/speech/prepare.py
    placed = await speech.queue(member, [spec], tell, accepted=defer)   # in their voice channel
    audio = await speech.render(spec, user_id=..., guild_id=..., accepted=defer)  # as a file

`queue` takes items — a `SpeechSpec` for Fish to say, or `Bought` audio that plays as it is — and
applies one set of rules to all of them, in this order: the breaker (refused while Fish is down),
a saved voice the member may no longer use or that Fish lost (replaced, the member told), the
quota (every spoken item's billed bytes reserved, QuotaExceeded before anything else happens),
who may speak and where the bot can join, then `accepted()` — the caller's hook to defer its
interaction — joining and queueing, with room in the queue for all of them. Items queue back to
back, nothing of anyone else's between them. Callers own their Discord replies: the service
never touches an interaction; it tells a requester about their request only through the plain
`tell(text)` callback it is given, worded here in the requester's language.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime
import functools
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import discord

from bot import clock
from bot.config import Settings
from bot.errors import ServersOnly
from bot.fish.admission import LongWait
from bot.i18n import current_language, using_language
from bot.permissions import require_speaker
from bot.speech.prepare import Preparer
from bot.tts.gone import StaleVoices
from bot.tts.spec import SpeechSpec
from bot.tts.synthesizer import MAX_VOICE_REPLACEMENTS, Synthesizer, VoiceGone
from bot.usage import UsageLedger
from bot.usage.billing import billed_bytes
from bot.usage.reservation import Reservation
from bot.voice.clip import Clip
from bot.voice.manager import SessionManager
from bot.voice.outcomes import InLine, VoiceNotice
from bot.voice.request import Notify, SpeakRequest
from bot.voice.session import VoiceSession
from bot.wording.notices import gone_notice, voice_notice

Accepted = Callable[[], Awaitable[None]]
# Tells the requester something, in words (an ephemeral follow-up, a reply in the channel...).
Tell = Callable[[str], Awaitable[None]]


@dataclass(frozen=True)
class Bought:
    """Audio already paid for (a voice's own sample, a voice-design candidate): it plays as it is,
    with no Fish request and nothing reserved or charged. `spec` describes it for the queue (its
    text is what /queue shows)."""

    spec: SpeechSpec
    audio: bytes


Item = SpeechSpec | Bought


@dataclass(frozen=True)
class Placement:
    """Where queued items went: `ahead` requests before the first (0 = it plays now), in `channel`."""

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
        synth: Synthesizer,
        ledger: UsageLedger,
        sessions: SessionManager,
        settings: Settings,
        stale: StaleVoices,
        preparer: Preparer,
    ) -> None:
        self.stale = stale
        # From what a member wrote in a server to the specs queued or rendered here.
        self.preparer = preparer
        self.synth = synth
        # `SpeechSpec.build` with this bot's settings (same arguments, one signature); a file's
        # spec is in the operator's `speak.file_format`.
        self.spec = functools.partial(SpeechSpec.build, settings)
        self.file_spec = functools.partial(SpeechSpec.build, settings, format=settings.speak.file_format)
        self._ledger = ledger
        self._sessions = sessions
        self._settings = settings

    @staticmethod
    def today() -> datetime.date:
        """The UTC date model retirements are judged by (the bot's one clock, `bot.clock`)."""
        return clock.utc_today()

    async def queue(
        self,
        requester: discord.Member | discord.User,
        items: Sequence[Item],
        tell: Tell | None,
        *,
        into: VoiceSession | None = None,
        accepted: Accepted | None = None,
        message_id: int | None = None,
        channel_id: int | None = None,
        max_seconds: float | None = None,
        max_wait_s: float | None = None,
        notice: Tell | None = None,
        tell_place: bool = False,
    ) -> Placement:
        """Queue `items` in the requester's voice channel (joining it), or in `into` (narration's
        session, where who may speak is the caller's to check: `speak_refusal`). Returns the
        first item's placement.

        `tell(text)` tells the requester why a clip failed later; `notice(text)` something that
        did not stop it (a saved voice that was gone and replaced; default `tell`). `message_id`
        `max_seconds` and `max_wait_s` are narration's (the message read, a cap on its speaking
        time, how long it may wait before it is skipped unread);
        `channel_id` is the text channel the words were read from (who may see them in /queue).
        `tell_place`: a clip that waits long in the account's line for Fish tells the requester
        its place, by `tell`, once for all `items` (a member's own request; narration leaves it off).
        Raises FishUnavailable, QuotaExceeded, QueueFull, or a refusal when the requester may not
        speak in their voice channel or it can't be joined; in every case each reservation has
        been finished (given back, unless Fish had already been asked for the clip)."""
        assert items, "nothing to queue"
        guild_id = into.guild_id if into is not None else _guild_id(requester)
        if any(isinstance(item, SpeechSpec) for item in items):
            self.synth.refuse_if_open()  # before anything is reserved or joined
        voice_gone = self.voice_gone(requester.id, guild_id, notice or tell)
        notify = _notify(tell)
        requests: list[SpeakRequest] = []
        reservations: list[Reservation] = []
        started: Clip | None = None
        try:
            for item in items:
                request = SpeakRequest(spec=item.spec if isinstance(item, Bought) else item,
                                       requester_id=requester.id, requester_name=requester.display_name,
                                       notify=notify, message_id=message_id, channel_id=channel_id,
                                       max_seconds=max_seconds, max_wait_s=max_wait_s,
                                       tell_place=tell_place)
                if isinstance(item, Bought):
                    request.audio = item.audio
                else:
                    request.spec = await self._usable_voice(item, requester.id, guild_id, voice_gone)
                    reservation = await self._ledger.reserve(
                        kind="tts_bytes", amount=billed_bytes(request.text), user_id=requester.id,
                        guild_id=guild_id, model=request.spec.model,
                    )
                    reservations.append(reservation)
                    request.on_outcome, request.voice_gone = reservation.finish, voice_gone
                requests.append(request)
            session = into
            if session is None:
                if not isinstance(requester, discord.Member):
                    raise ServersOnly()
                self._check_voice(requester)
                first = requests[0]
                if self._sessions.get(requester.guild.id) is None and first.audio is None:
                    # Cold: the voice handshake and Fish's first byte each take hundreds of
                    # milliseconds, so they run at the same time; the audio waits in the clip's
                    # buffer until the connection is ready.
                    started = self._sessions.head_start(first, requester.guild.id)
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
            ahead = session.enqueue(*requests, started=started)
            started = None  # the session owns it now
        except BaseException:
            if started is not None:
                await started.cancel()  # closes the Fish stream at once
                await started.request.finish(started.outcome)  # "spent" if Fish had been asked already
            for reservation in reservations:
                if not reservation.finished:
                    await reservation.release("skipped")
            raise
        return Placement(ahead=ahead, channel=session.channel)

    def _check_voice(self, member: discord.Member) -> None:
        """Before joining or spending: what the bot lacks in the member's voice channel, then
        whether the member may speak there themselves (a refusal; no I/O)."""
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

    def voice_gone(self, user_id: int, guild_id: int | None, notice: Tell | None) -> VoiceGone:
        """The hook the synthesizer calls when Fish says a voice is gone (see bot/tts/gone.py)."""

        language = current_language()  # the requester's: the clip may call this from another task

        async def replace(missing: str) -> str | None:
            replacement = await self.stale.replace(missing, user_id=user_id, guild_id=guild_id)
            if replacement.notice is not None and notice is not None:
                with using_language(language):
                    text = gone_notice(replacement.notice)
                with contextlib.suppress(discord.HTTPException):  # a courtesy: the clip is spoken anyway
                    await notice(text)
            return replacement.voice_id

        return replace

    async def _usable_voice(self, spec: SpeechSpec, user_id: int, guild_id: int | None,
                            voice_gone: VoiceGone) -> SpeechSpec:
        """`spec` with a voice that may be spoken for `user_id`, decided before anything is spent
        (bot/tts/gone.py): a voice saved for them or their server that they may no longer use is
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
        notice: Tell | None = None, in_line: LongWait | None = None,
    ) -> bytes:
        """The whole clip as bytes in `spec.format`: from the TTS cache (recorded as "cached")
        or from Fish, with the billed bytes reserved first and committed when the audio arrived.
        A saved voice that is gone is replaced as in `queue` (`notice` tells the member);
        `in_line(place)` is called if the request waits long in the account's line for Fish."""
        voice_gone = self.voice_gone(user_id, guild_id, notice)
        spec = await self._usable_voice(spec, user_id, guild_id, voice_gone)
        audio = self.synth.cached(spec)
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
            return await self.synth.convert(spec, guild_id=guild_id, user_id=user_id,
                                             voice_gone=voice_gone, on_long_wait=in_line)


def _notify(tell: Tell | None) -> Notify | None:
    """What the voice session reports, worded in the requester's language (the one current now:
    the session reports from its own task) and told. A place in the account's line is told once
    for everything queued together (not again after a refusal, nor for each clip of a scene)."""
    if tell is None:
        return None
    language = current_language()
    told_place = False

    async def notify(event: VoiceNotice) -> None:
        nonlocal told_place
        if isinstance(event, InLine):
            if told_place:
                return
            told_place = True
        with using_language(language):
            text = voice_notice(event)
        await tell(text)

    return notify


def _guild_id(requester: discord.Member | discord.User) -> int | None:
    return requester.guild.id if isinstance(requester, discord.Member) else None
