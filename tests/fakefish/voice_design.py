"""POST /v1/voice-design: voices made from a description (fish-audio-api.md §0, openapi
`VoiceDesignRequest` / `VoiceDesignCandidate`).

The request is JSON with the header `model: voice-design-1` (required, a constant). The answer is
`{"candidates": [{id, index, audio_base64, sample_rate, duration_ms, text, instruct, language}]}`
with each candidate a complete base64 WAV file. A successful request costs $0.01.

Decisions where the docs leave room:
- Bad parameters (an over-long instruction, n outside 1–4, unknown fields: the schema sets
  `additionalProperties: false`, a wrong or missing model header) get §0's plain
  400 `{"status":400,"message":...}`; a body that is not JSON gets 400 plain text, as TTS does.
- Order of checks: auth (401), body (400), parameters (400), credit (402).
- The same instruction, language, reference text and seed give the same candidates (the seed
  makes generation deterministic); without a seed every request differs.
- Without `reference_text` the candidate reads a preview line of its own, returned as `text`.
- Every candidate sent is kept in `FakeFish.designed` so a test can compare what the bot saved
  with `POST /model` against what was designed.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import itertools
import struct
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from aiohttp import web

from . import audio
from .faults import Fault, error_response, plain_error
from .records import BodyError, RecordedRequest

if TYPE_CHECKING:
    from .server import FakeFish

MODEL = "voice-design-1"
PRICE = Decimal("0.01")
SAMPLE_RATE = 24_000
INSTRUCTION_MAX = 2000
REFERENCE_TEXT_MAX = 150
PREVIEW_TEXT = "Hello! This is how I sound. I hope you like my voice."
FIELDS = frozenset({
    "instruction", "reference_text", "language", "n", "speed", "num_step", "guidance_scale",
    "instruct_guidance_scale", "seed",
})
_unseeded = itertools.count(1)


def wav_file(pcm: bytes, sample_rate: int) -> bytes:
    """A complete RIFF/WAVE file (real sizes: it is a whole file, not a stream)."""
    fmt = struct.pack("<HHIIHH", 1, 1, sample_rate, sample_rate * 2, 2, 16)
    return (
        b"RIFF" + struct.pack("<I", 36 + len(pcm)) + b"WAVE"
        + b"fmt " + struct.pack("<I", 16) + fmt
        + b"data" + struct.pack("<I", len(pcm)) + pcm
    )


def _number(value: Any, *, integer: bool = False) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) if integer else isinstance(value, int | float)


def problem(body: dict[str, Any]) -> str | None:
    """The first thing wrong with a request body, worded like the API's 400 message."""
    unknown = sorted(set(body) - FIELDS)
    if unknown:
        return f"{unknown[0]}: Extra inputs are not permitted"
    instruction = body.get("instruction")
    if instruction is None:
        return "instruction: Field required"
    if not isinstance(instruction, str):
        return "instruction: Input should be a valid string"
    if not 1 <= len(instruction) <= INSTRUCTION_MAX:
        return f"instruction: must contain 1 to {INSTRUCTION_MAX} characters"
    reference_text = body.get("reference_text")
    if reference_text is not None and (
        not isinstance(reference_text, str) or len(reference_text) > REFERENCE_TEXT_MAX
    ):
        return f"reference_text: String should have at most {REFERENCE_TEXT_MAX} characters"
    language = body.get("language")
    if language is not None and not isinstance(language, str):
        return "language: Input should be a valid string"
    n = body.get("n", 2)
    if not _number(n, integer=True) or not 1 <= n <= 4:
        return "n: Input should be an integer from 1 to 4"
    speed = body.get("speed", 1)
    if not _number(speed) or not 0 < speed <= 3:
        return "speed: Input should be greater than 0 and at most 3"
    num_step = body.get("num_step", 32)
    if not _number(num_step, integer=True) or not 1 <= num_step <= 128:
        return "num_step: Input should be an integer from 1 to 128"
    for name in ("guidance_scale", "instruct_guidance_scale"):
        value = body.get(name, 0)
        if not _number(value) or value < 0:
            return f"{name}: Input should be greater than or equal to 0"
    seed = body.get("seed")
    if seed is not None and not _number(seed, integer=True):
        return "seed: Input should be a valid integer"
    return None


def _candidate_id(body: dict[str, Any], index: int) -> str:
    seed = body.get("seed")
    salt = f"seed={seed}" if seed is not None else f"unseeded={next(_unseeded)}"
    key = "\x1f".join(
        str(body.get(k)) for k in ("instruction", "reference_text", "language", "speed")
    )
    return hashlib.sha256(f"{key}\x1f{salt}\x1f{index}".encode()).hexdigest()[:32]


def make_candidate(fake: FakeFish, body: dict[str, Any], index: int) -> dict[str, Any]:
    text = body.get("reference_text") or PREVIEW_TEXT
    candidate_id = _candidate_id(body, index)
    seconds = audio.audio_seconds(
        text, ms_per_char=fake.ms_per_char, min_seconds=fake.min_seconds, speed=float(body.get("speed", 1))
    )
    # Each candidate gets its own melody, so two candidates never carry the same audio.
    pcm = audio.synth_pcm(candidate_id[:8] + text, seconds, SAMPLE_RATE)
    return {
        "id": candidate_id,
        "index": index,
        "audio_base64": base64.b64encode(wav_file(pcm, SAMPLE_RATE)).decode(),
        "sample_rate": SAMPLE_RATE,
        "duration_ms": round(seconds * 1000),
        "text": text,
        "instruct": body["instruction"],
        "language": body.get("language") or "en",
    }


async def handle(
    fake: FakeFish, request: web.Request, record: RecordedRequest, fault: Fault | None
) -> web.StreamResponse:
    record.model = request.headers.get("model")
    if isinstance(record.body, BodyError) or not isinstance(record.body, dict):
        return plain_error(400, "Invalid request body")
    if record.model != MODEL:
        return error_response(400, f"model: the header must be {MODEL!r}")
    wrong = problem(record.body)
    if wrong:
        return error_response(400, wrong)
    if fake.credit <= 0:
        return error_response(402)
    body = record.body
    candidates = [
        await asyncio.to_thread(make_candidate, fake, body, index) for index in range(int(body.get("n", 2)))
    ]
    record.charged = PRICE
    fake.charge(PRICE)
    fake.designed.extend(candidates)
    return await fake.send_json(request, record, fault, {"candidates": candidates})


def candidate_audio(candidate: dict[str, Any]) -> bytes:
    """The WAV bytes of a candidate as the API sent it (for tests)."""
    return base64.b64decode(candidate["audio_base64"])
