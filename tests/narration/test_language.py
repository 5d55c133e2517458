"""The language of what the bot says around a message, table-tested: script detection, the
stand-ins and announcements in each language, and the chat conventions of Japanese and Korean
reading bots."""

from __future__ import annotations

import pytest

from bot.i18n import LANGUAGES
from bot.spoken import conventions, phrases
from bot.spoken.cleaning import CleanOptions, clean
from bot.spoken.language import detect

DETECTION: list[tuple[str, str, str]] = [
    # (text, server language, detected)
    ("こんにちは", "en", "ja"),
    ("カタカナだけ", "en", "ja"),
    ("今日は雨", "en", "ja"),  # kanji with kana is Japanese
    ("今日はmeetingがある", "en", "ja"),  # a few Latin words inside Japanese
    ("それなｗｗｗ", "en", "ja"),
    ("草www", "en", "ja"),  # w-laughter after kanji is Japanese
    ("안녕하세요", "en", "ko"),
    ("ㅋㅋㅋ", "en", "ko"),
    ("韓國語 한국어 문장입니다", "en", "ko"),  # Han among Hangul is Korean
    ("你好，世界", "en", "zh_Hans"),
    ("你好，世界", "es", "zh_Hans"),
    ("你好，世界", "zh_Hant", "zh_Hant"),
    ("了解", "ja", "ja"),  # Han alone in a Japanese server is Japanese
    ("hello there", "en", "en"),
    ("hola, ¿qué tal?", "es", "es"),
    ("Привет, как дела?", "de", "de"),  # scripts fishbot doesn't speak: the server's language
    ("مرحبا", "fr", "fr"),
    ("hello there", "ja", "ja"),  # Latin letters can't tell: the server's language
    # What is not the member's writing doesn't count.
    ("これ https://example.com/a-very-long-english-looking-path-with-many-letters", "en", "ja"),
    ("<@123456789012345678> <#123456789012345678> はい", "en", "ja"),
    ("<:party_parrot:123456789012345678> 네", "en", "ko"),
    ("```python\nprint('lots of english code here')\n``` 見て", "en", "ja"),
    ("😀😀😀 👍", "es", "es"),  # no letters at all
    ("12345 !!!", "ko", "ko"),
    ("", "pt_BR", "pt_BR"),
    # Mixed text: the dominant letters decide.
    ("I said こんにちは to everyone at the meeting yesterday", "en", "en"),
    ("see you あした", "en", "ja"),
    ("안녕하세요 hello", "en", "ko"),
    ("안녕 everybody hello", "en", "en"),
]


@pytest.mark.parametrize(("text", "server", "expected"), DETECTION)
def test_detection(text: str, server: str, expected: str) -> None:
    assert detect(text, server) == expected


CONVENTIONS: list[tuple[str, str, str]] = [
    # (text, language, said)
    ("それなｗｗｗ", "ja", "それなわら"),
    ("草www", "ja", "草わら"),
    ("それなｗ", "ja", "それなわら"),
    ("まじかWWW！", "ja", "まじかわら！"),
    ("www", "ja", "わら"),
    ("草", "ja", "草"),  # a word: stays
    ("草生える", "ja", "草生える"),
    ("wow すごい", "ja", "wow すごい"),  # a Latin word keeps its w's
    ("Wボタン", "ja", "Wボタン"),  # a w that starts a word is a letter
    ("3w", "ja", "3w"),  # three weeks, not laughter
    ("それなｗｗｗ", "en", "それなｗｗｗ"),  # only in Japanese
    ("ㅋㅋㅋ 진짜", "ko", "크크 진짜"),
    ("좋아ㅎㅎ", "ko", "좋아흐흐"),
    ("ㅋ", "ko", "ㅋ"),  # a single consonant is not a laugh
    ("ㅋㅋㅋ", "ja", "ㅋㅋㅋ"),
]


@pytest.mark.parametrize(("text", "language", "said"), CONVENTIONS)
def test_conventions(text: str, language: str, said: str) -> None:
    assert conventions.apply(text, language) == said


def test_the_conventions_are_one_table_of_shipped_languages() -> None:
    assert {language for language, _, _ in conventions.RULES} <= set(LANGUAGES)


