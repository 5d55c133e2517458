"""The one place that turns Fish Audio errors into short sentences for Discord users.

Nothing here ever includes the API key or a raw body longer than `MAX_DETAIL` characters.
"""

from __future__ import annotations

import re

from bot.fish.errors import (
    AuthenticationError,
    BlankAudioError,
    FishAPIError,
    FishConnectError,
    FishError,
    FishNetworkError,
    FishResponseError,
    FishStreamError,
    FishTimeoutError,
    InsufficientCreditError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    RateLimitError,
    ReferenceNotFoundError,
    ServerError,
    ValidationError,
    VoiceNotReadyError,
    WebSocketError,
    first_detail_message,
)
from bot.i18n import _
from bot.i18n.formatting import duration

MAX_DETAIL = 150
# Anything that looks like a bearer token or long hex/base64 secret is masked from details.
_SECRETISH = re.compile(r"(?i)bearer\s+\S+|\b[0-9a-f]{24,}\b|\b[A-Za-z0-9_\-]{40,}\b")


def _clean(text: str, limit: int = MAX_DETAIL) -> str:
    text = " ".join(_SECRETISH.sub("***", text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _seconds(value: float | None) -> str:
    return duration(value) if value is not None else _("a few seconds")


def user_message(exc: BaseException) -> str:
    """A short, human explanation of `exc` that is safe to show any Discord member."""
    if isinstance(exc, AuthenticationError):
        return _("The bot's Fish Audio API key is invalid. Please tell the bot owner.")
    if isinstance(exc, InsufficientCreditError):
        return _("The bot's Fish Audio API credit has run out. Please tell the bot owner.")
    if isinstance(exc, PermissionDeniedError):
        return _("Fish Audio refused access to that voice or feature (it may be private).")
    if isinstance(exc, ReferenceNotFoundError):
        return _("That voice was not found on Fish Audio any more (it was deleted or made private).")
    if isinstance(exc, VoiceNotReadyError):
        return _("Fish Audio refused that voice: it is still being trained. Try again in a minute.")
    if isinstance(exc, NotFoundError):
        return _("That voice or model was not found on Fish Audio.")
    if isinstance(exc, PayloadTooLargeError):
        return _("That file is too large for Fish Audio.")
    if isinstance(exc, ValidationError):
        detail = first_detail_message(exc.detail) or exc.message
        return _("Fish Audio rejected the request: {detail}").format(detail=_clean(detail))
    if isinstance(exc, RateLimitError):
        return _("Fish Audio is busy right now. Try again in {wait}.").format(wait=_seconds(exc.retry_after))
    if isinstance(exc, ServerError):
        if exc.status == 503:
            return _("Fish Audio is busy (overloaded) right now. Try again in {wait}.").format(
                wait=_seconds(exc.retry_after))
        return _("Fish Audio had an error on its side (HTTP {status}). Try again later.").format(
            status=exc.status)
    if isinstance(exc, FishAPIError):
        return _("Fish Audio rejected the request: {detail}").format(detail=_clean(exc.message))
    if isinstance(exc, FishTimeoutError):
        return _("Timed out waiting for Fish Audio. Try again in a moment.")
    if isinstance(exc, FishConnectError):
        return _("Could not connect to Fish Audio. Try again in a moment.")
    if isinstance(exc, FishStreamError):
        return _("Fish Audio stopped sending part-way through its answer. Try again.")
    if isinstance(exc, FishNetworkError):
        return _("The connection to Fish Audio broke before it answered. Try again in a moment.")
    if isinstance(exc, WebSocketError):
        return _("The live connection to Fish Audio broke off. Try again.")
    if isinstance(exc, BlankAudioError):
        return _("Fish Audio sent back an empty clip (a known Fish fault). Try again.")
    if isinstance(exc, FishResponseError):
        return _("Fish Audio sent an answer the bot could not understand. Try again later.")
    if isinstance(exc, FishError):
        return _("Something went wrong talking to Fish Audio. Try again later.")
    return _("Something went wrong. Try again later.")

