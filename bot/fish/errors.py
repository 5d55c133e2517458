"""Exceptions raised by the Fish Audio client.

Every failure leaves the client as a `FishError` subclass: raw httpx / httpx-ws / pydantic
exceptions are translated at the boundary so callers need exactly one `except FishError`.
Messages never contain the API key (the client redacts it from server bodies too).
"""

from __future__ import annotations

import email.utils
import json
from typing import Any

import httpx

from bot import clock

MAX_MESSAGE_CHARS = 300


class FishError(Exception):
    """Base class of every error the Fish Audio client raises."""


class FishAPIError(FishError):
    """The API answered with a non-2xx status."""

    def __init__(self, status: int, message: str, body: str | None = None) -> None:
        self.status = status
        self.message = message
        self.body = body
        super().__init__(f"HTTP {status}: {_truncate(message, MAX_MESSAGE_CHARS)}")


class AuthenticationError(FishAPIError):
    """401: the API key is missing or invalid."""


class InsufficientCreditError(FishAPIError):
    """402: the account's API credit (separate from platform credit) has run out."""


class PermissionDeniedError(FishAPIError):
    """403: the key may not use this resource."""


class NotFoundError(FishAPIError):
    """404: unknown voice/model or resource."""


class ReferenceNotFoundError(NotFoundError):
    """The voice (`reference_id`) a TTS request named does not exist (any more) on Fish Audio.

    The real API says so with a 400 `{"message":"Reference not found"}`, not a 404 (§0); it is a
    NotFoundError so that "the voice is gone" is one `except` whatever the status."""


class VoiceNotReadyError(FishAPIError):
    """The voice exists but is not `trained` yet (or its training failed)."""


class PayloadTooLargeError(FishAPIError):
    """413: the uploaded audio or request body is too large."""


class ValidationError(FishAPIError):
    """422: the API rejected the request's fields; `.detail` holds its per-field list."""

    def __init__(
        self, status: int, message: str, body: str | None = None, detail: list[Any] | None = None
    ) -> None:
        super().__init__(status, message, body)
        self.detail: list[Any] = detail or []


class RateLimitError(FishAPIError):
    """429: too many concurrent requests; `.retry_after` is the server's hint in seconds."""

    def __init__(
        self, status: int, message: str, body: str | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(status, message, body)
        self.retry_after = retry_after


class ServerError(FishAPIError):
    """5xx: Fish Audio itself failed or is overloaded (a 503 may carry Retry-After)."""

    def __init__(
        self, status: int, message: str, body: str | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(status, message, body)
        self.retry_after = retry_after


class FishTimeoutError(FishError):
    """No progress (connect, write or read) within the configured timeout."""


class FishNetworkError(FishError):
    """The connection could not be made or dropped mid-request/stream."""


class FishConnectError(FishNetworkError):
    """No connection to Fish Audio could be made (DNS, refused, unreachable)."""


class FishStreamError(FishNetworkError):
    """The connection dropped after Fish had started answering (part of the body arrived)."""


class FishResponseError(FishError):
    """A 2xx answer whose body does not fit the expected shape (not JSON, or missing fields)."""


class WebSocketError(FishError):
    """The live (WebSocket) TTS session failed: server error, or it closed unexpectedly."""


class BlankAudioError(FishResponseError):
    """A TTS response that ended normally but is far too small for its text: a blank clip (a
    known Fish fault returns 200 with about 417 bytes, fish-audio-python#128)."""

    def __init__(self, size: int, expected_min: int) -> None:
        self.size = size
        self.expected_min = expected_min
        super().__init__(f"Fish Audio returned {size} bytes of audio (at least {expected_min} expected)")


_BY_STATUS: dict[int, type[FishAPIError]] = {
    401: AuthenticationError,
    402: InsufficientCreditError,
    403: PermissionDeniedError,
    404: NotFoundError,
    413: PayloadTooLargeError,
}


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP date); None if absent/garbled."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - clock.utc_now().timestamp())


def first_detail_message(detail: list[Any]) -> str | None:
    for item in detail:
        if isinstance(item, dict) and isinstance(item.get("msg"), str):
            return item["msg"]
        if isinstance(item, str):
            return item
    return None


def parse_error_body(status: int, text: str) -> tuple[str, list[Any]]:
    """(message, detail list) from any error body: JSON object, list, string, or plain text.

    The SDK crashes with AttributeError on a JSON body that is not an object; here any JSON
    shape is accepted.
    """
    fallback = text.strip() or httpx.codes.get_reason_phrase(status) or f"HTTP {status}"
    try:
        data = json.loads(text) if text.strip() else None
    except ValueError:
        return fallback, []
    if isinstance(data, dict):
        detail = data.get("detail")
        details = detail if isinstance(detail, list) else []
        message = data.get("message")
        if isinstance(message, str) and message:
            return message, details
        if isinstance(detail, str) and detail:
            return detail, [{"msg": detail}]
        if details:
            return first_detail_message(details) or json.dumps(details)[:MAX_MESSAGE_CHARS], details
        return fallback, []
    if isinstance(data, list):
        return first_detail_message(data) or fallback, data
    if isinstance(data, str) and data:
        return data, []
    return fallback, []


def _is_reference_not_found(message: str) -> bool:
    return "reference not found" in message.lower()


def _is_not_ready(message: str) -> bool:
    lowered = message.lower()
    return "not ready" in lowered or "not trained" in lowered


def error_from_live_event(event: dict[str, Any]) -> FishError:
    """The exception for the live socket's in-band `{"event":"error", ...}` (§0): the documented
    concurrency limit is a rate limit like HTTP 429; a missing voice is ReferenceNotFoundError."""
    raw = event.get("error") or event.get("message") or "error"
    message = _truncate(str(raw), MAX_MESSAGE_CHARS)
    status = event.get("status") if isinstance(event.get("status"), int) else None
    if "concurrency" in message.lower() or status == 429:
        return RateLimitError(429, message, None, None)
    if _is_reference_not_found(message):
        return ReferenceNotFoundError(status or 400, message)
    if status == 402:
        return InsufficientCreditError(402, message)
    if status is not None and status >= 400:
        return error_from_response(status, json.dumps({"message": message}))
    return WebSocketError(f"Fish Audio ended the live TTS with an error: {message}")


def error_from_response(
    status: int, text: str, headers: httpx.Headers | None = None, *, secret: str | None = None
) -> FishAPIError:
    """The exception for a non-2xx response. `secret` (the API key) is scrubbed from the body."""
    if secret and len(secret) >= 8:  # a real key; masking a 3-letter test key would mangle words
        text = text.replace(secret, "***")
    message, detail = parse_error_body(status, text)
    if status == 422:
        return ValidationError(status, message, text, detail)
    if status in (400, 404) and _is_reference_not_found(message):
        return ReferenceNotFoundError(status, message, text)
    if status == 400 and _is_not_ready(message):
        return VoiceNotReadyError(status, message, text)
    retry_after = parse_retry_after(headers.get("retry-after") if headers else None)
    if status == 429:
        return RateLimitError(status, message, text, retry_after)
    if status >= 500:
        return ServerError(status, message, text, retry_after)
    return _BY_STATUS.get(status, FishAPIError)(status, message, text)
