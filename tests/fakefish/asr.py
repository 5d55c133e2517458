"""POST /v1/asr: msgpack `{audio, language?, ignore_timestamps}` or multipart (`audio` file).

The audio is really decoded (ffmpeg subprocess, asyncio) to measure its duration. The
transcript is deterministic: one segment per `SEGMENT_SECONDS` of audio made of fixed words, or
whatever a test queued in `FakeFish.asr_script` (one item per request: a string, spread over the
segments, or a list of `{"text", "start", "end"}` dicts / (text, start, end) tuples).

Decisions where the doc leaves room:
- `duration` is in seconds (openapi + feature page); `FakeFish.asr_duration_unit = "ms"`
  switches to the SDK's comment (milliseconds). Segment times are always seconds.
- Limits: a request body over 20 MB → 413 JSON `{"status": 413, "message": "Audio file is too
  large (max 20 MB)"}`, before the audio is looked at. Fish's limit is "20 MB" since March 2026
  (§0); the stand-in reads it as 20,000,000 bytes, the stricter reading, so a bot that passes
  here passes either way. The openapi documents no status for it (only 401, 402, 503); 413 is
  what a server answers an oversized body with, and what the doc (§ASR) expects. Undecodable →
  400 JSON; under 1 s or over 60 min → 400 JSON. `ignore_timestamps` defaults to true at the
  API (the SDK always sends it).
- `language` is a hint: `language_code` echoes it, else "en"; `language` is the display name.
- Cost: $0.36 per audio hour, per second rounded up. There is no free ASR: a zero-credit
  account gets 402 whatever the model (§0).
- `model` header (§0): `transcribe-1` (the default when absent or unknown) or
  `transcribe-1-pro`. Pro's `text` carries inline `<|speaker:N|>` markers and cues such as
  `[laughter]`; its `segments` never do (the stand-in strips them). The default transcript
  alternates two speakers and has one cue; a scripted transcript carries its own markers, if any.
  `FakeFish.asr_segments_empty` sends `segments: []` even with
  timestamps requested (§0: it happens).
"""

from __future__ import annotations

import asyncio
import math
import os
import re
import tempfile
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .faults import Fault, error_response, plain_error, validation_error
from .records import BodyError, RecordedRequest

if TYPE_CHECKING:
    from .server import FakeFish

ASR_MODELS = ("transcribe-1", "transcribe-1-pro")
DEFAULT_ASR_MODEL = "transcribe-1"
PRO_MARKUP = re.compile(r"<\|speaker:\d+\|>|\[[^\]]*\]")
MAX_BYTES = 20_000_000  # Fish's "20 MB", the stricter reading
TOO_LARGE = "Audio file is too large (max 20 MB)"
MIN_SECONDS, MAX_SECONDS = 1.0, 3600.0
SEGMENT_SECONDS = 2.5
PRICE_PER_SECOND = Decimal("0.36") / 3600
WORDS = ("the", "quick", "brown", "fish", "swims", "over", "a", "lazy", "reef", "today")
LANGUAGE_NAMES = {
    "en": "English",
    "zh": "Chinese",
    "es": "Spanish",
    "fr": "French",
    "de": "German",
    "ja": "Japanese",
    "ko": "Korean",
    "pt": "Portuguese",
}


