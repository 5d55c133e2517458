"""What a voice session tells a requester, as data: the layers above word it (bot.wording.notices)
in the requester's language and deliver it (bot.speech)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class ClipFailed:
    """The requester's clip failed: `error` is why (a Fish error, ClipStalled, FishUnavailable
    while the breaker is open...); `part_way` when some of its audio had played."""

    error: BaseException
    part_way: bool


@dataclass(frozen=True)
class SessionEnded:
    """The session ended on its own: "removed" (disconnected by someone) or "reconnect failed"
    (Discord didn't let the bot back in). `channel` is the voice channel's mention, if known."""

    reason: Literal["removed", "reconnect failed"]
    channel: str | None


@dataclass(frozen=True)
class StaleSkipped:
    """`count` narrated messages (the requester's among them) waited longer than `max_wait_s`
    to be read, and were skipped unread."""

    count: int
    max_wait_s: float


@dataclass(frozen=True)
class InLine:
    """The requester's clip has waited long for one of the account's Fish slots (the account's
    concurrency limit, bot/fish/admission) and is `place` in line (1: next). It still comes.
    Reported for each long wait (again after a refusal, for each clip of a scene); the speech layer
    tells the member once for what they asked together."""

    place: int


VoiceNotice = ClipFailed | SessionEnded | StaleSkipped | InLine