STAND_INS: list[tuple[str, str, list[str], str]] = [
    # (text, language, attachments, said)
    ("これ見て https://example.com/some/long/path?x=1 ｗｗｗ", "ja", [], "これ見て URL省略 わら"),
    ("```py\nprint(1)\n``` 動かない", "ja", [], "コードブロック省略 動かない"),
    ("犯人は||執事||", "ja", [], "犯人は ネタバレ"),
    ("見て", "ja", ["image", "image"], "見て、画像2枚を添付"),
    ("", "ja", ["sticker"], "スタンプ1個"),
    ("<@&1> 집합 ㅋㅋㅋ", "ko", ["file"], "역할 집합 크크, 파일 1개 첨부"),
    ("이거 https://example.com", "ko", [], "이거 링크 생략"),
    ("看这个 https://example.com", "zh_Hans", ["image"], "看这个 链接，附带1张图片"),
    ("看這個 `x = 1`", "zh_Hant", [], "看這個 程式碼區塊"),
    ("mira https://example.com", "es", ["image", "image", "file"],
     "mira un enlace, con 2 imágenes y 1 archivo"),
    ("olha <#5>", "pt_BR", [], "olha um canal"),
    ("regarde <t:1700000000:F>", "fr", ["video"], "regarde une heure, avec 1 vidéo"),
    ("schau ||geheim||", "de", ["voice message"], "schau ein Spoiler, dazu 1 Sprachnachricht"),
    # English is as it always was.
    ("look https://example.com", "en", ["image", "image", "file"], "look a link, with 2 images and a file"),
]


@pytest.mark.parametrize(("text", "language", "attachments", "said"), STAND_INS)
def test_stand_ins_are_in_the_messages_language(text: str, language: str, attachments: list[str],
                                               said: str) -> None:
    assert clean(text, attachments=attachments, language=language) == said


def test_emoji_names_are_in_the_messages_language() -> None:
    named = CleanOptions(unicode_emoji="name")
    assert clean("いいね👍", options=named, language="ja") == "いいね サムズアップ"
    assert clean("nice 👍", options=named, language="en") == "nice thumbs up"
    assert clean("bien 👍", options=named, language="es") == "bien pulgar hacia arriba"


ANNOUNCEMENTS: list[tuple[str, str, str, str]] = [
    # (template, name, language, said)
    (phrases.DEFAULT_NAME_TEMPLATE, "アリス", "ja", "アリスさん、"),
    (phrases.DEFAULT_NAME_TEMPLATE, "민수", "ko", "민수님,"),
    (phrases.DEFAULT_NAME_TEMPLATE, "Ana", "es", "Ana dijo:"),
    (phrases.DEFAULT_NAME_TEMPLATE, "Alice", "en", "Alice said:"),
    ("{name} writes", "アリス", "ja", "アリス writes"),  # a server's own template is kept
]


@pytest.mark.parametrize(("template", "name", "language", "said"), ANNOUNCEMENTS)
def test_the_default_announcement_is_each_languages_own(template: str, name: str, language: str,
                                                       said: str) -> None:
    assert phrases.said(template, name, language) == said


@pytest.mark.parametrize("language", [language for language in LANGUAGES if language != "en"])
def test_every_language_has_its_own_spoken_phrases(language: str) -> None:
    """No English filler is left in a translated language's speech."""
    def everything(language: str) -> list[str]:
        return [clean("x https://e.com `c` ||s|| <t:1:R>", attachments=["image", "file"], language=language),
                phrases.said(phrases.DEFAULT_NAME_TEMPLATE, "N", language), phrases.joined("N", language),
                phrases.left("N", language), phrases.forwarded("N", language),
                phrases.and_so_on("x", language)]

    translated = everything(language)
    for mine, english in zip(translated, everything("en"), strict=True):
        assert mine != english
    said = " ".join(translated)
    fillers = ("a link", "a code block", "an image", "a file", "said", " with ")
    assert not any(words in said for words in fillers)


def test_a_language_without_a_catalog_speaks_english() -> None:
    assert clean("look https://e.com", attachments=["image", "file"], language="x_unknown") == (
        "look a link, with an image and a file")
