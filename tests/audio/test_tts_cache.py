"""The TTS cache: only short texts, bounded by entries and bytes, LRU, counts hits and misses."""

from __future__ import annotations

import dataclasses
from typing import Any

from bot.tts.cache import TTSCache
from bot.tts.spec import SpeechSpec


def key(text: str, **changes: Any) -> SpeechSpec:
    spec = SpeechSpec(text=text, voice_id="v1", speed=None, model="s2.1-pro", format="opus",
                      latency="balanced", opus_bitrate=-1000)
    return dataclasses.replace(spec, **changes)


def test_identical_requests_hit_and_any_setting_changes_the_key() -> None:
    cache = TTSCache(max_entries=10, max_chars=50)
    assert cache.get(key("Alice said")) is None
    assert cache.put(key("Alice said"), b"ogg-1")
    assert cache.get(key("Alice said")) == b"ogg-1"
    for change in ({"voice_id": "v2"}, {"speed": 1.5}, {"model": "s1"}, {"format": "mp3"},
                   {"latency": "normal"}, {"opus_bitrate": 64000}, {"volume": 3.0}):
        assert cache.get(key("Alice said", **change)) is None
    assert cache.get(key("alice said")) is None
    assert (cache.hits, cache.misses) == (1, 9)
    assert cache.hit_rate == 1 / 10


def test_long_texts_are_neither_cached_nor_counted() -> None:
    cache = TTSCache(max_entries=10, max_chars=5)
    assert not cache.put(key("too long"), b"x")
    assert cache.get(key("too long")) is None
    assert cache.lookups == 0 and len(cache) == 0


def test_bounded_by_entries_least_recently_used_first() -> None:
    cache = TTSCache(max_entries=2, max_chars=50)
    cache.put(key("a"), b"1")
    cache.put(key("b"), b"2")
    assert cache.get(key("a")) == b"1"  # "b" is now the least recently used
    cache.put(key("c"), b"3")
    assert len(cache) == 2 and cache.get(key("b")) is None and cache.get(key("a")) == b"1"


def test_bounded_by_bytes_and_entry_size() -> None:
    cache = TTSCache(max_entries=100, max_chars=50, max_bytes=10, max_entry_bytes=6)
    assert not cache.put(key("big"), b"x" * 7)
    cache.put(key("a"), b"x" * 6)
    cache.put(key("b"), b"y" * 6)
    assert len(cache) == 1 and cache.size_bytes == 6 and cache.get(key("b")) == b"y" * 6


def test_zero_entries_disables_the_cache() -> None:
    cache = TTSCache(max_entries=0, max_chars=50)
    assert not cache.put(key("a"), b"1") and cache.get(key("a")) is None and cache.lookups == 0
