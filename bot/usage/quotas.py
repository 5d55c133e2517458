"""Daily quotas: what each kind of spending is, its limits (config, then per-server overrides),
the UTC day it counts against, and the refusal a member sees when a quota is used up."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal, get_args

from pydantic import BaseModel, Field

from bot.config import QuotaSection
from bot.errors import UserFacingError

Kind = Literal["tts_chars", "clones", "transcribe_seconds", "voice_designs"]
KINDS: tuple[Kind, ...] = get_args(Kind)
Scope = Literal["member", "guild"]

# Outcomes recorded in the ledger. "ok" and "partial" keep the reserved amount; every other
# outcome gives it back to the quota ("cached": served without calling Fish; "denied": over quota).
# "partial": Fish accepted the text and streamed part of the audio before the stream broke; Fish
# bills by the text it accepted, so it counts as spent.
Outcome = Literal["ok", "partial", "failed", "skipped", "cached", "denied"]
SPENT: frozenset[str] = frozenset({"ok", "partial"})

OVERRIDES_NAMESPACE = "quotas"


@dataclass(frozen=True)
class KindInfo:
    noun: str  # what the quota counts, for messages
    member_field: str  # the QuotaSection / QuotaOverrides fields
    guild_field: str
    scale: int  # config unit -> stored unit (minutes -> seconds)


KIND_INFO: dict[Kind, KindInfo] = {
    "tts_chars": KindInfo("speech characters", "tts_chars_per_member", "tts_chars_per_guild", 1),
    "clones": KindInfo("voice clones", "clones_per_member", "clones_per_guild", 1),
    "transcribe_seconds": KindInfo(
        "transcription minutes", "transcribe_minutes_per_member", "transcribe_minutes_per_guild", 60
    ),
    "voice_designs": KindInfo("voice designs", "voice_designs_per_member", "voice_designs_per_guild", 1),
}


class QuotaOverrides(BaseModel):
    """A server's own daily limits (namespace "quotas"); None = the bot's configured limit.

    Unlike the config, where 0 means unlimited, 0 here means "none allowed in this server". A
    server can only lower the operator's limits: the operator pays for every request.
    """

    tts_chars_per_member: int | None = Field(None, ge=0)
    tts_chars_per_guild: int | None = Field(None, ge=0)
    clones_per_member: int | None = Field(None, ge=0)
    clones_per_guild: int | None = Field(None, ge=0)
    transcribe_minutes_per_member: float | None = Field(None, ge=0)
    transcribe_minutes_per_guild: float | None = Field(None, ge=0)
    voice_designs_per_member: int | None = Field(None, ge=0)
    voice_designs_per_guild: int | None = Field(None, ge=0)


@dataclass(frozen=True)
class Limits:
    """Effective daily limits in stored units (characters, clones, seconds); None = unlimited."""

    member: int | None
    guild: int | None

    def of(self, scope: Scope) -> int | None:
        return self.member if scope == "member" else self.guild


def _configured(value: float, scale: int) -> int | None:
    return None if value == 0 else int(value * scale)


def effective_limit(configured: float, override: float | None, scale: int) -> int | None:
    limit = _configured(configured, scale)
    if override is None:
        return limit
    own = int(override * scale)
    return own if limit is None else min(own, limit)


def resolve_limits(kind: Kind, quotas: QuotaSection, overrides: QuotaOverrides | None) -> Limits:
    info = KIND_INFO[kind]
    values = []
    for name in (info.member_field, info.guild_field):
        override = getattr(overrides, name) if overrides is not None else None
        values.append(effective_limit(getattr(quotas, name), override, info.scale))
    return Limits(member=values[0], guild=values[1])


def utc_day(now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(UTC).date()


def seconds_to_reset(now: datetime | None = None) -> float:
    """Seconds until the quotas reset (midnight UTC)."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    midnight = datetime.combine(now.date() + timedelta(days=1), time(), tzinfo=UTC)
    return (midnight - now).total_seconds()


def describe_amount(kind: Kind, amount: float) -> str:
    """An amount in stored units, worded for members: "1,234 characters", "2 voice clones"."""
    if kind == "transcribe_seconds":
        minutes = amount / 60
        return f"{minutes:,.1f} min" if minutes % 1 else f"{int(minutes):,} min"
    if kind == "clones":
        return f"{int(amount):,} voice clone{'' if amount == 1 else 's'}"
    if kind == "voice_designs":
        return f"{int(amount):,} voice design{'' if amount == 1 else 's'}"
    return f"{int(amount):,} characters"


def describe_wait(seconds: float) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


class QuotaExceeded(UserFacingError):
    """A request would go over a daily quota; the text says which, what is left and when it resets."""

    def __init__(self, *, kind: Kind, scope: Scope, limit: int, used: int, requested: int,
                 reset_in: float) -> None:
        self.kind, self.scope, self.limit = kind, scope, limit
        self.used, self.requested, self.reset_in = used, requested, reset_in
        self.remaining = max(0, limit - used)
        noun = KIND_INFO[kind].noun
        whose = "Your" if scope == "member" else "This server's"
        if limit == 0:
            text = f"{whose} daily quota of {noun} here is 0, so this isn't available."
        else:
            text = (
                f"{whose} daily quota of {noun} is used up: {describe_amount(kind, self.remaining)} "
                f"left of {describe_amount(kind, limit)}, and this needs "
                f"{describe_amount(kind, requested)}. It resets in {describe_wait(reset_in)} "
                "(midnight UTC)."
            )
        super().__init__(text)
