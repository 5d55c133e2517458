"""Validation of the TTSRequest body the way the API (FastAPI + pydantic) does it.

Server-side defaults differ from the SDK's (doc §3): chunk_length 300, latency "normal",
opus_bitrate -1000. Errors come back as a pydantic-style list for a 422 `{"detail": [...]}`.

Decisions where the doc leaves room:
- `opus_bitrate` is an enum in bps (-1000, 24000, 32000, 48000, 64000). The SDK always sends
  32 (an old kbps value). The SDK's own integration tests pass against the live API with the
  default mp3 format, and the compat docs say the bitrate is "accepted and ignored", so the value
  is only checked when `format == "opus"`: then 32 is a 422 (which is why doc §6.5 says to send
  -1000 explicitly for opus). For other formats it is ignored.
- `sample_rate` is free-form: Opus is always 48 kHz, MP3 snaps to 32 kHz/44.1 kHz, WAV/PCM use
  the requested rate (8 kHz to 48 kHz), default 44.1 kHz.
- Unknown fields are ignored (FastAPI's default), so `features`, `normalize_loudness` etc. pass.
"""

from __future__ import annotations

from typing import Any

FORMATS = ("mp3", "wav", "pcm", "opus")
LATENCIES = ("normal", "balanced", "low")
OPUS_BITRATES = (-1000, 24000, 32000, 48000, 64000)
MP3_BITRATES = (64, 128, 192)
DEFAULTS: dict[str, Any] = {
    "chunk_length": 300,
    "format": "mp3",
    "sample_rate": None,
    "mp3_bitrate": 128,
    "opus_bitrate": -1000,
    "references": [],
    "reference_id": None,
    "normalize": True,
    "latency": "normal",
    "prosody": None,
    "top_p": 0.7,
    "temperature": 0.7,
    "max_new_tokens": 1024,
    "repetition_penalty": 1.2,
    "min_chunk_length": 50,
    "condition_on_previous_chunks": True,
    "early_stop_threshold": 1.0,
}


def _literal_msg(options: tuple[Any, ...]) -> str:
    shown = [repr(o) if isinstance(o, str) else str(o) for o in options]
    return "Input should be " + ", ".join(shown[:-1]) + f" or {shown[-1]}"


class _Checker:
    def __init__(self, prefix: tuple[Any, ...]) -> None:
        self.prefix = prefix
        self.errors: list[dict[str, Any]] = []

    def error(
        self, loc: tuple[Any, ...], kind: str, msg: str, value: Any, ctx: dict[str, Any] | None = None
    ) -> None:
        item: dict[str, Any] = {
            "type": kind,
            "loc": [*self.prefix, *loc],
            "msg": msg,
            "input": value if not isinstance(value, bytes) else f"<{len(value)} bytes>",
        }
        if ctx:
            item["ctx"] = ctx
        self.errors.append(item)

    def number(
        self,
        loc: tuple[Any, ...],
        value: Any,
        *,
        ge: float | None = None,
        le: float | None = None,
        integer: bool = False,
    ) -> None:
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or (integer and not isinstance(value, int))
        ):
            kind, msg = (
                ("int_type", "Input should be a valid integer")
                if integer
                else ("float_type", "Input should be a valid number")
            )
            self.error(loc, kind, msg, value)
            return
        if ge is not None and value < ge:
            self.error(
                loc, "greater_than_equal", f"Input should be greater than or equal to {ge}", value, {"ge": ge}
            )
        if le is not None and value > le:
            self.error(
                loc, "less_than_equal", f"Input should be less than or equal to {le}", value, {"le": le}
            )

    def literal(self, loc: tuple[Any, ...], value: Any, options: tuple[Any, ...]) -> None:
        if value not in options or isinstance(value, bool):
            self.error(
                loc,
                "literal_error",
                _literal_msg(options),
                value,
                {"expected": ", ".join(map(repr, options))},
            )

    def boolean(self, loc: tuple[Any, ...], value: Any) -> None:
        if not isinstance(value, bool):
            self.error(loc, "bool_type", "Input should be a valid boolean", value)


def validate_tts(
    body: Any, *, prefix: tuple[Any, ...] = ("body",)
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(request with server defaults filled in, pydantic-style errors)."""
    check = _Checker(prefix)
    if not isinstance(body, dict):
        check.error((), "model_attributes_type", "Input should be a valid dictionary or object", body)
        return {}, check.errors
    req = {**DEFAULTS, **{k: v for k, v in body.items() if v is not None or k not in DEFAULTS}}
    if "text" not in body or body["text"] is None:
        check.error(("text",), "missing", "Field required", body)
    elif not isinstance(body["text"], str):
        check.error(("text",), "string_type", "Input should be a valid string", body["text"])
    check.number(("chunk_length",), req["chunk_length"], ge=100, le=300, integer=True)
    check.literal(("format",), req["format"], FORMATS)
    if req["sample_rate"] is not None:
        check.number(("sample_rate",), req["sample_rate"], ge=8000, le=48000, integer=True)
    check.literal(("mp3_bitrate",), req["mp3_bitrate"], MP3_BITRATES)
    if req["format"] == "opus":
        check.literal(("opus_bitrate",), req["opus_bitrate"], OPUS_BITRATES)
    check.literal(("latency",), req["latency"], LATENCIES)
    check.boolean(("normalize",), req["normalize"])
    check.boolean(("condition_on_previous_chunks",), req["condition_on_previous_chunks"])
    check.number(("top_p",), req["top_p"], ge=0, le=1)
    check.number(("temperature",), req["temperature"], ge=0, le=1)
    check.number(("early_stop_threshold",), req["early_stop_threshold"], ge=0, le=1)
    check.number(("min_chunk_length",), req["min_chunk_length"], ge=0, le=100, integer=True)
    check.number(("max_new_tokens",), req["max_new_tokens"], integer=True)
    check.number(("repetition_penalty",), req["repetition_penalty"])
    prosody = req["prosody"]
    if prosody is not None:
        if not isinstance(prosody, dict):
            check.error(
                ("prosody",), "model_attributes_type", "Input should be a valid dictionary or object", prosody
            )
        else:
            prosody = {"speed": 1.0, "volume": 0.0, **{k: v for k, v in prosody.items() if v is not None}}
            check.number(("prosody", "speed"), prosody["speed"], ge=0.5, le=2.0)
            check.number(("prosody", "volume"), prosody["volume"], ge=-20, le=20)
            req["prosody"] = prosody
    ref_id = req["reference_id"]
    if (
        ref_id is not None
        and not isinstance(ref_id, str)
        and not (isinstance(ref_id, list) and all(isinstance(r, str) for r in ref_id))
    ):
        check.error(("reference_id",), "string_type", "Input should be a valid string", ref_id)
    references = req["references"]
    if not isinstance(references, list):
        check.error(("references",), "list_type", "Input should be a valid list", references)
    else:
        for i, ref in enumerate(references):
            if not isinstance(ref, dict):
                check.error(
                    ("references", i),
                    "model_attributes_type",
                    "Input should be a valid dictionary or object",
                    ref,
                )
                continue
            if not isinstance(ref.get("audio"), bytes):
                check.error(
                    ("references", i, "audio"),
                    "bytes_type",
                    "Input should be a valid bytes",
                    ref.get("audio"),
                )
            if not isinstance(ref.get("text"), str):
                check.error(
                    ("references", i, "text"),
                    "string_type",
                    "Input should be a valid string",
                    ref.get("text"),
                )
    return req, check.errors
