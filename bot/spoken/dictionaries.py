"""The last step before text reaches Fish, per model: what the member did not mean as markup is
neutralised, then the server's pronunciation dictionary is applied. Shared by narration, /speak,
the "Speak this message" menu and announcements.

Fish's S2 family reads free-form `[bracket]` cues anywhere in the text, drama-3 also reads
`<tag>…</tag>` directions and s1 its emotions in parentheses, so a stray `[citation needed]` in
chat would change how the rest is spoken. Unless the server allows expressive cues, such text is
neutralised for the model that will read it (`bot.expressive.cues`, which also renders allowed
cues in each model's own syntax). Fish's own tokens (`<|…|>`: phoneme spans, speaker markers)
are always removed from what members wrote: only the dictionary adds phoneme spans, and only for
models that read them (judged by the model Fish really serves today: a retired s1 is s2.1-pro,
which reads them).
"""

from __future__ import annotations

import re

from cachetools import LRUCache

from bot import clock
from bot.expressive import cues
from bot.fish.models import reads_phonemes
from bot.fish.tts_models import serving_model
from bot.spoken.pronunciation import Dictionary, Entry
from bot.spoken.settings import DICTIONARY_NAMESPACE, PronunciationSettings
from bot.storage.settings import SettingsStore

_SPECIAL_TOKEN = re.compile(r"<\|[^<>]*?\|>")


def for_model(text: str, *, model: str, dictionary: Dictionary | None = None,
              expressive_cues: bool = False, style: str | None = None) -> str:
    """What to send Fish for `text` (already cleaned of Discord markup) on `model`: with the
    server's expressive cues on, the member's cues rewritten for the model (bot.expressive.cues:
    a cue the model would read aloud is dropped), else neutralised; a member's `style` applies
    to the whole text either way."""
    if not text.strip():
        return ""  # a style alone is not something to say
    text = cues.for_model(_SPECIAL_TOKEN.sub(" ", text), model, style=style, cues_allowed=expressive_cues)
    if dictionary is not None:
        text = dictionary.apply(text, phonemes=reads_phonemes(serving_model(model, clock.utc_today())))
    return text


def entries_of(stored: PronunciationSettings) -> list[Entry]:
    return [Entry(word, say, phonemes or None) for word, say, phonemes in stored.entries.values()]


class Dictionaries:
    """Each server's compiled dictionary, rebuilt only when its stored entries change (compiling
    1,000 entries takes tens of milliseconds; applying them well under one)."""

    def __init__(self, store: SettingsStore, size: int = 256) -> None:
        self.store = store
        self._compiled: LRUCache[int, tuple[dict[str, tuple[str, str, str]], Dictionary]] = LRUCache(size)

    async def get(self, guild_id: int | None) -> Dictionary | None:
        if guild_id is None:
            return None
        stored = await self.store.get_guild(guild_id, DICTIONARY_NAMESPACE, PronunciationSettings)
        if not stored.entries:
            self._compiled.pop(guild_id, None)
            return None
        cached = self._compiled.get(guild_id)  # a hit counts as a use
        if cached is not None and cached[0] == stored.entries:
            return cached[1]
        dictionary = Dictionary(entries_of(stored))
        self._compiled[guild_id] = (stored.entries, dictionary)  # the least recently used makes room
        return dictionary
