"""`client.voices`: list, get, create (clone), update and delete voice models (`/model`). A single
voice is named by a parsed `VoiceId` (bot/fish/ids.py), never by text as typed."""

from __future__ import annotations

import builtins
from typing import Any

from .errors import FishResponseError
from .http import HTTPCore, parse_model
from .ids import VoiceId, model_path
from .models import PaginatedResponse, TrainMode, Visibility, Voice, parse_page

_OCTET = "application/octet-stream"


def _file(data: bytes) -> tuple[str, bytes, str]:
    # Exactly what the SDK (via httpx) sends for raw bytes: filename "upload", octet-stream.
    return ("upload", data, _OCTET)


def _without_none(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


class Voices:
    def __init__(self, core: HTTPCore) -> None:
        self._core = core

    async def list(
        self,
        *,
        page_size: int = 10,
        page_number: int = 1,
        title: str | None = None,
        tags: builtins.list[str] | str | None = None,
        self_only: bool = False,
        author_id: str | None = None,
        language: builtins.list[str] | str | None = None,
        title_language: builtins.list[str] | str | None = None,
        sort_by: str = "task_count",
    ) -> PaginatedResponse[Voice]:
        """One page of voices; malformed items are skipped (and logged), never fatal."""
        params = _without_none({
            "page_size": page_size,
            "page_number": page_number,
            "title": title,
            "tag": tags,  # a list becomes repeated `tag=`
            "self": self_only,
            "author_id": author_id,
            "language": language,
            "title_language": title_language,
            "sort_by": sort_by,
        })
        data = await self._core.json("GET", "/model", retry=True, params=params)
        try:
            return parse_page(data, Voice)
        except (TypeError, ValueError) as exc:
            raise FishResponseError(f"unexpected voice list from Fish Audio ({type(exc).__name__})") from None

    async def get(self, voice_id: VoiceId) -> Voice:
        data = await self._core.json("GET", model_path(voice_id), retry=True)
        return parse_model(Voice, data, "voice")

    async def create(
        self,
        *,
        title: str,
        voices: builtins.list[bytes],
        description: str | None = None,
        texts: builtins.list[str] | None = None,
        tags: builtins.list[str] | None = None,
        cover_image: bytes | None = None,
        visibility: Visibility = "private",
        train_mode: TrainMode = "fast",
        enhance_audio_quality: bool = True,
    ) -> Voice:
        """Clone a voice from 1-20 samples. Never retried: a repeat could create a duplicate."""
        data = _without_none({
            "title": title,
            "description": description,
            "visibility": visibility,
            "type": "tts",
            "train_mode": train_mode,
            "texts": texts or [],
            "tags": tags or [],
            "enhance_audio_quality": enhance_audio_quality,  # httpx sends "true"/"false"
        })
        files = [("voices", _file(voice)) for voice in voices]
        if cover_image is not None:
            files.append(("cover_image", _file(cover_image)))
        # Holds a slot (an upload Fish processes); a 429 puts it back in line: nothing was created.
        body = await self._core.json("POST", "/model", retry=False, admitted=True, data=data, files=files)
        return parse_model(Voice, body, "created voice")

    async def update(
        self,
        voice_id: VoiceId,
        *,
        title: str | None = None,
        description: str | None = None,
        cover_image: bytes | None = None,
        visibility: Visibility | None = None,
        tags: builtins.list[str] | None = None,
    ) -> None:
        """PATCH the given fields: urlencoded, or multipart when a cover image is sent."""
        data = _without_none(
            {"title": title, "description": description, "visibility": visibility, "tags": tags}
        )
        files = [("cover_image", _file(cover_image))] if cover_image is not None else None
        await self._core.send("PATCH", model_path(voice_id), retry=False, data=data, files=files)

    async def delete(self, voice_id: VoiceId) -> None:
        await self._core.send("DELETE", model_path(voice_id), retry=False)
