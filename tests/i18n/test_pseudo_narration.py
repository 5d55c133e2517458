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
from bot.i18n.formatting import duration
from bot.spoken.pronunciation import MAX_ENTRIES
from bot.spoken.settings import DICTIONARY_NAMESPACE, NAMESPACE, PronunciationSettings, ServerSpeech
from bot.storage.voice_prefs import NAMESPACE as VOICE_NAMESPACE
from bot.storage.voice_prefs import VoicePrefs
from bot.wording.notices import GONE, INSTEAD
from cogs.speak_message import MENU_NAME
from tests.discord_harness import FakeGuild, Harness, Sent, message_payload, snowflake, wait_for
from tests.helpers.narration import ANN, BOB, CAT, HELPER_BOT, Room, settings_for
from tests.helpers.pseudo_locale import shown
from tests.i18n import pseudo

MANAGE = discord.Permissions(manage_guild=True, manage_nicknames=True).value
PLAIN = discord.Permissions(send_messages=True).value
SPAN = "<|phoneme_start|>JH IY1 P IY1 Y UW1<|phoneme_end|>"


@pytest.fixture
def bot_settings(fakefish: Any, tmp_path: Path) -> Settings:
    fakefish.ms_per_char = 5.0  # short clips keep the tests quick
    fakefish.min_seconds = 0.2
    return settings_for(fakefish.base_url, tmp_path)  # narration switched on


def resolved(guild: FakeGuild, *, member: int | None = None, role: int | None = None,
             channel: int | None = None) -> dict[str, Any]:
    """The `resolved` part of an interaction naming these (as Discord sends it)."""
    data: dict[str, Any] = {}
    if member is not None:
        found = next(m for m in guild.members if m["user"]["id"] == str(member))
        data.update(users={str(member): found["user"]}, members={str(member): found})
    if role is not None:
        data["roles"] = {str(role): next(r for r in guild.roles if r["id"] == str(role))}
    if channel is not None:
        found = next(c for c in guild.channels if c["id"] == str(channel))
        data["channels"] = {str(channel): {**found, "permissions": "0"}}
    return data


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
    await bot.store.update_user(member, VOICE_NAMESPACE, {"speed": 1.5}, model=VoicePrefs)
    sent += await forget_me(harness, guild, member, "cancel")
    sent += await forget_me(harness, guild, member, "confirm")
    sent += await harness.run("forget-me", user_id=member, guild=guild)  # nothing left
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


async def test_dictionary_counts_use_the_languages_plural_forms(bot, harness, guild) -> None:
    member = guild.add_member(snowflake(), "Member")
    entries = {"gpu": ("GPU", "gee pee you", "")}
    await bot.store.update_guild(guild.id, DICTIONARY_NAMESPACE, {"entries": entries},
                                 model=PronunciationSettings)
    harness.locale = "fr"
    listed = await harness.run("dictionary list", user_id=member, guild=guild)
    assert listed[-1].embeds[0].footer.text == "Page 1 sur 1 · 1 mot"  # French: 0 and 1 are singular
    entries["cpu"] = ("CPU", "see pee you", "")
    await bot.store.update_guild(guild.id, DICTIONARY_NAMESPACE, {"entries": entries},
                                 model=PronunciationSettings)
    harness.locale = "de"
    listed = await harness.run("dictionary list", user_id=member, guild=guild)
    assert listed[-1].embeds[0].footer.text == "Seite 1 von 1 · 2 Wörter"
    refused = await harness.run("dictionary list", user_id=member, guild=guild, page=3)
    assert refused[-1].content == "Es gibt nur 1 Seite." and refused[-1].ephemeral


async def test_about_in_korean_formats_its_number(bot, harness, guild, bot_settings: Settings) -> None:
    harness.locale = "ko"
    user_id = guild.add_member(snowflake(), "Min")
    embed = (await harness.run("about", user_id=user_id, guild=guild))[-1].embeds[0]
    fields = {field.name: field.value for field in embed.fields}
    limit = bot_settings.speak.max_text_length
    assert fields["최대 글자 수"] == f"{limit:,}자"
    assert fields["Fish 모델"] == f"`{bot_settings.fish.model}`"


def test_the_catalog_helper_reads_the_files() -> None:
    assert catalog_text("de", "Pronunciation dictionary") == "Aussprachewörterbuch"
    with pytest.raises(AssertionError):
        catalog_text("de", "A sentence no catalog has.")


