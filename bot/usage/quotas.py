"""Daily quotas: what each kind of spending is, its limits (config, then per-server overrides),
the UTC day it counts against, and the refusal a member sees when a quota is used up."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal, get_args

from pydantic import BaseModel, Field

from bot import clock
from bot.config import QuotaSection
from bot.errors import UserFacingError
from bot.i18n import N_, _, ngettext
from bot.i18n.formatting import duration, number

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
    noun: str  # what the quota counts, for messages (translated where shown)
    member_field: str  # the QuotaSection / QuotaOverrides fields
    guild_field: str
    scale: int  # config unit -> stored unit (minutes -> seconds)


KIND_INFO: dict[Kind, KindInfo] = {
    "tts_bytes": KindInfo(N_("speech"), "tts_bytes_per_member", "tts_bytes_per_guild", 1),
    "clones": KindInfo(N_("voice clones"), "clones_per_member", "clones_per_guild", 1),
    "transcribe_seconds": KindInfo(
        N_("transcription minutes"), "transcribe_minutes_per_member", "transcribe_minutes_per_guild", 60
    ),
    "voice_designs": KindInfo(N_("voice designs"), "voice_designs_per_member", "voice_designs_per_guild",
                              1),
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


def seconds_to_reset(now: datetime | None = None) -> float:
    """Seconds until the quotas reset (midnight UTC)."""
    now = (now or clock.utc_now()).astimezone(UTC)
    midnight = datetime.combine(now.date() + timedelta(days=1), time(), tzinfo=UTC)
    return (midnight - now).total_seconds()


def describe_amount(kind: Kind, amount: float) -> str:
    """An amount in stored units, worded for members in the current language: "1,234 bytes",
    "2 voice clones", "1.5 min" ("1,5 Min." in German)."""
    if kind == "transcribe_seconds":
        minutes = amount / 60
        shown = number(minutes, decimals=1) if minutes % 1 else number(int(minutes))
        return _("{amount} min").format(amount=shown)
    count = int(amount)
    if kind == "clones":
        text = ngettext("{count} voice clone", "{count} voice clones", count)
    elif kind == "voice_designs":
        text = ngettext("{count} voice design", "{count} voice designs", count)
    else:
        text = ngettext("{count} byte", "{count} bytes", count)
    return text.format(count=number(count))


def bytes_explained() -> str:
    """Why speech is counted in bytes, in one sentence for members."""
    return _("Speech counts the bytes of text sent to Fish Audio, as it bills them: 1 per English "
             "letter, 3 per Japanese or Chinese character.")


def describe_wait(seconds: float) -> str:
    """Time until a reset, in whole minutes rounded up: "5 h 3 min", "5 時間 3 分"."""
    return duration(max(1, math.ceil(seconds / 60)) * 60)


class QuotaExceeded(UserFacingError):
    """A request would go over a daily quota; the text says which, what is left and when it resets."""

    def __init__(self, *, kind: Kind, scope: Scope, limit: int, used: int, requested: int,
                 reset_in: float) -> None:
        self.kind, self.scope, self.limit = kind, scope, limit
        self.used, self.requested, self.reset_in = used, requested, reset_in
        self.remaining = max(0, limit - used)
        noun = _(KIND_INFO[kind].noun)
        if limit == 0:
            if scope == "member":
                text = _("Your daily quota of {noun} here is 0, so this isn't available.")
            else:
                text = _("This server's daily quota of {noun} is 0, so this isn't available.")
            super().__init__(text.format(noun=noun))
            return
        if scope == "member":
            text = _("Your daily quota of {noun} is used up: {remaining} left of {limit}, and this needs "
                     "{requested}. It resets in {wait} (midnight UTC).")
        else:
            text = _("This server's daily quota of {noun} is used up: {remaining} left of {limit}, and "
                     "this needs {requested}. It resets in {wait} (midnight UTC).")
        text = text.format(
            noun=noun, remaining=describe_amount(kind, self.remaining), limit=describe_amount(kind, limit),
            requested=describe_amount(kind, requested), wait=describe_wait(reset_in),
        )
        if kind == "tts_bytes":
            text += " " + bytes_explained()
        super().__init__(text)
