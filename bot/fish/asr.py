"""`client.asr`: speech to text (`POST /v1/asr`, msgpack body)."""

from __future__ import annotations

from typing import Any

import ormsgpack

from .http import HTTPCore, parse_model
from .models import DEFAULT_ASR_MODEL, ASRResponse


class ASR:
    def __init__(self, core: HTTPCore) -> None:
        self._core = core

    async def transcribe(
        self,
        *,
        audio: bytes,
        language: str | None = None,
        include_timestamps: bool = True,
        model: str = DEFAULT_ASR_MODEL,
    ) -> ASRResponse:
        """Transcribe up to 20 MB / 60 min of audio; `duration` and segment times are seconds.
        `model` goes in the `model` header; transcribe-1-pro's `text` carries `<|speaker:N|>`
        markers and cues like `[laughter]` (see bot.transcripts), its segments do not."""
        payload: dict[str, Any] = {"audio": audio, "ignore_timestamps": not include_timestamps}
        if language is not None:
            payload["language"] = language
        # Retried only on an error status/connect failure: nothing was transcribed or delivered.
        data = await self._core.json(
            "POST", "/v1/asr", retry=True, admitted=True, content=ormsgpack.packb(payload),
            headers={"content-type": "application/msgpack", "model": model},
        )
        return parse_model(ASRResponse, data, "transcription")