async def decoded_seconds(data: bytes) -> float | None:
    """Duration of `data` by decoding it with ffmpeg (None when ffmpeg cannot decode it)."""
    fd, path = tempfile.mkstemp(prefix="fakefish-asr-")
    try:
        await asyncio.to_thread(_write, fd, data)
        proc = await asyncio.create_subprocess_exec(
            "ffmpeg",
            "-hide_banner",
            "-loglevel",
            "error",
            "-i",
            path,
            "-vn",
            "-f",
            "s16le",
            "-ac",
            "1",
            "-ar",
            "16000",
            "pipe:1",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, _ = await proc.communicate()
        if proc.returncode != 0 or not out:
            return None
        return len(out) / 2 / 16000
    finally:
        await asyncio.to_thread(os.unlink, path)


def _write(fd: int, data: bytes) -> None:
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def default_segments(seconds: float) -> list[dict[str, Any]]:
    count = max(1, math.ceil(seconds / SEGMENT_SECONDS - 1e-9))
    out = []
    for i in range(count):
        words = [WORDS[(i * 3 + k) % len(WORDS)] for k in range(4)]
        out.append(
            {
                "text": " ".join(words).capitalize() + ".",
                "start": round(i * SEGMENT_SECONDS, 3),
                "end": round(min(seconds, (i + 1) * SEGMENT_SECONDS), 3),
            }
        )
    return out


def scripted_segments(item: Any, seconds: float) -> list[dict[str, Any]]:
    if isinstance(item, str):
        segments = default_segments(seconds)
        words = item.split()
        per = max(1, math.ceil(len(words) / len(segments)))
        out = []
        for i, seg in enumerate(segments):
            chunk = " ".join(words[i * per : (i + 1) * per])
            if chunk:
                out.append({**seg, "text": chunk})
        return out or [{"text": item, "start": 0.0, "end": round(seconds, 3)}]
    out = []
    for seg in item:
        if isinstance(seg, dict):
            out.append({"text": seg["text"], "start": float(seg["start"]), "end": float(seg["end"])})
        else:
            text, start, end = seg
            out.append({"text": text, "start": float(start), "end": float(end)})
    return out


def strip_markup(text: str) -> str:
    return " ".join(PRO_MARKUP.sub(" ", text).split())


def pro_text(segments: list[dict[str, Any]]) -> str:
    """Pro's transcript: a speaker marker whenever the speaker changes (every two segments
    alternate between speaker 1 and 2) and a `[laughter]` cue after the first segment."""
    parts: list[str] = []
    speaker = None
    for i, seg in enumerate(segments):
        now = 1 + (i // 2) % 2
        if now != speaker:
            parts.append(f"<|speaker:{now}|>")
            speaker = now
        parts.append(seg["text"])
        if i == 0:
            parts.append("[laughter]")
    return " ".join(parts)


def _audio_and_options(record: RecordedRequest) -> tuple[bytes | None, dict[str, Any]]:
    if record.parts:
        files = [p for p in record.parts if p.name == "audio"]
        options: dict[str, Any] = {p.name: p.text for p in record.parts if p.filename is None}
        if "ignore_timestamps" in options:
            options["ignore_timestamps"] = options["ignore_timestamps"].lower() == "true"
        return (files[0].data if files else None), options
    body = record.body
    if isinstance(body, dict):
        audio = body.get("audio")
        return (audio if isinstance(audio, bytes) else None), body
    return None, {}


async def handle(
    fake: FakeFish, request: web.Request, record: RecordedRequest, fault: Fault | None
) -> web.StreamResponse:
    header = request.headers.get("model")
    record.model = header if header in ASR_MODELS else DEFAULT_ASR_MODEL
    if record.raw_size > MAX_BYTES:
        return error_response(413, TOO_LARGE)
    if isinstance(record.body, BodyError):
        return plain_error(400, "Invalid request body")
    data, options = _audio_and_options(record)
    if data is None:
        return validation_error(
            [{"type": "missing", "loc": ["body", "audio"], "msg": "Field required", "input": None}]
        )
    seconds = await decoded_seconds(data)
    if seconds is None:
        return error_response(400, "Could not decode the audio file")
    if seconds < MIN_SECONDS:
        return error_response(400, "Audio is too short (min 1 second)")
    if seconds > MAX_SECONDS:
        return error_response(400, "Audio is too long (max 60 minutes)")
    if fake.credit <= 0:
        return error_response(402)
    record.charged = PRICE_PER_SECOND * math.ceil(seconds)
    fake.charge(record.charged)
    script = fake.asr_script.pop(0) if fake.asr_script else None
    segments = scripted_segments(script, seconds) if script is not None else default_segments(seconds)
    if record.model == "transcribe-1-pro":
        # A scripted transcript carries its own markers (if any); the default one gets speakers.
        if isinstance(script, str):
            text = script
        elif script is not None:
            text = " ".join(seg["text"] for seg in segments)
        else:
            text = pro_text(segments)
        segments = [{**seg, "text": strip_markup(seg["text"])} for seg in segments]
        segments = [seg for seg in segments if seg["text"]]
    else:
        segments = [{**seg, "text": strip_markup(seg["text"])} for seg in segments]
        text = " ".join(s["text"] for s in segments)
    code = options.get("language") or "en"
    ignore = options.get("ignore_timestamps", True) or fake.asr_segments_empty
    payload = {
        "text": text,
        "duration": round(seconds * 1000, 1) if fake.asr_duration_unit == "ms" else round(seconds, 3),
        "segments": [] if ignore else segments,
        "language_code": code,
        "language": LANGUAGE_NAMES.get(code, code),
    }
    return await fake.send_json(request, record, fault, payload)
