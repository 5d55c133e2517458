"""How reading bots read chat slang in each language, in one table: a voice would otherwise spell
out "ｗｗｗ" letter by letter or stumble over a row of Korean consonants.

Japanese "yomiage" bots read a trailing run of w/ｗ (laughter, from 笑う) as "わら"; "草" (also
laughter) is a word and stays. Korean ㅋㅋ / ㅎㅎ are laughs written as bare consonants. The
other Japanese conventions are the catalog's translations of the stand-ins: a link is "URL省略"
and a code block "コードブロック省略" (bot/locales/ja).
"""

from __future__ import annotations

import re

# (language, pattern, what is said instead); applied in order to text in that language.
RULES: tuple[tuple[str, re.Pattern[str], str], ...] = (
    # a run of w/ｗ that ends a word, not after a Latin letter or digit ("wow", "3w" stay)
    ("ja", re.compile(r"(?<![A-Za-z0-9Ａ-Ｚａ-ｚ０-９])[wWｗＷ]+(?![^\W_])"), "わら"),
    ("ko", re.compile(r"ㅋ{2,}"), "크크"),
    ("ko", re.compile(r"ㅎ{2,}"), "흐흐"),
)


def apply(text: str, language: str) -> str:
    for rule_language, pattern, said in RULES:
        if rule_language == language:
            text = pattern.sub(said, text)
    return text
