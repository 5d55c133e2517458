"""Daily quotas: what each kind of spending is, its limits (config, then per-server overrides),
and the UTC day it counts against. Going over a quota raises `bot.errors.QuotaExceeded`, worded
(with the amounts) by `bot.wording.quotas`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal, get_args

from pydantic import BaseModel, Field

from bot import clock
from bot.config import QuotaSection

# Speech counts the UTF-8 bytes of the text sent to Fish, the unit Fish bills (a Japanese
# character is 3 bytes); see bot/usage/billing.py.
Kind = Literal["tts_bytes", "clones", "transcribe_seconds", "voice_designs"]
KINDS: tuple[Kind, ...] = get_args(Kind)
Scope = Literal["member", "guild"]

# Outcomes recorded in the ledger. "ok", "partial" and "spent" keep the reserved amount; every
# other outcome gives it back to the quota ("cached": served without calling Fish; "denied": over
# quota; "skipped": dropped before Fish was asked). Fish bills by the text it accepted, so:
# "partial": Fish streamed part of the audio before the stream broke;
# "spent": Fish had been asked, then the clip was dropped unheard (skipped, stopped, deleted, edited,
# or its voice join failed), e.g. while it was fetched ahead of the clip playing.
Outcome = Literal["ok", "partial", "spent", "failed", "skipped", "cached", "denied"]
SPENT: frozenset[str] = frozenset({"ok", "partial", "spent"})

OVERRIDES_NAMESPACE = "quotas"


@dataclass(frozen=True)
class KindInfo:
    member_field: str  # the QuotaSection / QuotaOverrides fields
    guild_field: str
    scale: int  # config unit -> stored unit (minutes -> seconds)


KIND_INFO: dict[Kind, KindInfo] = {
    "tts_bytes": KindInfo("tts_bytes_per_member", "tts_bytes_per_guild", 1),
    "clones": KindInfo("clones_per_member", "clones_per_guild", 1),
    "transcribe_seconds": KindInfo("transcribe_minutes_per_member", "transcribe_minutes_per_guild", 60),
    "voice_designs": KindInfo("voice_designs_per_member", "voice_designs_per_guild", 1),
}


class QuotaOverrides(BaseModel):
    """A server's own daily limits (namespace "quotas"); None = the bot's configured limit.

    Unlike the config, where 0 means unlimited, 0 here means "none allowed in this server". A
    server can only lower the operator's limits: the operator pays for every request.
    """

    tts_bytes_per_member: int | None = Field(None, ge=0)
    tts_bytes_per_guild: int | None = Field(None, ge=0)
    clones_per_member: int | None = Field(None, ge=0)
    clones_per_guild: int | None = Field(None, ge=0)
    transcribe_minutes_per_member: float | None = Field(None, ge=0)
    transcribe_minutes_per_guild: float | None = Field(None, ge=0)
    voice_designs_per_member: int | None = Field(None, ge=0)
    voice_designs_per_guild: int | None = Field(None, ge=0)


@dataclass(frozen=True)
class Limits:
    """Effective daily limits in stored units (bytes, clones, seconds); None = unlimited."""

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
    return (now or clock.utc_now()).astimezone(UTC).date()


def next_reset(now: datetime | None = None) -> datetime:
    """When the quotas reset next (midnight UTC)."""
    now = (now or clock.utc_now()).astimezone(UTC)
    return datetime.combine(now.date() + timedelta(days=1), time(), tzinfo=UTC)


def seconds_to_reset(now: datetime | None = None) -> float:
    """Seconds until the quotas reset (midnight UTC)."""
    now = (now or clock.utc_now()).astimezone(UTC)
    return (next_reset(now) - now).total_seconds()
