"""Request and response models.

Responses are tolerant on purpose: the live API omits fields the SDK marks required and adds
fields it does not know, so everything the API documents as optional is optional here, unknown
fields are ignored, and list pages are parsed item by item (see `parse_page`).
"""

from __future__ import annotations

import datetime
import decimal
import logging
from typing import Annotated, Any, Generic, Literal, TypedDict, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError

from .tts_models import DEFAULT_TTS_MODEL, catalog, tts_model

log = logging.getLogger(__name__)

# --- models (the `model` header) -------------------------------------------------------------

Model = str  # a name in the TTS model catalog (`tts_models`), built-in or configured
DEFAULT_MODEL = DEFAULT_TTS_MODEL


def is_known_model(model: str) -> bool:
    return catalog().knows(model)


def check_model(model: str) -> str:
    """Return `model`, or raise ValueError before anything is sent: Fish serves and bills a name
    it does not know as s2.1-pro without a word, so the bot only ever sends a name it knows."""
    if not is_known_model(model):
        raise ValueError(
            f"unknown TTS model {model!r} (Fish would serve and bill it as {DEFAULT_MODEL}); "
            f"known: {', '.join(catalog().names)}"
        )
    return model


# ASR `model` header (§0): transcribe-1 retires 2026-12-31 (Pro then takes over silently), so
# the default is the one that survives.
ASR_MODELS: tuple[str, ...] = ("transcribe-1", "transcribe-1-pro")
DEFAULT_ASR_MODEL = "transcribe-1-pro"

