"""Quotas in words: amounts in their units ("1,234 bytes", "2 voice clones", "1.5 min"), the wait
until the reset, and `QuotaExceeded` (which quota, what is left, when it resets)."""

from __future__ import annotations

import math

from bot import clock
from bot.errors import QuotaExceeded
from bot.i18n import N_, _, ngettext
from bot.i18n.formatting import duration, number

# What each kind of quota counts, for messages (translated where shown).
KIND_NOUNS = {
    "tts_bytes": N_("speech"),
    "clones": N_("voice clones"),
    "transcribe_seconds": N_("transcription minutes"),
    "voice_designs": N_("voice designs"),
}


def describe_amount(kind: str, amount: float) -> str:
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


def quota_exceeded(error: QuotaExceeded) -> str:
    """Which quota is used up, what is left of it, what this needed and when it resets."""
    noun = _(KIND_NOUNS[error.kind])
    if error.limit == 0:
        if error.scope == "member":
            text = _("Your daily quota of {noun} here is 0, so this isn't available.")
        else:
            text = _("This server's daily quota of {noun} is 0, so this isn't available.")
        return text.format(noun=noun)
    if error.scope == "member":
        text = _("Your daily quota of {noun} is used up: {remaining} left of {limit}, and this needs "
                 "{requested}. It resets in {wait} (midnight UTC).")
    else:
        text = _("This server's daily quota of {noun} is used up: {remaining} left of {limit}, and "
                 "this needs {requested}. It resets in {wait} (midnight UTC).")
    kind = error.kind
    text = text.format(
        noun=noun, remaining=describe_amount(kind, error.remaining), limit=describe_amount(kind, error.limit),
        requested=describe_amount(kind, error.requested),
        wait=describe_wait((error.resets_at - clock.utc_now()).total_seconds()),
    )
    if kind == "tts_bytes":
        text += " " + bytes_explained()
    return text
