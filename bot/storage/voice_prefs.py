"""The voice and speed a member (or a server, as its default) saved: stored under "voice"."""

from __future__ import annotations

from pydantic import BaseModel, Field

NAMESPACE = "voice"


class VoicePrefs(BaseModel):
    """Stored per member and per server under the "voice" namespace."""

    voice_id: str | None = None
    voice_name: str | None = None
    speed: float | None = Field(None, ge=0.5, le=2.0)
    # The member's default delivery style (`/voice style`), used when the server allows cues.
    style: str | None = Field(None, max_length=100)