AudioFormat = Literal["wav", "pcm", "mp3", "opus"]
LatencyMode = Literal["normal", "balanced", "low"]
Visibility = Literal["public", "unlist", "private"]
TrainMode = Literal["fast", "full"]
ModelState = Literal["created", "training", "trained", "failed"]
# The API's enum is in bps (-1000 = automatic); the SDK still sends the old kbps value 32.
OpusBitrate = Literal[-1000, 24000, 32000, 48000, 64000]
# One voice id, or (multi-speaker, S2 family and drama-3) one per `<|speaker:N|>` in the text.
ReferenceId = str | list[str]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class _Response(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


# --- TTS ------------------------------------------------------------------------------------


class ReferenceAudio(_Request):
    """Inline ("instant") cloning sample: audio bytes plus its exact transcript."""

    audio: bytes
    text: str


class Prosody(_Request):
    speed: Annotated[float, Field(ge=0.5, le=2.0)] = 1.0
    volume: Annotated[float, Field(ge=-20.0, le=20.0)] = 0.0
    normalize_loudness: bool | None = None  # S2 models only; omitted when unset


class TTSConfig(_Request):
    """Reusable generation settings. Defaults follow the SDK except `opus_bitrate` (bps)."""

    format: AudioFormat = "mp3"
    sample_rate: int | None = None
    mp3_bitrate: Literal[64, 128, 192] = 128
    opus_bitrate: OpusBitrate = -1000
    normalize: bool = True
    chunk_length: Annotated[int, Field(ge=100, le=300, strict=True)] = 200
    latency: LatencyMode = "balanced"
    reference_id: ReferenceId | None = None
    # Inline samples: one list for one speaker, or one list per speaker (2-D, multi-speaker).
    references: list[ReferenceAudio] | list[list[ReferenceAudio]] = []
    prosody: Prosody | None = None
    top_p: Annotated[float, Field(ge=0.0, le=1.0)] = 0.7
    temperature: Annotated[float, Field(ge=0.0, le=1.0)] = 0.7
    max_new_tokens: int = 1024
    repetition_penalty: float = 1.2
    min_chunk_length: Annotated[int, Field(ge=0, le=100)] = 50
    condition_on_previous_chunks: bool = True
    early_stop_threshold: Annotated[float, Field(ge=0.0, le=1.0)] = 1.0
    features: list[str] | None = None  # request-scoped flags, e.g. ["quality-guard"]; omitted when unset


class TTSRequest(TTSConfig):
    """The `/v1/tts` body (and the WebSocket `start.request`)."""

    text: str


class TTSOptions(TypedDict, total=False):
    """The options every TTS call takes (`stream`, `convert`, `live`, `stream_websocket`), named
    once. Direct options override `config` (as in the SDK); `model` goes in the `model` header."""

    reference_id: ReferenceId | None
    references: list[ReferenceAudio] | list[list[ReferenceAudio]] | None
    features: list[str] | None
    format: AudioFormat | None
    latency: LatencyMode | None
    speed: float | None
    config: TTSConfig
    model: Model


def build_tts_request(text: str, options: TTSOptions) -> TTSRequest:
    """The request body for `text` with `options`: direct options override `config` (as in the
    SDK) but, unlike it, are validated too."""
    config = options.get("config") or TTSConfig()
    fields: dict[str, Any] = {**config.model_dump(), "text": text}
    fields["references"] = list(config.references)
    reference_id = options.get("reference_id")
    if reference_id is not None:
        fields["reference_id"] = reference_id
    references = options.get("references")
    if references is not None:
        fields["references"] = list(references)
    features = options.get("features")
    if features is not None:
        fields["features"] = list(features)
    audio_format = options.get("format")
    if audio_format is not None:
        fields["format"] = audio_format
    latency = options.get("latency")
    if latency is not None:
        fields["latency"] = latency
    speed = options.get("speed")
    if speed is not None:
        base = config.prosody or Prosody()
        fields["prosody"] = base.model_copy(update={"speed": speed}).model_dump()
    return TTSRequest.model_validate(fields)


def tts_payload(request: TTSRequest) -> dict[str, Any]:
    """msgpack-ready dict; optional fields that are unset are left out, like the SDK does."""
    return request.model_dump(exclude_none=True)


class TextEvent(_Request):
    event: Literal["text"] = "text"
    text: str


class FlushEvent(_Request):
    event: Literal["flush"] = "flush"


# --- voices ---------------------------------------------------------------------------------


class Author(_Response):
    id: str = Field(alias="_id")
    nickname: str = ""
    avatar: str = ""


class Sample(_Response):
    title: str = ""
    text: str = ""
    task_id: str = ""
    audio: str = ""


class Voice(_Response):
    """A voice model. `cover_image`, `author.avatar` and sample `audio` may be absolute URLs or
    paths relative to Fish's public CDN (§0): resolve them with `public_url`."""

    id: str = Field(alias="_id")
    type: Literal["svc", "tts"] = "tts"
    title: str
    description: str = ""
    cover_image: str = ""
    train_mode: TrainMode = "full"
    state: ModelState | None = None
    tags: list[str] = []
    samples: list[Sample] = []
    created_at: datetime.datetime | None = None
    updated_at: datetime.datetime | None = None
    languages: list[str] = []
    visibility: Visibility | None = None
    lock_visibility: bool = False
    like_count: int = 0
    mark_count: int = 0
    shared_count: int = 0
    task_count: int = 0
    liked: bool = False
    marked: bool = False
    author: Author | None = None

    @property
    def ready(self) -> bool:
        """Usable for TTS: trained (a voice without a state is taken as usable)."""
        return self.state in (None, "trained")

    @property
    def sample_audio(self) -> str | None:
        """The first sample's audio URL or path, if the API gave one."""
        return next((s.audio for s in self.samples if s.audio), None)


DEFAULT_CDN_BASE = "https://public-platform.r2.fish.audio/"


def public_url(value: str | None, base: str = DEFAULT_CDN_BASE) -> str | None:
    """An absolute URL for a cover/avatar/sample that is a URL or a CDN-relative path."""
    if not value:
        return None
    if value.startswith(("https://", "http://")):
        return value
    if value.startswith("//"):
        return "https:" + value
    return base.rstrip("/") + "/" + value.lstrip("/")


T = TypeVar("T", bound=BaseModel)


class PaginatedResponse(_Response, Generic[T]):
    total: int = 0
    items: list[T] = []
    # Pagination hints the API sends and the SDK drops.
    has_more: bool | None = None
    total_is_exact: bool | None = None
    window_limited: bool | None = None
    max_offset: int | None = None
    accessible_upper_bound: int | None = None


def parse_page(data: Any, item_model: type[T]) -> PaginatedResponse[T]:
    """Parse a list page item by item: a malformed item is logged and skipped, never fatal."""
    if not isinstance(data, dict):
        raise TypeError(f"expected a JSON object for a list page, got {type(data).__name__}")
    raw_items = data.get("items") or []
    envelope = {k: v for k, v in data.items() if k != "items"}
    envelope.setdefault("total", len(raw_items) if isinstance(raw_items, list) else 0)
    page: PaginatedResponse[T] = PaginatedResponse.model_validate(envelope)
    items: list[T] = []
    for raw in raw_items if isinstance(raw_items, list) else []:
        try:
            items.append(item_model.model_validate(raw))
        except PydanticValidationError as exc:
            item_id = raw.get("_id", raw.get("id")) if isinstance(raw, dict) else None
            fields = ", ".join(".".join(map(str, e["loc"])) or "<item>" for e in exc.errors())
            log.warning(
                "skipping malformed %s %r in list page (fields: %s)", item_model.__name__, item_id, fields
            )
    page.items = items
    return page


# --- ASR ------------------------------------------------------------------------------------


class ASRSegment(_Response):
    text: str = ""
    start: float = 0.0
    end: float = 0.0


class ASRResponse(_Response):
    text: str = ""
    duration: float = 0.0  # seconds (openapi schema; the SDK's "milliseconds" comment is wrong)
    segments: list[ASRSegment] = []
    language_code: str | None = None
    language: str | None = None


# --- account --------------------------------------------------------------------------------


class Credits(_Response):
    credit: decimal.Decimal
    id: str | None = Field(default=None, alias="_id")
    user_id: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    has_phone_sha256: bool | None = None
    has_free_credit: bool | None = None
    cumulative_top_up: decimal.Decimal | None = None


class Package(_Response):
    """Matches the real `/wallet/self/package` schema: no `_id`, billing fields ignored."""

    id: str | None = Field(default=None, alias="_id")
    user_id: str | None = None
    type: str | None = None
    total: int | None = None
    balance: int | None = None
    created_at: str | None = None
    updated_at: str | None = None
    finished_at: str | None = None


# --- what each model reads as markup ----------------------------------------------------------


def reads_phonemes(model: str) -> bool:
    """`<|phoneme_start|>…<|phoneme_end|>` spans: the S2 family and drama-3 (other models would
    read the span aloud). Known models say so in bot.fish.tts_models."""
    known = tts_model(model)
    return known.phonemes if known is not None else model.startswith(("s2", "drama-3"))