# --- /narrate, /settings, /voice, /nick, "Speak this message" ----------------------------------


async def test_narration_settings_and_member_commands_are_all_translated(bot, harness, guild, fakefish,
                                                                         pseudo_locale, monkeypatch) -> None:
    Room(bot, harness, guild)  # Ann and Bob in voice, Cat outside it
    sent: list[Sent] = []

    async def admin(command: str, **options: Any) -> list[Sent]:
        return await harness.run(command, user_id=ANN, guild=guild, permissions=MANAGE, **options)

    async def member(command: str, user_id: int = BOB, **options: Any) -> list[Sent]:
        return await harness.run(command, user_id=user_id, guild=guild, **options)

    other = guild.add_channel("other")
    role = guild.add_role("quiet", 0)
    sent += await admin("narrate start")  # not in voice yet: "bring me in with /join"
    await harness.run("join", user_id=ANN, guild=guild)
    sent += await admin("narrate start")  # already in voice
    await bot.store.update_guild(guild.id, NAMESPACE, {"auto_join": True}, model=ServerSpeech)
    await bot.voice_sessions.get(guild.id).close()
    in_other = {"channel": str(other), "resolved": resolved(guild, channel=other)}
    sent += await admin("narrate start", **in_other)  # auto-join
    sent += await admin("narrate stop", **in_other)
    sent += await admin("narrate stop", **in_other)  # not reading it
    sent += await member("narrate start", permissions=PLAIN)  # needs Manage Server
    sent += await admin("settings narration", repeat_cap=1)
    for template in ("Hello", "{name} <@123>", "{name} " + "x" * 60, "{name} {0}"):
        sent += await admin("settings narration", name_template=template)
    sent += await admin("settings narration", read_everyone=False, custom_emoji="name", repeat_cap=4,
                        read_silent=True, read_audience=True, required_prefix="!", ignore_prefix=";",
                        max_seconds=95.0, required_role=str(role), resolved=resolved(guild, role=role))
    voice = fakefish.add_voice("House Voice")
    sent += await admin("settings voice", voice=voice["_id"], speed=1.25, volume=-3.5,
                        normalize_loudness=False)
    sent += await admin("settings ignore add")  # neither member nor role
    cat_and_role = {"member": str(CAT), "role": str(role), "resolved": resolved(guild, member=CAT, role=role)}
    sent += await admin("settings ignore add", **cat_and_role)
    only_cat = {"member": str(CAT), "resolved": resolved(guild, member=CAT)}
    sent += await admin("settings ignore add", **only_cat)  # already ignored
    sent += await admin("settings ignore remove", member=str(BOB), resolved=resolved(guild, member=BOB))
    sent += await admin("settings ignore list")
    sent += await admin("settings ignore remove", **cat_and_role)
    sent += await admin("settings ignore list")  # none
    sent += await admin("settings show")

    sent += await member("voice speed", speed=1.5)
    sent += await member("voice show")  # the server's default voice
    sent += await member("voice style")
    sent += await member("voice reset")
    sent += await member("voice mute-me")
    sent += await member("voice unmute-me")
    sent += await member("voice mute-me", user_id=CAT)
    sent += await member("nick set", name="<@123>")
    sent += await member("nick set", name="🙂")  # nothing that can be spoken
    sent += await member("nick set", name="Bobby")
    sent += await admin("nick set", name="Kitty", member=str(CAT), resolved=resolved(guild, member=CAT))
    sent += await admin("nick reset", member=str(CAT), resolved=resolved(guild, member=CAT))
    mine = fakefish.add_voice("Old Friend")
    await bot.store.update_user(BOB, VOICE_NAMESPACE, {"voice_id": mine["_id"], "voice_name": "Old Friend"},
                                model=VoicePrefs)
    sent += await member("voice show")  # your choice
    del fakefish.voices[mine["_id"]]
    del fakefish.voices[voice["_id"]]
    sent += await member("voice show")  # gone: the notice, then the server's default

    for author, content in ((HELPER_BOT, "beep"), (CAT, "muted"), (BOB, ";the ignore prefix")):
        message = message_payload(guild, author_id=author, content=content)
        sent += await harness.context_menu(MENU_NAME, message=message, user_id=BOB, guild=guild)

    monkeypatch.setattr(bot.settings.narration, "enabled", False)
    sent += await admin("narrate start")
    sent += await admin("settings show")  # the footer says narration is off

    texts = shown(sent)
    assert len(texts) >= 100
    # The server's words (its name template), voice titles and ids are data; durations are Babel's
    # (the pseudo-locale has English conventions: "1 min 35 s").
    data = ["{name} said:", "House Voice", "Old Friend", voice["_id"], mine["_id"], "Bobby", "Kitty",
            "{name}", duration(95.0), duration(30.0)]
    assert pseudo.unmarked(texts, values=data) == []
    assert pseudo.pseudo("Narration settings") in texts  # the embed, in the pseudo-locale


