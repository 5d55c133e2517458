"""A server's pronunciation dictionary: words replaced before the text reaches Fish. Pure.

Matching is case-insensitive and whole-word where the script separates words with spaces
("Nguyen" is not found inside "Nguyenova"); in scripts written without spaces (Chinese, Japanese,
Thai…) a word is found wherever it appears, as Japanese reading bots do. The longest entry wins
where entries overlap ("New York City" over "New York"), then the leftmost.

A replacement is a plain respelling ("Nguyen" → "win"), or a Fish phoneme span
(`<|phoneme_start|>W IH1 N<|phoneme_end|>`, Arpabet, pinyin or romaji) that only the models that
read spans get; other models get the entry's plain fallback (the word itself unless one was given).

The entries are compiled once into a trie-shaped regular expression, so a 2,000-character message
is matched against 1,000 entries by one regex scan (see benchmarks/speak_latency.py).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from bot.errors import BadEntry

PHONEME_START = "<|phoneme_start|>"
PHONEME_END = "<|phoneme_end|>"
MAX_ENTRIES = 1000  # per server
MAX_WORD = 50
MAX_REPLACEMENT = 200

# Scripts written without spaces between words: an entry in them needs no word boundary, and a
# character of them next to a Latin word ("GPUが") is a boundary for that word.
_UNSPACED = (
    "\u0e00-\u0eff"  # Thai, Lao
    "\u1000-\u109f"  # Myanmar
    "\u1780-\u17ff"  # Khmer
    "\u1100-\u11ff\u3130-\u318f\uac00-\ud7af"  # Hangul (particles attach to the word)
    "\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f"  # kana
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"  # CJK ideographs
)
# A letter or digit of a spaced script: what must not touch a whole-word match.
_SPACED_WORD = rf"[^\W{_UNSPACED}]"
_SPACED_WORD_CHAR = re.compile(_SPACED_WORD)
_PHONEME_SPAN = re.compile(re.escape(PHONEME_START) + r"(.*)" + re.escape(PHONEME_END), re.DOTALL)
_MENTION = re.compile(r"<[@#][!&]?\d+>|@everyone|@here", re.IGNORECASE)
# Characters that are markup to Fish (cues, tags, special tokens) or to Discord.
_MARKUP = re.compile(r"[<>\[\]|{}`\\]")
_PHONEME_TEXT = re.compile(r"[\w\s'.,:\-]+")


@dataclass(frozen=True)
class Entry:
    word: str
    say: str  # what every model gets if it doesn't read phoneme spans
    phonemes: str | None = None  # the span's contents, for the models that read them

    def replacement(self, phonemes: bool) -> str:
        if phonemes and self.phonemes:
            return f"{PHONEME_START}{self.phonemes}{PHONEME_END}"
        return self.say


def _check_plain(text: str, field: str, limit: int) -> str:
    text = " ".join(text.split())
    if not text:
        raise BadEntry(field, "empty")
    if len(text) > limit:
        raise BadEntry(field, "too_long", limit=limit)
    if _MENTION.search(text):
        raise BadEntry(field, "mentions")
    if _MARKUP.search(text):
        raise BadEntry(field, "markup")
    return text


def parse_entry(word: str, replacement: str, fallback: str | None = None) -> Entry:
    """Validate what a member typed. `replacement` is a respelling or one whole phoneme span;
    `fallback` is the respelling for models that don't read spans (default: the word unchanged)."""
    word = _check_plain(word, "word", MAX_WORD)
    if not re.search(r"\w", word):
        raise BadEntry("word", "no_letter")
    replacement = replacement.strip()
    span = _PHONEME_SPAN.fullmatch(replacement)
    if span is None:
        if fallback:
            raise BadEntry("fallback", "lonely_fallback")
        return Entry(word, _check_plain(replacement, "replacement", MAX_REPLACEMENT))
    phonemes = " ".join(span[1].split())
    if not phonemes:
        raise BadEntry("phonemes", "empty")
    if len(phonemes) > MAX_REPLACEMENT:
        raise BadEntry("phonemes", "too_long", limit=MAX_REPLACEMENT)
    if not _PHONEME_TEXT.fullmatch(phonemes) or _MENTION.search(phonemes):
        raise BadEntry("phonemes", "phoneme_characters")
    say = _check_plain(fallback, "fallback", MAX_REPLACEMENT) if fallback else word
    return Entry(word, say, phonemes)


def _key(word: str) -> str:
    return word.lower()


def _trie_pattern(words: list[str]) -> str:
    """One regex alternation for `words` (lower-cased), shaped as a trie so the scan tests one
    character per position instead of every entry; longer words are tried first."""
    trie: dict[str, dict] = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def emit(node: dict[str, dict], last: str) -> str:
        ends_here = "" in node
        branches = [re.escape(char) + emit(child, char) for char, child in sorted(node.items()) if char]
        end = f"(?!{_SPACED_WORD})" if ends_here and _SPACED_WORD_CHAR.match(last) else ""
        if not branches:
            return end
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if not ends_here:
            return body
        # Greedy: the longer entry first, back to this one if the longer doesn't match.
        return f"(?:{body}|{end})" if end else f"(?:{body})?"

    return emit(trie, "")


class Dictionary:
    """The compiled entries of one server."""

    def __init__(self, entries: Mapping[str, Entry] | list[Entry]) -> None:
        items = entries.values() if isinstance(entries, Mapping) else entries
        self.entries: dict[str, Entry] = {_key(e.word): e for e in items}
        bounded = [k for k in self.entries if _SPACED_WORD_CHAR.match(k)]
        free = [k for k in self.entries if not _SPACED_WORD_CHAR.match(k)]
        parts = []
        if bounded:
            parts.append(f"(?<!{_SPACED_WORD}){_trie_pattern(bounded)}")
        if free:
            parts.append(_trie_pattern(free))
        self._pattern = re.compile("|".join(parts), re.IGNORECASE) if parts else None

    def __len__(self) -> int:
        return len(self.entries)

    def apply(self, text: str, *, phonemes: bool) -> str:
        """`text` with every entry replaced; phoneme spans only if the model reads them."""
        if self._pattern is None or not text:
            return text

        def replace(match: re.Match[str]) -> str:
            entry = self.entries.get(_key(match[0]))
            return entry.replacement(phonemes) if entry is not None else match[0]

        return self._pattern.sub(replace, text)
