"""Replies through the real command tree in the member's language: a reply, an error, an embed,
a clip's failure told later from the voice session, and the fallbacks (server language, English)."""

from __future__ import annotations

import discord
import pytest

from bot.i18n.resolve import guild_language
from tests.discord_harness import wait_for
from tests.helpers.speak import in_voice, speak

MANAGE_GUILD = discord.Permissions(manage_guild=True).value

# Per language: the /speak reply, an error, and the /queue embed's title and "Now" line.
EXPECTED = {
    "ja": {"speaking": "で話しています。", "empty": "話す内容を入力してください。",
           "title": "読み上げキュー", "now": "**再生中：** Alice：",
           "not_in_voice": "このサーバーではボイスチャンネルにいません。"},
    "de": {"speaking": "Ich spreche jetzt in", "empty": "Sag mir, was ich sagen soll.",
           "title": "Sprachwarteschlange", "now": "**Jetzt:** Alice: ",
           "not_in_voice": "Ich bin hier in keinem Sprachkanal."},
}


@pytest.mark.parametrize("locale, language", [("ja", "ja"), ("de", "de")])
async def test_reply_error_and_embed_in_the_members_language(bot, harness, guild, fakefish,
                                                             locale: str, language: str) -> None:
    expected = EXPECTED[language]
    harness.locale = locale
    user_id, _ = in_voice(guild)

    refused = await harness.run("skip", user_id=user_id, guild=guild)
    assert refused[-1].content == expected["not_in_voice"] and refused[-1].ephemeral

    empty = await speak(harness, guild, user_id, "   ")
    assert empty[-1].content == expected["empty"]

    fakefish.rtf = 1.0  # still speaking when /queue looks
    queued = await speak(harness, guild, user_id, "a message long enough to still be playing " * 3)
    assert expected["speaking"] in queued[-1].content
    session = bot.voice_sessions.get(guild.id)
    await wait_for(lambda: session.current is not None)
    embed = (await harness.run("queue", user_id=user_id, guild=guild))[-1].embeds[0]
    assert embed.title == expected["title"]
    assert (embed.description or "").startswith(expected["now"])
    await session.close()


async def test_plural_counts_follow_the_language(bot, harness, guild, fakefish) -> None:
    fakefish.rtf = 1.0
    user_id, _ = in_voice(guild)
    for text in ["one " * 30, "two", "three"]:
        await speak(harness, guild, user_id, text)
    harness.locale = "fr"
    sent = await harness.run("stop", user_id=user_id, guild=guild)
    assert sent[-1].content == "Arrêté ; 3 messages abandonnés."
    harness.locale = "ja"
    await speak(harness, guild, user_id, "four")
    sent = await harness.run("stop", user_id=user_id, guild=guild)
    assert sent[-1].content == "停止しました。1件のメッセージを破棄しました。"


async def test_a_failed_clip_is_explained_later_in_the_requesters_language(bot, harness, guild,
                                                                          fakefish) -> None:
    """The failure is told from the voice session's own task, long after the command returned."""
    fakefish.fail("tts", status=500, times=2)
    harness.locale = "ko"
    user_id, _ = in_voice(guild)
    await speak(harness, guild, user_id, "this one fails")
    session = bot.voice_sessions.get(guild.id)
    await wait_for(lambda: session.clips_played == 1, timeout=15)
    notices = [s.content for s in harness.sent if s.kind == "followup" and s.ephemeral]
    assert "Fish Audio 쪽에서 오류가 났어요(HTTP 500). 나중에 다시 시도하세요." in notices


async def test_unsupported_client_language_falls_back_to_the_server_then_english(bot, harness,
                                                                                guild) -> None:
    user_id = guild.add_member(12345, "Ivan")
    harness.locale = "ru"  # fishbot has no Russian catalog
    sent = await harness.run("skip", user_id=user_id, guild=guild)
    assert sent[-1].content == "I'm not in a voice channel here."
    guild.locale = "pt-BR"  # the server's Discord community locale
    sent = await harness.run("skip", user_id=user_id, guild=guild)
    assert sent[-1].content == "Não estou em nenhum canal de voz aqui."


async def test_settings_language_sets_the_servers_language(bot, harness, guild) -> None:
    admin = guild.add_member(777, "Admin")
    harness.locale = "ru"
    shown = await harness.run("settings language", user_id=admin, guild=guild, permissions=MANAGE_GUILD)
    assert "English" in shown[-1].content  # the server's locale (en-US) before any choice

    sent = await harness.run("settings language", user_id=admin, guild=guild, permissions=MANAGE_GUILD,
                             language="ja")
    assert sent[-1].ephemeral and "日本語" in sent[-1].content
    # A member whose client language fishbot doesn't speak now gets the server's language.
    refused = await harness.run("skip", user_id=admin, guild=guild)
    assert refused[-1].content == "このサーバーではボイスチャンネルにいません。"
    # ...but a member's own supported language still wins for replies to them.
    harness.locale = "es-419"
    refused = await harness.run("skip", user_id=admin, guild=guild)
    assert refused[-1].content == "No estoy en ningún canal de voz aquí."

    harness.locale = "ru"
    await harness.run("settings language", user_id=admin, guild=guild, permissions=MANAGE_GUILD,
                      language="auto")
    refused = await harness.run("skip", user_id=admin, guild=guild)
    assert refused[-1].content == "I'm not in a voice channel here."


async def test_settings_language_needs_manage_server(bot, harness, guild) -> None:
    member = guild.add_member(778, "Member")
    harness.locale = "de"
    sent = await harness.run("settings language", user_id=member, guild=guild, language="fr",
                             permissions=discord.Permissions(send_messages=True).value)
    assert sent[-1].content == "Dafür brauchst du die Berechtigung Server verwalten."
    assert await guild_language(bot.store, bot.get_guild(guild.id)) == "en"


