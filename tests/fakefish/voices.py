"""/model: list, get, create (multipart), update (form or multipart), delete.

Decisions where the doc leaves room:
- Bad parameters are a 400 `{"status":400,"message":...}` (§0), as everywhere.
- list: `page_size` 1..100 and `page_number` >= 1; `sort_by` defaults to "score" (the API's
  default). Results are window-limited (§0): only the first `library.max_offset` matches (1,000)
  can be reached. For a query matching more, `total` is the full count (larger than what can be
  reached), `total_is_exact` false, `window_limited` true; `max_offset` and
  `accessible_upper_bound` (= min(total, max_offset)) are always sent; `has_more` says whether a
  further page holds items. A page past the window comes back empty.
- create: a multipart body is required; 1..20 `voices` files, at most 20 `texts`; `visibility`
  defaults to "public" at the API; a public voice without `cover_image` is a 400 JSON error (the
  API requires a cover for public models); files are sniffed (the SDK sends every file as
  "upload", application/octet-stream) and audio that is none of wav/mp3/ogg/opus/m4a/flac/webm is
  a 400. The reply is 201 with the voice in state `training` (§0: `created` or `training`); it
  becomes `FakeFish.train_outcome` ("trained" or "failed") `FakeFish.training_seconds` later,
  seen by the next GET/list. Cover and sample audio are stored as relative paths.
- samples: `GET /samples/...` serves a sample's MP3 when the signed URL is valid and unexpired,
  else 403 (like a CDN's signed URL).
- get: an unknown id is 404; another account's *private* voice is 403 (the OpenAPI document lists
  exactly 200, 403 and 404 for `GET /model/{id}`, and Fish's error page gives 403 as "not permitted
  for this key/resource: check the resource owner"); unlisted and public voices of any account
  are served. TTS naming another account's private voice is "Reference not found" (tts.py), as
  for a deleted one. Every voice a bot clones is on the operator's account, so none of this keeps
  one member's clone from another: that is the bot's ownership records' job.
- update: 200 with an empty JSON object `{}` (the SDK ignores the body); only the owner may
  edit (403); an unknown/invisible id is 404.
- delete: 200 with `{}`; owner only (403); unknown 404.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from aiohttp import web

from . import audio, clock
from .faults import Fault, error_response, validation_error
from .library import iso, sample
from .records import BodyError, Part, RecordedRequest

if TYPE_CHECKING:
    from .server import FakeFish

SORTS = ("score", "task_count", "created_at")
VISIBILITIES = ("public", "unlist", "private")


def _error(loc: str, kind: str, msg: str, value: Any) -> dict[str, Any]:
    return {
        "type": kind,
        "loc": ["query" if loc in ("page_size", "page_number", "sort_by") else "body", loc],
        "msg": msg,
        "input": value,
    }


def _int(value: str | None, default: int) -> int | None:
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        return None


def _bool(value: str | None) -> bool | None:
    if value is None:
        return False
    lowered = value.lower()
    if lowered in ("true", "1", "yes", "on"):
        return True
    if lowered in ("false", "0", "no", "off"):
        return False
    return None


async def handle_list(
    fake: FakeFish, request: web.Request, record: RecordedRequest, fault: Fault | None
) -> web.StreamResponse:
    q = record.query
    first = {k: v[0] for k, v in q.items()}
    errors = []
    page_size = _int(first.get("page_size"), 10)
    page_number = _int(first.get("page_number"), 1)
    self_only = _bool(first.get("self"))
    sort_by = first.get("sort_by", "score")
    if page_size is None or not 1 <= page_size <= 100:
        errors.append(
            _error(
                "page_size",
                "less_than_equal" if page_size else "int_parsing",
                "Input should be between 1 and 100",
                first.get("page_size"),
            )
        )
    if page_number is None or page_number < 1:
        errors.append(
            _error(
                "page_number",
                "greater_than_equal",
                "Input should be greater than or equal to 1",
                first.get("page_number"),
            )
        )
    if self_only is None:
        errors.append(_error("self", "bool_parsing", "Input should be a valid boolean", first.get("self")))
    if sort_by not in SORTS:
        errors.append(
            _error("sort_by", "enum", "Input should be 'score', 'task_count' or 'created_at'", sort_by)
        )
    if errors:
        return validation_error(errors)
    assert page_size is not None and page_number is not None
    matches = fake.library.listing(
        title=first.get("title"),
        tags=q.get("tag", []),
        self_only=bool(self_only),
        author_id=first.get("author_id"),
        languages=q.get("language", []),
        title_languages=q.get("title_language", []),
        sort_by=sort_by,
    )
    window = fake.library.max_offset
    offset = (page_number - 1) * page_size
    accessible = min(len(matches), window)
    items = matches[offset : min(offset + page_size, accessible)] if offset < accessible else []
    limited = len(matches) > window
    payload = {
        "total": len(matches),
        "items": [fake.published(v) for v in items],
        "has_more": offset + page_size < accessible,
        "total_is_exact": not limited,
        "window_limited": limited,
        "max_offset": window,
        "accessible_upper_bound": accessible,
    }
    return await fake.send_json(request, record, fault, payload)


async def handle_get(
    fake: FakeFish, request: web.Request, record: RecordedRequest, fault: Fault | None
) -> web.StreamResponse:
    vid = request.match_info["id"]
    voice = fake.library.get(vid)
    if voice is None and vid in fake.library.voices:  # exists, but private to another account
        return error_response(403, "You are not allowed to access this model")
    if voice is None:
        return error_response(404, "Model not found")
    return await fake.send_json(request, record, fault, fake.published(voice))


async def handle_sample(
    fake: FakeFish, request: web.Request, record: RecordedRequest, fault: Fault | None
) -> web.StreamResponse:
    path = request.path.lstrip("/")
    query = {k: v[0] for k, v in record.query.items()}
    vid = request.match_info["voice"]
    voice = fake.library.voices.get(vid)
    text = next((s["text"] for s in (voice or {}).get("samples", []) if s.get("audio") == path), None)
    if text is None or not fake.signature_ok(path, query.get("Expires"), query.get("Signature")):
        return web.Response(status=403, text="<Error><Code>AccessDenied</Code></Error>",
                            content_type="application/xml")
    pcm = audio.synth_pcm(text, audio.audio_seconds(text, ms_per_char=fake.ms_per_char,
                                                    min_seconds=fake.min_seconds), 44_100)
    data = await audio.encode_mp3(pcm, 44_100, 128)
    record.audio_chunks.append(data)
    return web.Response(status=200, body=data, content_type="audio/mpeg")


def sniff_audio(data: bytes) -> str | None:
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "wav"
    if data[:3] == b"ID3" or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0):
        return "mp3"
    if data[:4] == b"OggS":
        return "opus" if b"OpusHead" in data[:64] else "ogg"
    if data[4:8] == b"ftyp":
        return "m4a"
    if data[:4] == b"fLaC":
        return "flac"
    if data[:4] == b"\x1a\x45\xdf\xa3":
        return "webm"
    return None


def _field(record: RecordedRequest, name: str) -> str | None:
    values = record.form(name)
    return values[-1] if values else None


async def handle_create(
    fake: FakeFish, request: web.Request, record: RecordedRequest, fault: Fault | None
) -> web.StreamResponse:
    if isinstance(record.body, BodyError) or not record.content_type.startswith("multipart/form-data"):
        return validation_error([_error("voices", "missing", "Field required", None)])
    title = _field(record, "title")
    visibility = _field(record, "visibility") or "public"
    voice_type = _field(record, "type") or "tts"
    train_mode = _field(record, "train_mode") or "full"
    enhance = _bool(_field(record, "enhance_audio_quality") or "true")
    texts = record.form("texts")
    files: list[Part] = record.files("voices")
    errors = []
    if not title:
        errors.append(_error("title", "missing", "Field required", None))
    if visibility not in VISIBILITIES:
        errors.append(
            _error("visibility", "enum", "Input should be 'public', 'unlist' or 'private'", visibility)
        )
    if voice_type not in ("tts", "svc"):
        errors.append(_error("type", "enum", "Input should be 'tts' or 'svc'", voice_type))
    if train_mode not in ("fast", "full"):
        errors.append(_error("train_mode", "enum", "Input should be 'fast' or 'full'", train_mode))
    if enhance is None:
        errors.append(
            _error(
                "enhance_audio_quality",
                "bool_parsing",
                "Input should be a valid boolean",
                _field(record, "enhance_audio_quality"),
            )
        )
    if not 1 <= len(files) <= 20:
        kind = "missing" if not files else "too_long"
        errors.append(_error("voices", kind, "Between 1 and 20 voice files are required", len(files)))
    if len(texts) > 20:
        errors.append(_error("texts", "too_long", "At most 20 texts are allowed", len(texts)))
    if errors:
        return validation_error(errors)
    covers = record.files("cover_image")
    if visibility == "public" and not covers:
        return error_response(400, "A cover image is required for public models")
    for i, part in enumerate(files):
        if sniff_audio(part.data) is None:
            return error_response(400, f"voices[{i}]: unsupported or unrecognised audio format")
    now = iso(clock.utc_now())
    voice = fake.library.make_voice(
        title=title or "",
        description=_field(record, "description") or "",
        tags=record.form("tags"),
        languages=[],
        visibility=visibility,
        train_mode=train_mode,
        voice_type=voice_type,
        state="training",
        samples=[],
    )
    voice["created_at"] = voice["updated_at"] = now
    if covers:
        voice["cover_image"] = f"coverimage/{voice['_id']}"
    if texts:
        voice["samples"] = [sample(voice["_id"], title or "", texts[0])]
    fake.library.add(voice)
    fake.library.train(
        voice, seconds=fake.training_seconds, outcome=fake.train_outcome, now=time.perf_counter()
    )
    return await fake.send_json(request, record, fault, fake.published(voice), status=201)


def _owned_or_error(fake: FakeFish, vid: str) -> tuple[dict[str, Any] | None, web.Response | None]:
    voice = fake.library.get(vid)
    if voice is None:
        return None, error_response(404, "Model not found")
    if not fake.library.owned(voice):
        return None, error_response(403, "You are not the owner of this model")
    return voice, None


async def handle_update(
    fake: FakeFish, request: web.Request, record: RecordedRequest, fault: Fault | None
) -> web.StreamResponse:
    voice, problem = _owned_or_error(fake, request.match_info["id"])
    if problem is not None:
        return problem
    assert voice is not None
    if isinstance(record.body, BodyError):
        return validation_error([_error("body", "model_attributes_type", "Could not parse the form", None)])
    visibility = _field(record, "visibility")
    if visibility is not None and visibility not in VISIBILITIES:
        return validation_error(
            [_error("visibility", "enum", "Input should be 'public', 'unlist' or 'private'", visibility)]
        )
    for name in ("title", "description"):
        value = _field(record, name)
        if value is not None:
            voice[name] = value
    if visibility is not None:
        voice["visibility"] = visibility
    if record.form("tags"):
        voice["tags"] = record.form("tags")
    if record.files("cover_image"):
        voice["cover_image"] = f"coverimage/{voice['_id']}?v={len(record.parts)}"
    voice["updated_at"] = iso(clock.utc_now())
    return await fake.send_json(request, record, fault, {})


async def handle_delete(
    fake: FakeFish, request: web.Request, record: RecordedRequest, fault: Fault | None
) -> web.StreamResponse:
    voice, problem = _owned_or_error(fake, request.match_info["id"])
    if problem is not None:
        return problem
    assert voice is not None
    del fake.library.voices[voice["_id"]]
    fake.library.hidden.pop(voice["_id"], None)
    return await fake.send_json(request, record, fault, {})
