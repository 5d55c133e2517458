"""A small in-memory cache of short TTS clips, so a phrase said again ("Alice said", a greeting)
costs no credits the second time. Bounded by entries and bytes; least recently used goes first.
The synthesizer's (bot/tts/synthesizer.py); the billing side only records "cached" outcomes."""

from __future__ import annotations

from cachetools import LRUCache

from bot.tts.spec import SpeechSpec

# Per-process bounds besides the configured entry count: a short clip is tens of KB, so these
# only stop pathological cases (a huge clip, a huge configured count) from eating the memory.
MAX_TOTAL_BYTES = 64 * 1024 * 1024
MAX_ENTRY_BYTES = 2 * 1024 * 1024


class TTSCache:
    """Complete clips keyed by their `SpeechSpec` (which holds everything that changes the audio)."""

    def __init__(self, max_entries: int, max_chars: int, *, max_bytes: int = MAX_TOTAL_BYTES,
                 max_entry_bytes: int = MAX_ENTRY_BYTES) -> None:
        self.max_entries = max_entries
        self.max_chars = max_chars
        self.max_bytes = max_bytes
        self.max_entry_bytes = max_entry_bytes
        # Sized in bytes (cachetools evicts by that); the entry count is bounded in `put`.
        self._entries: LRUCache[SpeechSpec, bytes] = LRUCache(maxsize=max_bytes, getsizeof=len)
        self.hits = 0
        self.misses = 0

    def cacheable(self, text: str) -> bool:
        return self.max_entries > 0 and 0 < len(text) <= self.max_chars

    def get(self, key: SpeechSpec) -> bytes | None:
        """The cached audio, counting a hit or a miss (only for cacheable texts)."""
        if not self.cacheable(key.text):
            return None
        audio: bytes | None = self._entries.get(key)  # a hit becomes the most recently used
        if audio is None:
            self.misses += 1
            return None
        self.hits += 1
        return audio

    def put(self, key: SpeechSpec, audio: bytes) -> bool:
        """Keep a complete clip; returns whether it was stored."""
        if (not self.cacheable(key.text) or not audio or len(audio) > self.max_entry_bytes
                or len(audio) > self.max_bytes):
            return False
        self._entries[key] = audio
        while len(self._entries) > self.max_entries:
            self._entries.popitem()  # the least recently used
        return True

    @property
    def lookups(self) -> int:
        return self.hits + self.misses

    @property
    def hit_rate(self) -> float:
        return self.hits / self.lookups if self.lookups else 0.0

    @property
    def size_bytes(self) -> int:
        return int(self._entries.currsize)

    def __len__(self) -> int:
        return len(self._entries)
