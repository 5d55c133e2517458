"""The one place that turns Fish Audio errors into short sentences for Discord users.

Nothing here ever includes the API key or a raw body longer than `MAX_DETAIL` characters.
"""

from __future__ import annotations

import math
import re

from .errors import (
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

MAX_DETAIL = 150
# Anything that looks like a bearer token or long hex/base64 secret is masked from details.
_SECRETISH = re.compile(r"(?i)bearer\s+\S+|\b[0-9a-f]{24,}\b|\b[A-Za-z0-9_\-]{40,}\b")


def _clean(text: str, limit: int = MAX_DETAIL) -> str:
    text = " ".join(_SECRETISH.sub("***", text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _seconds(value: float | None) -> str:
    return f"{max(1, math.ceil(value))} s" if value is not None else "a few seconds"


def user_message(exc: BaseException) -> str:
    """A short, human explanation of `exc` that is safe to show any Discord member."""
    if isinstance(exc, AuthenticationError):
        return "The bot's Fish Audio API key is invalid. Please tell the bot owner."
    if isinstance(exc, InsufficientCreditError):
        return "The bot's Fish Audio API credit has run out. Please tell the bot owner."
    if isinstance(exc, PermissionDeniedError):
        return "Fish Audio refused access to that voice or feature (it may be private)."
    if isinstance(exc, ReferenceNotFoundError):
        return "That voice was not found on Fish Audio any more (it was deleted or made private)."
    if isinstance(exc, VoiceNotReadyError):
        return "Fish Audio refused that voice: it is still being trained. Try again in a minute."
    if isinstance(exc, NotFoundError):
        return "That voice or model was not found on Fish Audio."
    if isinstance(exc, PayloadTooLargeError):
        return "That file is too large for Fish Audio."
    if isinstance(exc, ValidationError):
        detail = first_detail_message(exc.detail) or exc.message
        return f"Fish Audio rejected the request: {_clean(detail)}"
    if isinstance(exc, RateLimitError):
        return f"Fish Audio is busy right now. Try again in {_seconds(exc.retry_after)}."
    if isinstance(exc, ServerError):
        if exc.status == 503:
            return f"Fish Audio is busy (overloaded) right now. Try again in {_seconds(exc.retry_after)}."
        return f"Fish Audio had an error on its side (HTTP {exc.status}). Try again later."
    if isinstance(exc, FishAPIError):
        return f"Fish Audio rejected the request: {_clean(exc.message)}"
    if isinstance(exc, FishTimeoutError):
        return "Timed out waiting for Fish Audio. Try again in a moment."
    if isinstance(exc, FishConnectError):
        return "Could not connect to Fish Audio. Try again in a moment."
    if isinstance(exc, FishStreamError):
        return "Fish Audio stopped sending part-way through its answer. Try again."
    if isinstance(exc, FishNetworkError):
        return "The connection to Fish Audio broke before it answered. Try again in a moment."
    if isinstance(exc, WebSocketError):
        return "The live connection to Fish Audio broke off. Try again."
    if isinstance(exc, BlankAudioError):
        return "Fish Audio sent back an empty clip (a known Fish fault). Try again."
    if isinstance(exc, FishResponseError):
        return "Fish Audio sent an answer the bot could not understand. Try again later."
    if isinstance(exc, FishError):
        return "Something went wrong talking to Fish Audio. Try again later."
    return "Something went wrong. Try again later."

