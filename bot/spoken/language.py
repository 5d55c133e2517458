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

from bot.i18n import DEFAULT_LANGUAGE

_NOT_WORDS = re.compile(
    r"```.*?(?:```|$)|`[^`\n]+`"  # code
    r"|<?https?://[^\s>]+>?"  # links
    r"|<(?:@[!&]?|#)\d+>|</[\w -]+:\d+>|<a?:\w+:\d+>|<t:-?\d+(?::\w)?>",  # mentions, emoji, times
    re.DOTALL,
)
# "草www", "それなｗｗｗ": w's ending a word right after kana or kanji are Japanese laughter, not
# Latin letters (bot.spoken.conventions reads them as "わら").
_LAUGH = re.compile(r"(?<=[\u3040-\u30ff\u3400-\u9fff々])[wWｗＷ]+(?![^\W_])")
# The letters of each script (letters only: no kana punctuation such as "・").
_KANA = re.compile("[\u3041-\u3096\u309d-\u309f\u30a1-\u30fa\u30fc-\u30ff\u31f0-\u31ff\uff66-\uff9d]")
_HANGUL = re.compile("[\uac00-\ud7a3\u1100-\u11ff\u3131-\u318e]")
_HAN = re.compile("[\u4e00-\u9fff\u3400-\u4dbf\uf900-\ufaff\U00020000-\U0002ffff\u3005]")
# A CJK character stands for a syllable, an alphabet's letter for a part of one: weighing them
# 2 : 1 lets "今日はmeetingがある" count as the Japanese it is.
_CJK_WEIGHT = 2


def detect(text: str, server_language: str = DEFAULT_LANGUAGE) -> str:
    """The language to speak around `text` in: "ja" for kana, "ko" for Hangul, Chinese for Han
    without either (Traditional in a zh_Hant server; Japanese in a Japanese server, where "草" or
    "了解" alone is Japanese), otherwise the server's language. The dominant script decides."""
    text = _NOT_WORDS.sub(" ", text)
    laughs = len(_LAUGH.findall(text))
    text = _LAUGH.sub(" ", text)
    kana, hangul, han = len(_KANA.findall(text)), len(_HANGUL.findall(text)), len(_HAN.findall(text))
    # Every other alphabet's letters (str.isalpha counts the CJK ones too; they are taken off).
    other = sum(1 for char in text if char.isalpha()) - kana - hangul - han
    kana += laughs
    if kana or hangul:  # Han characters belong to the Japanese or Korean around them
        ja, ko, zh = kana + (han if kana >= hangul else 0), hangul + (han if hangul > kana else 0), 0
    else:
        ja, ko, zh = 0, 0, han
    weighed = {"ja": ja * _CJK_WEIGHT, "ko": ko * _CJK_WEIGHT, "zh": zh * _CJK_WEIGHT}
    best = max(weighed, key=lambda language: weighed[language])
    if weighed[best] == 0 or weighed[best] < other:
        return server_language
    if best == "zh":
        return server_language if server_language in ("zh_Hant", "ja") else "zh_Hans"
    return best
