"""fishbot's configuration: one pydantic-settings model read from config.toml and the environment.

The environment wins over the file. Four names are fixed because deployments rely on them:
DISCORD_TOKEN, FISH_API_KEY, FISH_BASE_URL and DATABASE_URL. Every other setting can also come
from the environment as FISHBOT_<SECTION>__<KEY> (for example FISHBOT_SPEAK__MAX_TEXT_LENGTH).
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    AliasChoices,
    BaseModel,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from bot.fish.ids import parse_voice_id
from bot.fish.models import ASR_MODELS, DEFAULT_ASR_MODEL, DEFAULT_CDN_BASE
from bot.fish.tts_models import BUILT_IN, DEFAULT_TTS_MODEL, CueStyle, ModelCatalog

DEFAULT_CONFIG_PATH = Path("config.toml")
LatencyMode = Literal["normal", "balanced", "low"]


class _Section(BaseModel):
    model_config = {"extra": "forbid"}


class ModelEntry(_Section):
    """`[[fish.models]]`: a TTS model to add, or the fields of a built-in one to change (unset
    fields keep the built-in value; a new model's label defaults to its name)."""

    name: str
    label: str | None = Field(None, min_length=1, max_length=100)
    cues: CueStyle | None = None
    multi_speaker: bool | None = None
    phonemes: bool | None = None
    free: bool | None = None
    retires: datetime.date | None = None  # first UTC day Fish no longer serves it as itself
    replacement: str | None = None  # what Fish serves from then on (default s2.1-pro)
    price_per_million_bytes: Decimal | None = Field(None, ge=0, le=10_000)


class FishSection(_Section):
    # Before `model`, which is checked against the built-in list plus these.
    models: list[ModelEntry] = Field(default_factory=list)
    model: str = DEFAULT_TTS_MODEL  # a name in the catalog (bot.fish.tts_models)
    latency: LatencyMode = "balanced"
    default_voice: str | None = None
    timeout_s: float = Field(30.0, gt=0, le=600)
    max_retries: int = Field(2, ge=0, le=10)
    # Requests the account may have open at once, all processes together (Fish's tier: Starter 5,
    # Elevated 15 from $100 paid, High Volume 50 from $1,000). Raise it when the tier rises.
    max_concurrency: int = Field(5, ge=1, le=1000)
    # Covers, avatars and sample audio may come as paths relative to Fish's public CDN.
    cdn_base: str = DEFAULT_CDN_BASE

    _catalog: ModelCatalog = PrivateAttr(default=BUILT_IN)

    @field_validator("models")
    @classmethod
    def _models(cls, value: list[ModelEntry]) -> list[ModelEntry]:
        _catalog_of(value)  # every problem with the entries, at config load
        return value

    @field_validator("model")
    @classmethod
    def _model(cls, value: str, info: ValidationInfo) -> str:
        entries = info.data.get("models")
        if entries is None:  # the entries had problems of their own, reported there
            return value
        names = _catalog_of(entries).names
        if value not in names:
            # Fish would serve (and bill) an unknown name as s2.1-pro without a word.
            raise ValueError(f"must be one of {', '.join(names)} (or a model added in [[fish.models]])")
        return value

    @field_validator("default_voice")
    @classmethod
    def _default_voice(cls, value: str | None) -> str | None:
        if value is not None and parse_voice_id(value) is None:
            raise ValueError("must be a Fish voice id: 32 lowercase hexadecimal characters")
        return value

    @model_validator(mode="after")
    def _build_catalog(self) -> FishSection:
        self._catalog = _catalog_of(self.models)
        return self

    @property
    def catalog(self) -> ModelCatalog:
        """The built-in models with this configuration's entries merged over them."""
        return self._catalog

    @field_validator("cdn_base")
    @classmethod
    def _cdn_base(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value if value.endswith("/") else value + "/"
    # The circuit breaker: after this many outage-like failures in a row (5xx, no connection, a
    # broken stream, a time-out) no new TTS is sent for a cool-off that doubles while Fish stays down.
    breaker_failures: int = Field(3, ge=1, le=100)
    breaker_cool_off_s: float = Field(5.0, gt=0)
    breaker_max_cool_off_s: float = Field(120.0, gt=0)


class SpeakSection(_Section):
    max_text_length: int = Field(1000, ge=1, le=10_000)
    queue_limit: int = Field(20, ge=1, le=500)
    idle_timeout_s: float = Field(300.0, gt=0)
    alone_leave_delay_s: float = Field(30.0, ge=0)
    stall_timeout_s: float = Field(15.0, gt=0)
    opus_bitrate: Literal[-1000, 24000, 32000, 48000, 64000] = -1000
    file_format: Literal["opus", "mp3"] = "opus"
    # How long a voice session waits for discord.py to reconnect a dropped voice connection
    # (4006, 4015, a server move...) before it gives up, tells the requester and leaves.
    reconnect_timeout_s: float = Field(60.0, gt=0)
    # A dropped connection not back after this long is taken as stalled (discord.py's reconnect can
    # hang for good): the session drops it and connects afresh, within reconnect_timeout_s.
    reconnect_stall_s: float = Field(5.0, gt=0)


class NarrationSection(_Section):
    enabled: bool = False
    max_message_length: int = Field(300, ge=1, le=4000)
    max_spoken_seconds: float = Field(30.0, gt=0)


class CloneSection(_Section):
    max_file_mb: float = Field(20.0, gt=0, le=500)
    max_samples: int = Field(3, ge=1, le=20)
    # Fish recommends at least 10 s per clip; cloning from less than a few seconds fails or
    # sounds poor, and very long clips only cost upload time.
    min_seconds: float = Field(5.0, ge=0)
    max_seconds: float = Field(300.0, gt=0)
    # A new voice trains on Fish's side before it can speak; /clone polls it this often, this long.
    training_poll_s: float = Field(3.0, gt=0, le=60)
    training_timeout_s: float = Field(300.0, gt=0, le=3600)


class TranscribeSection(_Section):
    max_file_mb: float = Field(25.0, gt=0, le=500)
    # The API takes at most 60 minutes of audio per request.
    max_minutes: float = Field(60.0, gt=0, le=60)
    # Lets servers turn on automatic transcripts of voice messages. Reading other members'
    # attachments needs the privileged Message Content intent, so the operator opts in.
    auto_transcribe: bool = False
    # The ASR `model` header. transcribe-1 retires on 2026-12-31; transcribe-1-pro survives and
    # also marks speakers and cues (laughter), which transcripts show.
    model: str = DEFAULT_ASR_MODEL

    @field_validator("model")
    @classmethod
    def _model(cls, value: str) -> str:
        if value not in ASR_MODELS:
            raise ValueError(f"must be one of {', '.join(ASR_MODELS)}")
        return value


class SceneSection(_Section):
    """/scene: a short script read by several voices."""

    max_speakers: int = Field(4, ge=1, le=10)
    max_chars: int = Field(1000, ge=1, le=10_000)


def _catalog_of(entries: list[ModelEntry]) -> ModelCatalog:
    return ModelCatalog.build(entry.model_dump(exclude_none=True) for entry in entries)


# Speech quotas counted characters until they counted what Fish bills (UTF-8 bytes).
RENAMED_QUOTAS = {
    "tts_chars_per_member": "tts_bytes_per_member",
    "tts_chars_per_guild": "tts_bytes_per_guild",
}


class QuotaSection(_Section):
    """Daily quotas; 0 means unlimited. Speech counts UTF-8 bytes of the text sent to Fish."""

    tts_bytes_per_member: int = Field(20_000, ge=0)
    tts_bytes_per_guild: int = Field(200_000, ge=0)
    clones_per_member: int = Field(3, ge=0)
    clones_per_guild: int = Field(20, ge=0)
    transcribe_minutes_per_member: float = Field(30.0, ge=0)
    transcribe_minutes_per_guild: float = Field(300.0, ge=0)
    # Each /voices design request costs about $0.01 whether or not a voice is kept.
    voice_designs_per_member: int = Field(10, ge=0)
    voice_designs_per_guild: int = Field(50, ge=0)

    _deprecations: list[str] = PrivateAttr(default_factory=list)

    @model_validator(mode="wrap")
    @classmethod
    def _old_names(cls, data: Any, handler: Any) -> QuotaSection:
        """The old character keys still work, as bytes one for one (never tripled), with a
        warning: a silent x3 would triple what an operator agreed to spend."""
        notes = []
        if isinstance(data, dict):
            data = dict(data)
            for old, new in RENAMED_QUOTAS.items():
                if old not in data:
                    continue
                if new in data:
                    raise ValueError(f"{old} is the old name of {new}: set only {new}")
                data[new] = data.pop(old)
                notes.append(
                    f"quotas.{old} is deprecated: speech quotas now count UTF-8 bytes, as Fish Audio "
                    f"bills (1 per English letter, 3 per Japanese or Chinese character). Its value is "
                    f"used as quotas.{new} = {data[new]} bytes, unchanged, so it allows as many English "
                    f"letters as before but a third as many Japanese or Chinese characters. Rename it "
                    f"to {new}."
                )
        section: QuotaSection = handler(data)
        section._deprecations = notes
        return section

    @property
    def deprecations(self) -> list[str]:
        return list(self._deprecations)


class CreditsSection(_Section):
    allow_manage_guild: bool = False
    low_balance_threshold: float = Field(1.0, ge=0)
    check_interval_minutes: float = Field(30.0, gt=0)
    alert_channel_id: int | None = None
    tts_cache_entries: int = Field(512, ge=0)
    tts_cache_max_chars: int = Field(200, ge=0)
    # For the cost estimates of /usage and /credits and the alert's "lasts N days" (TTS prices
    # are per model, in [[fish.models]]): Fish's published prices in dollars.
    transcribe_price_per_hour: Decimal = Field(Decimal("0.36"), ge=0)
    voice_design_price: Decimal = Field(Decimal("0.01"), ge=0)


class MetricsSection(_Section):
    # Off unless a port is set; 0 picks a free port (tests). Localhost unless told otherwise:
    # the numbers are not secret, but nobody outside should need them.
    port: int | None = Field(None, ge=0, le=65535)
    host: str = "127.0.0.1"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="FISHBOT_",
        env_nested_delimiter="__",
        extra="forbid",
        validate_default=True,
    )

    discord_token: SecretStr | None = Field(
        None, validation_alias=AliasChoices("DISCORD_TOKEN", "discord_token")
    )
    fish_api_key: SecretStr | None = Field(
        None, validation_alias=AliasChoices("FISH_API_KEY", "fish_api_key")
    )
    fish_base_url: str = Field(
        "https://api.fish.audio", validation_alias=AliasChoices("FISH_BASE_URL", "fish_base_url")
    )
    database_url: str | None = Field(
        None, validation_alias=AliasChoices("DATABASE_URL", "database_url")
    )
    data_dir: Path = Path("data")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    owner_ids: list[int] = Field(default_factory=list)
    dev_guild_id: int | None = None
    # `run` retries reaching Discord and Fish Audio at start-up (with backoff) for this long, then
    # exits naming what it could not reach.
    startup_retry_s: float = Field(120.0, ge=0)

    fish: FishSection = Field(default_factory=FishSection)
    speak: SpeakSection = Field(default_factory=SpeakSection)
    narration: NarrationSection = Field(default_factory=NarrationSection)
    clone: CloneSection = Field(default_factory=CloneSection)
    transcribe: TranscribeSection = Field(default_factory=TranscribeSection)
    scene: SceneSection = Field(default_factory=SceneSection)
    quotas: QuotaSection = Field(default_factory=QuotaSection)
    credits: CreditsSection = Field(default_factory=CreditsSection)
    metrics: MetricsSection = Field(default_factory=MetricsSection)

    @field_validator("fish_base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        from bot.storage.db import normalize_database_url  # SQLAlchemy is only needed here

        return normalize_database_url(value)

    @field_validator("discord_token", "fish_api_key", mode="before")
    @classmethod
    def _blank_is_missing(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @property
    def needs_message_content(self) -> bool:
        """Narration reads messages and auto-transcription reads their attachments."""
        return self.narration.enabled or self.transcribe.auto_transcribe

    def warnings(self, today: datetime.date) -> list[str]:
        """What the operator should change: a retiring model, deprecated keys."""
        notice = self.fish.catalog.retirement_notice(self.fish.model, today)
        return ([notice] if notice else []) + self.quotas.deprecations

    @property
    def resolved_database_url(self) -> str:
        """DATABASE_URL, or a SQLite file under the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'fishbot.db').as_posix()}"

    def missing(self, *names: str) -> list[str]:
        """The environment names of required settings that are not set."""
        env_names = {"discord_token": "DISCORD_TOKEN", "fish_api_key": "FISH_API_KEY"}
        return [env_names[name] for name in names if getattr(self, name) is None]

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Precedence, strongest first: explicit arguments, the environment, config.toml.
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if settings_cls.model_config.get("toml_file"):
            sources.append(TomlConfigSettingsSource(settings_cls))
        return tuple(sources)


class ConfigError(Exception):
    """Every problem found in the configuration, worded for the person running the bot."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))

    def render(self) -> str:
        lines = ["fishbot: the configuration has problems:"]
        lines += [f"  - {problem}" for problem in self.problems]
        lines.append("See config.example.toml and the README's configuration table.")
        return "\n".join(lines)


_ENV_NAMES = {
    "discord_token": "DISCORD_TOKEN",
    "fish_api_key": "FISH_API_KEY",
    "fish_base_url": "FISH_BASE_URL",
    "database_url": "DATABASE_URL",
}


def _describe(error: ErrorDetails) -> str:
    location = [str(part) for part in error.get("loc", ())]
    if location and location[0] in _ENV_NAMES:
        where = _ENV_NAMES[location[0]]
    else:
        where = ".".join(location) or "config"
    message = str(error.get("msg", "is invalid"))
    if error.get("type") == "extra_forbidden":
        message = "is not a known setting"
    # Never echo the offending value: it may be a token pasted in the wrong place.
    return f"{where}: {message}"


def _missing_before_validation(require: tuple[str, ...], toml_file: Path | None) -> list[str]:
    """Required names absent from both the environment and the file, for a full problem list."""
    import os
    import tomllib

    in_file: dict[str, Any] = {}
    if toml_file is not None:
        try:
            in_file = tomllib.loads(toml_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            in_file = {}
    names = []
    for field in require:
        env_name = _ENV_NAMES[field]
        if not os.environ.get(env_name, "").strip() and not str(in_file.get(field, "")).strip():
            names.append(env_name)
    return names


def _missing_problem(name: str) -> str:
    return f"{name} is not set (put it in the environment or config.toml)"


def load_settings(config_path: Path | None = None, *, require: tuple[str, ...] = ()) -> Settings:
    """Read config.toml (if present) and the environment; raise ConfigError listing every problem.

    `require` names settings (e.g. "discord_token") that this command cannot run without.
    Runs before the event loop starts, so the blocking file read is fine here.
    """
    path = config_path if config_path is not None else DEFAULT_CONFIG_PATH
    if config_path is not None and not path.is_file():
        raise ConfigError([f"config file {path} does not exist"])
    toml_file = path if path.is_file() else None
    settings_cls = Settings
    if toml_file is not None:
        # A subclass carries the file's path, so the model itself stays free of globals.
        config = SettingsConfigDict(**{**Settings.model_config, "toml_file": toml_file})

        class FileSettings(Settings):
            model_config = config

        settings_cls = FileSettings
    try:
        settings = settings_cls()
    except ValidationError as exc:
        problems = [_describe(error) for error in exc.errors()]
        missing = _missing_before_validation(require, toml_file)
        raise ConfigError([_missing_problem(name) for name in missing] + problems) from None
    except ValueError as exc:  # a TOML syntax error
        raise ConfigError([f"{path}: {exc}"]) from None
    missing = settings.missing(*require)
    if missing:
        raise ConfigError([_missing_problem(name) for name in missing])
    return settings
