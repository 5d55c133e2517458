"""What the stand-in saw and did for each request, and body decoding (msgpack/JSON/form/multipart).

Times are `time.perf_counter()` values, the same clock the voice stand-in and the bot's clip
code use, so tests can order events across them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl

import ormsgpack


@dataclass
class Part:
    """One multipart part exactly as received."""

    name: str
    filename: str | None
    content_type: str | None
    size: int
    data: bytes = field(repr=False)

    @property
    def text(self) -> str:
        return self.data.decode("utf-8", errors="replace")


@dataclass
class RecordedRequest:
    endpoint: str
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lowercased names; authorization is redacted
    auth: str  # "valid", "invalid" or "missing"
    received_at: float
    content_type: str = ""
    raw_size: int = 0
    body: Any = None  # decoded: msgpack/JSON object, form dict of lists, or None
    parts: list[Part] = field(default_factory=list)  # multipart parts, in order
    status: int | None = None
    model: str | None = None  # the model actually used (TTS): header value or the fallback
    charged: Decimal = Decimal(0)
    first_byte_at: float | None = None
    chunk_times: list[float] = field(default_factory=list)
    finished_at: float | None = None  # the last body byte was written
    disconnected: bool = False  # the client went away before the end
    disconnected_at: float | None = None
    dropped: bool = False  # the stand-in cut the connection (fault)
    stalled: bool = False  # the stand-in stopped sending (fault)
    audio_chunks: list[bytes] = field(default_factory=list, repr=False)  # as written, in order
    planned_audio: bytes = field(default=b"", repr=False)  # the whole clip it meant to send
    events: list[dict[str, Any]] = field(default_factory=list)  # WebSocket: client events
    client_closed: bool = False  # WebSocket: the client closed the socket (not the stand-in)
    sent_events: list[dict[str, Any]] = field(default_factory=list)  # WebSocket: audio elided
    holds_slot: bool = False  # counted against the account's concurrency now
    refused_for_concurrency: bool = False  # 429 / the live socket's in-band error

    @property
    def audio(self) -> bytes:
        """The audio bytes actually written (for a WebSocket: the `audio` payloads)."""
        return b"".join(self.audio_chunks)

    @property
    def authorized(self) -> bool:
        return self.auth == "valid"

    def form(self, name: str) -> list[str]:
        """Text values of a form field (urlencoded or multipart), in order."""
        if self.parts:
            return [p.text for p in self.parts if p.name == name and p.filename is None]
        if isinstance(self.body, dict):
            value = self.body.get(name, [])
            return value if isinstance(value, list) else [value]
        return []

    def files(self, name: str) -> list[Part]:
        return [p for p in self.parts if p.name == name and p.filename is not None]


class BodyError(ValueError):
    """The body could not be decoded as its content type says."""


def parse_multipart(content_type: str, raw: bytes) -> list[Part]:
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + raw
    )
    if not message.is_multipart():
        raise BodyError("malformed multipart body")
    parts = []
    for sub in message.iter_parts():
        disposition = sub.get("Content-Disposition", "")
        if not disposition:
            raise BodyError("multipart part without Content-Disposition")
        name = sub.get_param("name", header="content-disposition")
        filename = sub.get_param("filename", header="content-disposition")
        data = sub.get_payload(decode=True) or b""
        parts.append(
            Part(
                name=str(name),
                filename=None if filename is None else str(filename),
                content_type=sub.get("Content-Type"),
                size=len(data),
                data=data,
            )
        )
    return parts


def decode_body(content_type: str, raw: bytes) -> tuple[Any, list[Part]]:
    """(decoded body, multipart parts). Raises BodyError when it cannot be decoded."""
    mime = content_type.split(";")[0].strip().lower()
    if not raw and mime != "multipart/form-data":
        return None, []
    try:
        if mime in ("application/msgpack", "application/x-msgpack"):
            return ormsgpack.unpackb(raw), []
        if mime == "application/json":
            return json.loads(raw), []
        if mime == "application/x-www-form-urlencoded":
            form: dict[str, list[str]] = {}
            for key, value in parse_qsl(raw.decode(), keep_blank_values=True):
                form.setdefault(key, []).append(value)
            return form, []
        if mime == "multipart/form-data":
            parts = parse_multipart(content_type, raw)
            form = {}
            for part in parts:
                if part.filename is None:
                    form.setdefault(part.name, []).append(part.text)
            return form, parts
    except BodyError:
        raise
    except Exception as exc:  # msgpack/JSON/unicode errors all mean "unparseable"
        raise BodyError(str(exc)) from exc
    raise BodyError(f"unsupported content type {mime or '(none)'}")


def redact_headers(headers: Any) -> dict[str, str]:
    out = {}
    for key, value in headers.items():
        name = key.lower()
        out[name] = "<redacted>" if name == "authorization" else value
    return out
