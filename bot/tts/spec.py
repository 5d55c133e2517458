"""The one description of a clip to synthesise: what to say and every parameter that changes the
audio Fish returns.

A `SpeechSpec` is built once per request (`SpeechSpec.build`, from the request and the settings)
and then travels unchanged: the queue holds it, the TTS cache uses it as its key, and the Fish
client's arguments come from `tts_options()`. Adding a parameter (a later feature) is one field
with a default here plus its line in `tts_options()`; the cache key follows by itself because the
key is the whole (frozen, hashable) spec.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Literal

from bot import clock
from bot.config import Settings
from bot.fish.models import OpusBitrate, Prosody, TTSConfig, TTSOptions
from bot.fish.tts_models import serving_model

SpeechFormat = Literal["opus", "mp3"]


@dataclass(frozen=True, slots=True)
class SpeechSpec:
    """Everything that decides the audio of one clip (and nothing else: who asked, where it plays
    and how the requester is told live on the `SpeakRequest`)."""

    text: str
    voice_id: str | None
    speed: float | None
    model: str
    latency: Literal["normal", "balanced", "low"]
    format: SpeechFormat
    opus_bitrate: OpusBitrate = -1000
    # Prosody loudness in dB (Fish's `prosody.volume`); None leaves Fish's default.
    volume: float | None = None
    # A scene in one request: the voice of each `<|speaker:N|>` in the text, in order (then
    # `voice_id` is unused). A tuple, so the spec stays hashable as the cache key.
    speakers: tuple[str, ...] = ()
    # Fish's `prosody.normalize_loudness` (S2 family; on by default at Fish); None leaves it unsent.
    normalize_loudness: bool | None = None

    @classmethod
    def build(
        cls,
        settings: Settings,
        text: str,
        *,
        voice_id: str | None = None,
        speed: float | None = None,
        model: str | None = None,
        format: SpeechFormat = "opus",
        volume: float | None = None,
        normalize_loudness: bool | None = None,
    ) -> SpeechSpec:
        """The spec for `text` with the request's choices, the operator's settings filling the
        rest (model, latency, Opus bitrate). `format` is "opus" for voice; files use
        `settings.speak.file_format`. A model Fish has retired by today (`bot.clock`) is replaced
        by what Fish serves in its place, so the cache and the bill name the model really used."""
        return cls(
            text=text,
            voice_id=voice_id,
            speed=speed,
            model=serving_model(model or settings.fish.model, clock.utc_today()),
            latency=settings.fish.latency,
            format=format,
            opus_bitrate=settings.speak.opus_bitrate,
            volume=volume,
            normalize_loudness=normalize_loudness,
        )

    def with_text(self, text: str) -> SpeechSpec:
        """The same voice and parameters for other words (an edited narration message)."""
        return dataclasses.replace(self, text=text)

    def tts_options(self) -> TTSOptions:
        """The keyword arguments of `FishClient.tts.stream/convert` besides `text`."""
        prosody = None
        if self.volume is not None or self.normalize_loudness is not None:
            prosody = Prosody(speed=self.speed or 1.0, volume=self.volume or 0.0,
                              normalize_loudness=self.normalize_loudness)
        return TTSOptions(
            reference_id=list(self.speakers) if self.speakers else self.voice_id,
            format=self.format,
            latency=self.latency,
            speed=self.speed,
            config=TTSConfig(opus_bitrate=self.opus_bitrate, prosody=prosody),
            model=self.model,
        )
