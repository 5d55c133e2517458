"""POST /v1/tts: validate like the API, charge credit, stream real audio in chunks.

Pacing: the header (WAV header / Ogg OpusHead+OpusTags pages) goes out with the first chunk at
`ttfb` seconds; the chunk that ends at audio time t goes out at `ttfb + t * rtf` (rtf 0 = as
fast as possible). Opus chunks are whole Ogg pages; other formats are cut every
`chunk_seconds` of audio.

Decisions where the doc leaves room:
- `model` header: s1, s2-pro, s2.1-pro, s2.1-pro-free, drama-3 and drama-3-preview (§0); missing or
  unknown values fall back to s2.1-pro ("an unknown or missing model header falls back to the
  paid s2.1-pro"), so they are not an error. The model used is recorded. Every model but
  s2.1-pro-free needs API credit: a zero-credit account gets 402.
- `reference_id` (a string, or a list for multi-speaker) naming no voice the key can see →
  400 `{"status":400,"message":"Reference not found"}` (§0: not 404). A voice that is not
  `trained` yet (or whose training failed) → 400 "Reference model is not ready". A test may
  turn both checks off with `FakeFish.check_reference_id`.
- Order of checks: auth (401), unparseable body (400 plain text), schema (400), credit (402),
  reference (400).
- The `blank` fault answers 200 with a blank clip of about 417 bytes (fish-audio-python#128).
"""

from __future__ import annotations

import asyncio
import math
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from aiohttp import web

from . import audio, expressive
from .faults import Fault, error_response, plain_error, validation_error
from .records import BodyError, RecordedRequest
from .tts_request import validate_tts

if TYPE_CHECKING:
    from .server import FakeFish

MODELS = ("s1", "s2-pro", "s2.1-pro", "s2.1-pro-free", "drama-3", "drama-3-preview")
REFERENCE_NOT_FOUND = "Reference not found"
REFERENCE_NOT_READY = "Reference model is not ready"
BLANK_BYTES = 417
DEFAULT_MODEL = "s2.1-pro"
PRICE_PER_BYTE = Decimal(15) / Decimal(1_000_000)  # $15 per million UTF-8 bytes
CONTENT_TYPES = {"mp3": "audio/mpeg", "wav": "audio/wav", "pcm": "audio/pcm", "opus": "audio/ogg"}


def effective_model(header: str | None) -> str:
    return header if header in MODELS else DEFAULT_MODEL


def tts_cost(text: str, model: str) -> Decimal:
    """Fish bills per UTF-8 byte of the text it accepted (§0); s2.1-pro-free costs nothing."""
    return Decimal(0) if model == "s2.1-pro-free" else PRICE_PER_BYTE * len(text.encode())


def reference_problem(fake: FakeFish, reference_id: Any) -> str | None:
    if reference_id is None or not fake.check_reference_id:
        return None
    for vid in [reference_id] if isinstance(reference_id, str) else reference_id:
        voice = fake.library.get(vid)
        if voice is None:
            return REFERENCE_NOT_FOUND
        if voice.get("state") != "trained":
            return REFERENCE_NOT_READY
    return None


def needs_credit(fake: FakeFish, model: str) -> bool:
    return fake.credit <= 0 and model != "s2.1-pro-free"


def blank_clip(fmt: str) -> bytes:
    """About 417 bytes of a silent clip in `fmt`: what the known server fault returns."""
    if fmt == "opus":
        stream = audio.OpusStream(frame_ms=20, packets_per_page=50, bitrate_bps=-1000, serial=417)
        pages, _ = stream.encode(b"\x00" * 960 * 2 * 66, last=True)  # 1.3 s of silence
        return stream.header() + b"".join(pages)
    if fmt == "wav":
        return audio.wav_header(44_100) + b"\x00" * (BLANK_BYTES - 44)
    if fmt == "mp3":  # silent MPEG-1 layer III frames at 32 kbps / 44.1 kHz (104 bytes each)
        frame = b"\xff\xfb\x50\xc4" + b"\x00" * 100
        return frame * 4
    return b"\x00" * (BLANK_BYTES - 1)


