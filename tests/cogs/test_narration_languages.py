"""What the bot says aloud is in the language of the message it reads: Japanese and Korean messages
through discord.py's gateway parsers, read by the Fish stand-in with their stand-ins and name
announcement in that language; Latin-script messages follow the server's language."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from cogs.speak_message import MENU_NAME
from tests.discord_harness import message_payload, snowflake, wait_for
from tests.helpers.narration import (
    ANN,
    BOB,
    MANAGE,
    Room,
    configure,
    settings_for,
    settle,
    spoken,
    voice_update,
)

# Words of English fishbot would have put in the middle of other languages' speech.
ENGLISH_FILLERS = re.compile(
    r"\b(said|a link|a code block|a spoiler|an image|images?|with|sticker|joined|left)\b")


@pytest.fixture
def bot_settings(fakefish: Any, tmp_path: Path) -> Settings:
    fakefish.ms_per_char = 5.0  # short clips keep the tests quick
    fakefish.min_seconds = 0.2
    return settings_for(fakefish.base_url, tmp_path)


def image(name: str = "cat.png") -> dict[str, Any]:
    return {"id": str(snowflake()), "filename": name, "size": 10, "url": f"https://cdn/{name}",
            "proxy_url": f"https://cdn/{name}", "content_type": "image/png"}


async def set_server_language(room: Room, language: str) -> None:
    sent = await room.harness.run("settings language", user_id=ANN, guild=room.guild, permissions=MANAGE,
                                  language=language)
    assert sent[-1].ephemeral


async def test_a_japanese_and_a_korean_message_are_read_in_their_language(bot, room, fakefish) -> None:
    await room.join_and_bind()  # an English server
    room.say(ANN, "これ見て https://example.com/2026/11/some-very-long-article-title?ref=share "
                  "```py\nprint('hello')\n``` 草www", attachments=[image()])
    await wait_for(lambda: len(spoken(fakefish)) == 1)
    room.say(BOB, "ㅋㅋㅋ 이거 봐 https://example.com ||범인은 집사||")
    await wait_for(lambda: len(spoken(fakefish)) == 2)
    room.say(ANN, "ok, see you at https://example.com")
    await wait_for(lambda: len(spoken(fakefish)) == 3)
    await settle(bot)
    assert spoken(fakefish) == [
        "annさん、これ見て URL省略 コードブロック省略 草わら、画像1枚を添付",
        "bob님, 크크 이거 봐 링크 생략 스포일러",
        "ann said: ok, see you at a link",  # English, as it always was
    ]
    assert not any(ENGLISH_FILLERS.search(text) for text in spoken(fakefish)[:2])


async def test_the_server_language_speaks_for_latin_script(bot, room, guild, fakefish) -> None:
    await room.join_and_bind()
    await set_server_language(room, "es")
    await configure(room, announce_joins=True)
    room.say(ANN, "mira esto https://example.com", attachments=[image("a.png"), image("b.png")])
    await wait_for(lambda: len(spoken(fakefish)) == 1)
    room.say(BOB, "それなｗｗｗ")  # a Japanese message in a Spanish server is still Japanese
    await wait_for(lambda: len(spoken(fakefish)) == 2)
    voice_update(room, BOB, None)  # no message to go by: the server's language
    await wait_for(lambda: len(spoken(fakefish)) == 3)
    await settle(bot)
    assert spoken(fakefish) == ["ann dijo: mira esto un enlace, con 2 imágenes", "bobさん、それなわら",
                                "bob salió"]


async def test_a_servers_own_name_template_is_kept(bot, room, fakefish) -> None:
    await room.join_and_bind()
    await configure(room, name_template="{name} writes")
    room.say(ANN, "見て https://example.com")
    await wait_for(lambda: len(spoken(fakefish)) == 1)
    assert spoken(fakefish) == ["ann writes 見て URL省略"]


async def test_speak_this_message_follows_the_message_not_the_invoker(bot, room, guild, fakefish) -> None:
    room.harness.locale = "de"  # the invoker's client: the reply is German, the speech Japanese
    message = message_payload(guild, author_id=BOB, content="リンク貼っとく https://example.com ｗｗ")
    sent = await room.harness.context_menu(MENU_NAME, message=message, user_id=ANN, guild=guild)
    assert sent[-1].ephemeral
    await wait_for(lambda: len(spoken(fakefish)) == 1)
    assert spoken(fakefish) == ["bobさん、リンク貼っとく URL省略 わら"]


async def test_speak_reads_links_in_the_texts_language(bot, room, guild, fakefish) -> None:
    await room.harness.run("speak", user_id=ANN, guild=guild, text="이거 봐 https://example.com ㅎㅎ")
    await wait_for(lambda: len(spoken(fakefish)) == 1)
    assert spoken(fakefish) == ["이거 봐 링크 생략 흐흐"]


async def test_a_long_japanese_message_is_cut_with_a_japanese_ending(bot, room, fakefish) -> None:
    await room.join_and_bind()
    await configure(room, max_length=12, announce_names=False)
    room.say(ANN, "今日はとても長いメッセージを書いています")
    room.say(BOB, "this is a long english message")
    await wait_for(lambda: len(spoken(fakefish)) == 2)
    assert spoken(fakefish) == ["今日はとても長いメッセー、以下省略", "this is a, and so on"]
