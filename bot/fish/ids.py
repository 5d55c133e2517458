"""Fish voice ids: the one parse every voice id goes through, whoever hands it to the bot (a slash
command's option, an autocomplete value, a button, storage, Fish itself).

A Fish voice id is exactly 32 lowercase hexadecimal characters. Nothing is normalised — no
trimming, no case folding, no unquoting: any other spelling is "no such voice", refused before
Fish is asked. So the id the ownership check looks at is byte for byte the id Fish is asked about
(a check on `<id>#` that lets httpx send `/model/<id>` was how private clones leaked).

`VoiceId` is only made here: a function that takes one can rely on it, and mypy sees a plain `str`
passed where a `VoiceId` is due.
"""

from __future__ import annotations

import re
from typing import NewType
from urllib.parse import quote

from .errors import FishResponseError

VoiceId = NewType("VoiceId", str)

_VOICE_ID = re.compile(r"[0-9a-f]{32}")


def parse_voice_id(text: object) -> VoiceId | None:
    """`text` as a voice id if it is exactly one, else None."""
    if isinstance(text, str) and _VOICE_ID.fullmatch(text):
        return VoiceId(text)
    return None


def fish_voice_id(text: str) -> VoiceId:
    """An id Fish itself returned (a new voice, a listed one): one that isn't a voice id is a
    broken response, never a voice to guard or to ask about."""
    parsed = parse_voice_id(text)
    if parsed is None:
        raise FishResponseError(f"Fish Audio returned a malformed voice id ({len(text)} characters)")
    return parsed


def model_path(voice_id: VoiceId) -> str:
    """The API path of one voice. Quoted although a parsed id needs no quoting: a path segment is
    built one way only."""
    return "/model/" + quote(voice_id, safe="")
