"""What the speak queue holds: requests, not audio (audio is fetched when a request nears the head)."""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import discord

from bot import clock
from bot.tts.spec import SpeechSpec
from bot.tts.synthesizer import VoiceGone
from bot.usage.quotas import Outcome
from bot.voice.outcomes import VoiceNotice

log = logging.getLogger(__name__)

_next_id = itertools.count(1)

# Tells the requester what happened to their request (worded and delivered by the layer above).
Notify = Callable[[VoiceNotice], Awaitable[None]]
# "ok" (played), "cached" (played from the TTS cache), "partial" (Fish's stream broke after some of
# the audio arrived, which played), "failed", "spent" (dropped before playing, but Fish had already
# been asked: billed), "skipped" (dropped before Fish was asked).
OnOutcome = Callable[[Outcome], Awaitable[None]]


@dataclass(eq=False)
class SpeakRequest:
    """A spec to say, who asked for it and how they are told (the queue's unit)."""

    spec: SpeechSpec
    requester_id: int
    requester_name: str
    # Tells the requester why their clip failed (an ephemeral follow-up, a channel reply...).
    notify: Notify | None = None
    # For narration: the message this request reads, so deletes and edits can find it.
    message_id: int | None = None
    # The text channel its words were read from (a narrated message, "Speak this message"):
    # /queue shows them only to members who can read that channel.
    channel_id: int | None = None
    # For narration: stop speaking after this long (a long message can't hold the channel).
    max_seconds: float | None = None
    # For narration: skipped unread once it has waited this long since the message was written
    # (stale chat is not read late).
    max_wait_s: float | None = None
    # Told once how the request ended; /speak commits or releases the member's quota with it.
    on_outcome: OnOutcome | None = None
    # The spec's voice is gone from Fish: forget it, pick the next one (and tell the member once).
    voice_gone: VoiceGone | None = None
    # A member's own request (/speak, a menu, a preview): told its place when its audio waits long
    # in the account's line for Fish. Not narration: a place per chat message would flood the
    # channel, and its `max_wait_s` already bounds (and reports) a long wait.
    tell_place: bool = False
    # Audio already bought (a voice-design candidate): played as it is, without asking Fish.
    audio: bytes | None = None
    id: int = field(default_factory=lambda: next(_next_id))
    created: float = field(default_factory=time.monotonic)
    queued_at: datetime = field(default_factory=lambda: clock.utc_now())
    _finished: bool = field(default=False, init=False, repr=False)

    async def finish(self, outcome: Outcome) -> None:
        """Report the outcome (only the first call counts; never raises)."""
        if self._finished:
            return
        self._finished = True
        if self.on_outcome is not None:
            try:
                await self.on_outcome(outcome)
            except Exception:
                log.exception("recording the outcome of speak request %s failed", self.id)

    @property
    def waiting_since(self) -> datetime:
        """When its wait began: when it was queued, or for a narrated message when it was written
        (its id's time) if that is earlier — after a gateway RESUME, Discord replays the messages
        missed meanwhile, which may already be minutes old."""
        if self.message_id is None:
            return self.queued_at
        return min(self.queued_at, discord.utils.snowflake_time(self.message_id))

    def stale(self, now: datetime) -> bool:
        """It has waited longer than it may (narration's `max_wait_s`)."""
        return self.max_wait_s is not None and now - self.waiting_since > timedelta(seconds=self.max_wait_s)

    @property
    def text(self) -> str:
        return self.spec.text

    def preview(self, limit: int = 60) -> str:
        text = " ".join(self.text.split())
        return text if len(text) <= limit else text[: limit - 1] + "…"
