"""What the speak queue holds: requests, not audio (audio is fetched when a request nears the head)."""

from __future__ import annotations

import itertools
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

_next_id = itertools.count(1)

Notify = Callable[[str], Awaitable[None]]


@dataclass(eq=False)
class SpeakRequest:
    text: str
    requester_id: int
    requester_name: str
    voice_id: str | None = None
    speed: float | None = None
    model: str | None = None
    # Tells the requester why their clip failed (an ephemeral follow-up, a channel reply...).
    notify: Notify | None = None
    # For narration: the message this request reads, so deletes and edits can find it.
    message_id: int | None = None
    id: int = field(default_factory=lambda: next(_next_id))
    created: float = field(default_factory=time.monotonic)

    def preview(self, limit: int = 60) -> str:
        text = " ".join(self.text.split())
        return text if len(text) <= limit else text[: limit - 1] + "…"
