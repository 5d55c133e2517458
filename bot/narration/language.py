"""Which language a message is in, cheaply, from the scripts of its letters: what the bot says
around it (stand-ins, the name announcement) follows it, so a Japanese message with a link is not
read as "…a link…" in the middle of Japanese speech.

Scripts tell CJK and Korean apart reliably; for the rest (Latin, Cyrillic, Arabic…) guessing the
language from letters costs more than it earns, so they follow the server's language. Only the
letters a member wrote count: links, mentions, custom emoji, timestamps and code are taken out
first, and Unicode emoji, digits and punctuation are not letters.
"""

from __future__ import annotations

import re
import unicodedata

from bot.i18n import DEFAULT_LANGUAGE

_NOT_WORDS = re.compile(
    r"```.*?(?:```|$)|`[^`\n]+`"  # code
    r"|<?https?://[^\s>]+>?"  # links
    r"|<(?:@[!&]?|#)\d+>|</[\w -]+:\d+>|<a?:\w+:\d+>|<t:-?\d+(?::\w)?>",  # mentions, emoji, times
    re.DOTALL,
)
# "草www", "それなｗｗｗ": w's ending a word right after kana or kanji are Japanese laughter, not
# Latin letters (bot.narration.conventions reads them as "わら").
_LAUGH = re.compile(r"(?<=[\u3040-\u30ff\u3400-\u9fff々])[wWｗＷ]+(?![^\W_])")
# A CJK character stands for a syllable, an alphabet's letter for a part of one: weighing them
# 2 : 1 lets "今日はmeetingがある" count as the Japanese it is.
_CJK_WEIGHT = 2


def _script(char: str) -> str | None:
    """"kana", "hangul", "han", "other" (any other alphabet's letter) or None (not a letter)."""
    code = ord(char)
    if 0x3040 <= code <= 0x30FF or 0x31F0 <= code <= 0x31FF or 0xFF66 <= code <= 0xFF9D:
        return "kana"
    if 0xAC00 <= code <= 0xD7A3 or 0x1100 <= code <= 0x11FF or 0x3130 <= code <= 0x318F:
        return "hangul"
    if (0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0xF900 <= code <= 0xFAFF
            or 0x20000 <= code <= 0x2FFFF or char == "々"):
        return "han"
    if unicodedata.category(char).startswith("L"):
        return "other"
    return None


def detect(text: str, server_language: str = DEFAULT_LANGUAGE) -> str:
    """The language to speak around `text` in: "ja" for kana, "ko" for Hangul, Chinese for Han
    without either (Traditional in a zh_Hant server; Japanese in a Japanese server, where "草" or
    "了解" alone is Japanese), otherwise the server's language. The dominant script decides."""
    text = _NOT_WORDS.sub(" ", text)
    counts = {"kana": 0, "hangul": 0, "han": 0, "other": 0}
    counts["kana"] = len(_LAUGH.findall(text))
    for char in _LAUGH.sub(" ", text):
        script = _script(char)
        if script is not None:
            counts[script] += 1
    kana, hangul, han = counts["kana"], counts["hangul"], counts["han"]
    if kana or hangul:  # Han characters belong to the Japanese or Korean around them
        ja, ko, zh = kana + (han if kana >= hangul else 0), hangul + (han if hangul > kana else 0), 0
    else:
        ja, ko, zh = 0, 0, han
    weighed = {"ja": ja * _CJK_WEIGHT, "ko": ko * _CJK_WEIGHT, "zh": zh * _CJK_WEIGHT}
    best = max(weighed, key=lambda language: weighed[language])
    if weighed[best] == 0 or weighed[best] < counts["other"]:
        return server_language
    if best == "zh":
        return server_language if server_language in ("zh_Hant", "ja") else "zh_Hans"
    return best
