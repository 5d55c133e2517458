"""Fault injection and the API's error bodies.

`Faults.fail(endpoint, ...)` sets the fault for the next `times` requests of that endpoint,
replacing any fault still pending there (one fault per endpoint; it clears itself after
`times` requests). Error bodies follow the doc (§5): JSON
`{"status", "message"}`, except 401 (and unparseable requests), which get plain text. Bad
parameters are a plain 400 `{"status":400,"message":...}` like the real API (§0), not FastAPI's
422 `{"detail": [...]}`: the message names the first offending field. 429 carries `Retry-After`
here (the real API does not promise it on the main endpoints, §0; tests may pass `retry_after`).

Faults besides statuses: `blank` answers 200 with a blank clip of about 417 bytes (the known
server issue, fish-audio-python#128); `ws_concurrency` makes the live socket send the in-band
`{"event":"error","error":"Concurrency limit exceeded","max_concurrency":8}` event.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aiohttp import web

ENDPOINTS = (
    "tts",
    "tts_live",
    "asr",
    "model_list",
    "model_get",
    "model_create",
    "model_update",
    "model_delete",
    "credits",
    "package",
    "voice_design",
    "sample",
)

NO_PERMISSION = "No permission -- see authorization schemes"
INSUFFICIENT_CREDIT = "Insufficient API credit. API credit is managed independently from platform credit."
MESSAGES = {
    400: "Bad request",
    402: INSUFFICIENT_CREDIT,
    403: "Permission denied",
    404: "Not found",
    409: "Conflict",
    413: "Request entity too large",
    429: "Too many requests, please slow down",
    500: "Internal server error",
    502: "Bad gateway",
    503: "Service is under high load, please try again later",
    504: "Gateway timeout",
}


@dataclass
class Fault:
    status: int | None = None
    body: str | bytes | dict[str, Any] | list[Any] | None = None
    delay: float = 0.0
    times: int = 1
    disconnect_after_bytes: int | None = None
    ws_error: bool = False
    retry_after: float | int | None = None
    stall_after_bytes: int | None = None
    blank: bool = False
    ws_concurrency: bool = False


class Faults:
    def __init__(self) -> None:
        self._active: dict[str, Fault] = {}

    def fail(self, endpoint: str, **options: Any) -> Fault:
        if endpoint not in ENDPOINTS:
            raise ValueError(f"unknown endpoint {endpoint!r}; one of {', '.join(ENDPOINTS)}")
        fault = Fault(**options)
        if fault.times < 1:
            raise ValueError("times must be at least 1")
        self._active[endpoint] = fault
        return fault

    def take(self, endpoint: str) -> Fault | None:
        """The fault for this request (counting it against `times`), or None."""
        fault = self._active.get(endpoint)
        if fault is None:
            return None
        fault.times -= 1
        if fault.times <= 0:
            del self._active[endpoint]
        return fault

    def clear(self, endpoint: str | None = None) -> None:
        if endpoint is None:
            self._active.clear()
        else:
            self._active.pop(endpoint, None)

    def pending(self, endpoint: str) -> int:
        """How many more requests of `endpoint` the current fault applies to."""
        fault = self._active.get(endpoint)
        return 0 if fault is None else fault.times


def error_response(
    status: int, message: str | None = None, *, body: Any = None, retry_after: float | int | None = None
) -> web.Response:
    """The API's error for `status`; `body` overrides it verbatim (str/bytes, or JSON-encoded)."""
    headers: dict[str, str] = {}
    if status == 429:
        headers["Retry-After"] = str(retry_after if retry_after is not None else 1)
    elif retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    if body is not None:
        if isinstance(body, bytes | str):
            text = body.decode() if isinstance(body, bytes) else body
            ctype = "application/json" if text[:1] in "{[" else "text/plain"
            return web.Response(status=status, text=text, content_type=ctype, headers=headers)
        return web.Response(
            status=status, text=json.dumps(body), content_type="application/json", headers=headers
        )
    if status == 401:
        return web.Response(
            status=401, text=message or NO_PERMISSION, content_type="text/plain", headers=headers
        )
    payload = {"status": status, "message": message or MESSAGES.get(status, "Error")}
    return web.json_response(payload, status=status, headers=headers)


def validation_message(errors: list[dict[str, Any]]) -> str:
    """"field: problem" for each pydantic-style error, e.g. "opus_bitrate: Input should be ..."."""
    parts = []
    for error in errors:
        loc = [str(x) for x in error.get("loc", []) if x not in ("body", "query", "request")]
        parts.append(f"{'.'.join(loc) or 'body'}: {error.get('msg', 'invalid')}")
    return "; ".join(parts)


def validation_error(errors: list[dict[str, Any]]) -> web.Response:
    """Bad parameters: 400 `{"status":400,"message":"<field>: <problem>"}` as the real API answers
    (§0), not FastAPI's 422 detail list."""
    return web.json_response({"status": 400, "message": validation_message(errors)}, status=400)


def plain_error(status: int, text: str) -> web.Response:
    return web.Response(status=status, text=text, content_type="text/plain")