def sample_rate_for(req: dict[str, Any]) -> int:
    fmt, rate = req["format"], req["sample_rate"]
    if fmt == "opus":
        return audio.OPUS_RATE
    if fmt == "mp3":
        return audio.snap_mp3_rate(rate)
    return int(rate or 44_100)


def split_even(data: bytes, seconds: float, chunk_seconds: float) -> list[tuple[bytes, float]]:
    """Cut `data` (covering `seconds` of audio) into chunks of about `chunk_seconds`, each with
    the audio time it ends at."""
    count = max(1, math.ceil(seconds / max(chunk_seconds, 0.001) - 1e-9))
    out = []
    for i in range(count):
        a, b = len(data) * i // count, len(data) * (i + 1) // count
        out.append((data[a:b], seconds * (i + 1) / count))
    return out


async def render(fake: FakeFish, req: dict[str, Any], text: str) -> tuple[bytes, list[tuple[bytes, float]]]:
    """(header bytes, [(chunk, audio end time)]) for one request, synthesised off the loop."""
    prosody = req.get("prosody") or {}
    speed = float(prosody.get("speed", 1.0))
    gain = float(prosody.get("volume", 0.0))
    seconds = audio.audio_seconds(
        text, ms_per_char=fake.ms_per_char, min_seconds=fake.min_seconds, speed=speed
    )
    fmt = req["format"]
    rate = sample_rate_for(req)
    if fmt == "opus":
        clip = await asyncio.to_thread(
            audio.ogg_opus,
            text,
            seconds,
            fake.opus_frame_ms,
            fake.packets_per_page,
            int(req["opus_bitrate"]),
            gain,
        )
        return clip.header, list(zip(clip.pages, clip.page_seconds, strict=True))
    pcm = await asyncio.to_thread(audio.synth_pcm, text, seconds, rate, gain)
    if fmt == "mp3":
        data = await audio.encode_mp3(pcm, rate, audio.snap_mp3_bitrate(int(req["mp3_bitrate"])))
        return b"", split_even(data, seconds, fake.chunk_seconds)
    header = audio.wav_header(rate) if fmt == "wav" else b""
    frame = 2
    chunks = split_even(pcm, seconds, fake.chunk_seconds)
    # keep chunk boundaries on whole samples
    fixed, carry = [], b""
    for data, end in chunks:
        data = carry + data
        cut = len(data) - len(data) % frame
        fixed.append((data[:cut], end))
        carry = data[cut:]
    return header, fixed


def paced(fake: FakeFish, header: bytes, chunks: list[tuple[bytes, float]]) -> list[tuple[bytes, float]]:
    out = [(header + chunks[0][0], fake.ttfb + chunks[0][1] * fake.rtf)] if chunks else [(header, fake.ttfb)]
    out += [(data, fake.ttfb + end * fake.rtf) for data, end in chunks[1:]]
    return out


async def handle(
    fake: FakeFish, request: web.Request, record: RecordedRequest, fault: Fault | None
) -> web.StreamResponse:
    record.model = effective_model(request.headers.get("model"))
    if isinstance(record.body, BodyError) or record.body is None:
        return plain_error(400, "Invalid request body")
    req, errors = validate_tts(record.body)
    if errors:
        return validation_error(errors)
    speakers = expressive.speaker_problem(record.model, req["text"], req["reference_id"])
    if speakers:
        return error_response(400, speakers)
    if needs_credit(fake, record.model):
        return error_response(402)
    problem = reference_problem(fake, req["reference_id"])
    if problem:
        return error_response(400, problem)
    text = req["text"]
    record.charged = tts_cost(text, record.model)
    fake.charge(record.charged)
    if fault is not None and fault.blank:
        header, chunks = b"", [(blank_clip(req["format"]), 0.0)]
    else:
        header, chunks = await render(fake, req, text)
    record.planned_audio = header + b"".join(c for c, _ in chunks)
    response = web.StreamResponse(status=200, headers={"Content-Type": CONTENT_TYPES[req["format"]]})
    response.enable_chunked_encoding()
    return await fake.send_paced(request, record, fault, response, paced(fake, header, chunks), is_audio=True)
