"""Narration's side of the bot in other languages, through the real command tree: /dictionary,
/about, /forget-me, /settings, /narrate, /voice, /nick and "Speak this message" in the
pseudo-locale (any English that reaches the member was never marked for translation), the same
replies in Japanese and Korean against their catalogs, and a narration notice posted in a text
channel in the server's language."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import discord
import pytest
from babel.messages.pofile import read_po

from bot.config import Settings
from bot.i18n.catalogs import po_path
from bot.narration.pronunciation import MAX_ENTRIES
from bot.narration.settings import DICTIONARY_NAMESPACE, PronunciationSettings
from tests.discord_harness import FakeGuild, Harness, Sent, snowflake, wait_for
from tests.i18n import pseudo, test_pseudo_locale
from tests.i18n.test_pseudo_locale import shown

MANAGE = discord.Permissions(manage_guild=True, manage_nicknames=True).value
PLAIN = discord.Permissions(send_messages=True).value
SPAN = "<|phoneme_start|>JH IY1 P IY1 Y UW1<|phoneme_end|>"
pseudo_locale = test_pseudo_locale.pseudo_locale  # the fixture, shared


def catalog_text(language: str, message: str | tuple[str, str], form: int = 0) -> str:
    """The translation the catalog holds: the tests compare against the .po files themselves."""
    with po_path(language, "messages").open("rb") as source:
        entry = read_po(source, locale=language).get(message if isinstance(message, str) else message[0])
    assert entry is not None and entry.string, f"{message!r} is not translated into {language}"
    return entry.string if isinstance(entry.string, str) else entry.string[form]


async def forget_me(harness: Harness, guild: FakeGuild, user_id: int, button: str) -> list[Sent]:
    """/forget-me, answered with one of its buttons; everything it sent."""
    before = len(harness.sent)
    command = asyncio.create_task(harness.run("forget-me", user_id=user_id, guild=guild))
    await wait_for(lambda: len(harness.sent) > before)
    prompt = harness.sent[before]
    await harness.click(prompt, button, user_id=user_id, guild=guild)
    await command
    return harness.sent[before:]


# --- /dictionary, /about, /forget-me, /settings language ------------------------------------


async def test_dictionary_about_and_forget_me_are_all_translated(bot, harness, guild,
                                                                 pseudo_locale) -> None:
    admin = guild.add_member(snowflake(), "Admin")
    member = guild.add_member(snowflake(), "Member")
    sent: list[Sent] = []

    def dictionary(command: str, user_id: int = admin, **options: Any) -> Any:
        return harness.run(f"dictionary {command}", user_id=user_id, guild=guild,
                           permissions=MANAGE if user_id == admin else PLAIN, **options)

    sent += await dictionary("list", member)  # empty
    sent += await dictionary("add", word="Nguyen", replacement="win")
    sent += await dictionary("add", word="nguyen", replacement="wen")  # changed
    sent += await dictionary("add", word="GPU", replacement=SPAN, fallback="gee pee you")
    for word, replacement, fallback in (
        ("", "x", None), ("hi", "<@123>", None), ("hi", "[laugh]", None), ("x" * 51, "y", None),
        ("...", "dots", None), ("hi", "hey", "fallback"),
        ("hi", "<|phoneme_start|>HH [x]<|phoneme_end|>", None),
        ("hi", "<|phoneme_start|> <|phoneme_end|>", None), ("hi", SPAN, "<@1>"),
    ):
        options = {"fallback": fallback} if fallback else {}
        refused = await dictionary("add", word=word, replacement=replacement, **options)
        assert not refused[-1].content.startswith("⟦Áddéd")  # refused, not added
        sent += refused
    sent += await dictionary("list", member)
    sent += await dictionary("list", member, page=2)  # only one page
    sent += await dictionary("remove", word="NGUYEN")
    sent += await dictionary("remove", word="nguyen")  # not there any more
    sent += await dictionary("add", user_id=member, word="x", replacement="y")  # needs Manage Server
    entries = {f"w{i}": (f"w{i}", "s", "") for i in range(MAX_ENTRIES)}
    await bot.store.update_guild(guild.id, DICTIONARY_NAMESPACE, {"entries": entries},
                                 model=PronunciationSettings)
    sent += await dictionary("add", word="one-more", replacement="x")  # full

    sent += await harness.run("about", user_id=member, guild=guild)
    sent += await forget_me(harness, guild, member, "cancel")
    sent += await forget_me(harness, guild, member, "confirm")
    sent += await harness.run("settings language", user_id=admin, guild=guild, permissions=MANAGE)

    texts = shown(sent)
    assert len(texts) >= 25
    # What members typed (the words and respellings), fishbot's name, and a language's own name
    # are data, not the bot's words.
    typed = ["Nguyen", "nguyen", "GPU", "gee pee you", "win", "wen", "fishbot", "English"]
    assert pseudo.unmarked(texts, values=typed) == []


async def test_dictionary_in_japanese_and_korean(bot, harness, guild) -> None:
    admin = guild.add_member(snowflake(), "Admin")
    for locale in ("ja", "ko"):
        harness.locale = locale
        run = {"user_id": admin, "guild": guild, "permissions": MANAGE}
        added = await harness.run("dictionary add", word="GPU", replacement=SPAN, fallback="gee pee you",
                                  **run)
        entry = catalog_text(locale, "{word} → {phonemes} (else “{say}”)").format(
            word="GPU", phonemes=f"`{SPAN}`", say="gee pee you")
        assert added[-1].content == catalog_text(locale, "Added: {entry}").format(entry=entry)
        refused = await harness.run("dictionary add", word="hi", replacement="<@123>", **run)
        assert refused[-1].content == catalog_text(locale, "The replacement can't contain mentions.")
        assert refused[-1].ephemeral
        listed = (await harness.run("dictionary list", **run))[-1].embeds[0]
        assert listed.title == catalog_text(locale, "Pronunciation dictionary")
        assert listed.description == entry
        footer = ("Page {page} of {pages} · {count} word", "Page {page} of {pages} · {count} words")
        assert listed.footer.text == catalog_text(locale, footer).format(page="1", pages="1", count="1")
        await harness.run("dictionary remove", word="gpu", **run)
    # Spot checks that the catalogs hold real Japanese and Korean, not English copied across.
    assert listed.title == "발음 사전"
    harness.locale = "ja"
    empty = await harness.run("dictionary list", **run)
    assert empty[-1].content.startswith("このサーバーの辞書は空です。")


async def test_about_in_korean_formats_its_number(bot, harness, guild, bot_settings: Settings) -> None:
    harness.locale = "ko"
    user_id = guild.add_member(snowflake(), "Min")
    embed = (await harness.run("about", user_id=user_id, guild=guild))[-1].embeds[0]
    fields = {field.name: field.value for field in embed.fields}
    limit = bot_settings.speak.max_text_length
    assert fields["최대 글자 수"] == f"{limit:,}자"
    assert fields["Fish 모델"] == f"`{bot_settings.fish.model}`"


def test_the_catalog_helper_reads_the_files(tmp_path: Path) -> None:
    assert catalog_text("de", "Pronunciation dictionary") == "Aussprachewörterbuch"
    with pytest.raises(AssertionError):
        catalog_text("de", "A sentence no catalog has.")
