"""`client.voice_design`: voices made from a description (`POST /v1/voice-design`, fish-audio-api.md
§0). The SDK has no such call; this one follows the openapi `VoiceDesignRequest`/`Candidate`.

A request costs about $0.01 when it succeeds. It is retried like any request where repeating is
safe (429, 5xx, connect failures): a refused or failed request is not billed, and nothing is
created on Fish's side until a candidate is saved with `voices.create`.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from .errors import FishResponseError
from .http import HTTPCore, parse_model

MODEL = "voice-design-1"
INSTRUCTION_LIMIT = 2000
REFERENCE_TEXT_LIMIT = 150


class VoiceDesignRequest(BaseModel):
    """The request body. Lengths are the API's to judge (its 400 is what a member is told), so
    only types and ranges the API documents as fixed are checked here."""

    model_config = ConfigDict(extra="forbid")

    instruction: str
    reference_text: str | None = None
    language: str | None = None
    n: Annotated[int, Field(ge=1, le=4)] = 2
    speed: Annotated[float, Field(gt=0, le=3)] | None = None
    seed: int | None = None


class VoiceDesignCandidate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    index: int
    audio_base64: str
    sample_rate: int
    duration_ms: int
    text: str | None = None
    instruct: str | None = None
    language: str | None = None

    @property
    def audio(self) -> bytes:
        """The candidate's audio (a WAV file)."""
        try:
            return base64.b64decode(self.audio_base64, validate=True)
        except (binascii.Error, ValueError):
            raise FishResponseError("Fish Audio sent a voice-design candidate with broken audio") from None


class VoiceDesignResponse(BaseModel):
    model_config = ConfigDict(extra="ignore")

    candidates: list[VoiceDesignCandidate]


class VoiceDesign:
    def __init__(self, core: HTTPCore) -> None:
        self._core = core

    async def create(
        self,
        instruction: str,
        *,
        reference_text: str | None = None,
        language: str | None = None,
        n: int = 2,
        speed: float | None = None,
        seed: int | None = None,
    ) -> list[VoiceDesignCandidate]:
        """Up to `n` (1-4) candidate voices for a description, each with a short WAV sample."""
        request = VoiceDesignRequest(
            instruction=instruction, reference_text=reference_text, language=language, n=n,
            speed=speed, seed=seed,
        )
        payload: dict[str, Any] = request.model_dump(exclude_none=True)
        data = await self._core.json(
            "POST", "/v1/voice-design", retry=True, admitted=True, json=payload, headers={"model": MODEL}
        )
        return parse_model(VoiceDesignResponse, data, "voice-design answer").candidates