async def test_a_narration_notice_is_posted_in_the_servers_language(bot, harness, guild, fakefish,
                                                                     monkeypatch) -> None:
    """Written in the channel for everyone there, so in the server's language (/settings language),
    whatever the language of the member who started narration; worded in the voice session's task."""
    from tests.rest_recorder import RestRecorder

    rest = RestRecorder(bot, monkeypatch)
    room = Room(bot, harness, guild)
    harness.locale = "de"  # the admin's own client language: their replies, not the channel's
    await harness.run("settings language", user_id=ANN, guild=guild, permissions=MANAGE, language="ja")
    await harness.run("join", user_id=ANN, guild=guild)
    started = await harness.run("narrate start", user_id=ANN, guild=guild, permissions=MANAGE)
    assert started[-1].content == f"Ich lese <#{room.text}> vor. Ich bin schon in einem Sprachkanal."
    fakefish.fail("tts", status=402)
    message = room.say(BOB, "hello")
    await wait_for(lambda: len(rest.messages) == 1)
    [(channel_id, reply)] = rest.messages
    assert channel_id == room.text and str(reply["message_reference"]["message_id"]) == message["id"]
    reason = catalog_text("ja", "The bot's Fish Audio API credit has run out. Please tell the bot owner.")
    told = catalog_text("ja", "I couldn't read this aloud: {reason}")
    assert reply["content"] == told.format(reason=reason)
    assert reply["content"].startswith("これは読み上げられませんでした：")

    # A saved voice gone from Fish: the notice under the message, in Japanese too.
    mine = fakefish.add_voice("Old Friend")
    await bot.store.update_user(ANN, VOICE_NAMESPACE, {"voice_id": mine["_id"], "voice_name": "Old Friend"},
                                model=VoicePrefs)
    del fakefish.voices[mine["_id"]]
    room.say(ANN, "first message")
    await wait_for(lambda: len(rest.messages) == 2)
    gone = catalog_text("ja", GONE["member"]).format(voice="“Old Friend”")
    assert rest.messages[1][1]["content"] == gone + " " + catalog_text("ja", INSTEAD["fish"])


async def test_narration_replies_errors_and_embeds_in_korean(bot, harness, guild, fakefish) -> None:
    Room(bot, harness, guild)
    harness.locale = "ko"
    run = {"user_id": ANN, "guild": guild, "permissions": MANAGE}
    other = guild.add_channel("other")
    in_other = {"channel": str(other), "resolved": resolved(guild, channel=other)}
    refused = await harness.run("narrate stop", **in_other, **run)
    assert refused[-1].ephemeral
    not_reading = catalog_text("ko", "I'm not reading {channel}.")
    assert refused[-1].content == not_reading.format(channel=f"<#{other}>")
    assert refused[-1].content == f"<#{other}> 채널은 읽고 있지 않아요."
    started = await harness.run("narrate start", **in_other, **run)
    assert started[-1].content == catalog_text(
        "ko", "Reading {channel} aloud. Bring me into voice with `/join`.").format(channel=f"<#{other}>")
    embed = (await harness.run("settings narration", max_length=1500, **run))[-1].embeds[0]
    assert embed.title == "채팅 읽기 설정"
    fields = {field.name: field.value for field in embed.fields}
    assert fields[catalog_text("ko", "Channels")] == f"<#{other}>"
    assert fields["최대 길이"] == "1,500자"
    assert fields["같은 음성 채널만"] == "켬" and fields["봇과 웹후크 읽기"] == "끔"
    nick = await harness.run("nick set", name="민지", **run)
    assert nick[-1].content == "여기서는 내 이름을 “민지”(으)로 읽어요."
    harness.locale = "ja"
    embed = (await harness.run("settings show", **run))[-1].embeds[0]
    fields = {field.name: field.value for field in embed.fields}
    assert embed.title == "読み上げ設定" and fields["最大の長さ"] == "1,500文字"
    assert fields["最大時間"] == "30 秒"  # the operator's 30 s, in Japanese units (Babel)
