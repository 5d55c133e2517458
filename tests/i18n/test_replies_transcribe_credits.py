"""/credits, /usage, /quota, the low-balance alert and /transcribe in a real second language
(German for its number formatting, Japanese), asserted against the catalogs' text."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import discord
import pytest

from bot.config import Settings
from tests.bot_fixtures import make_settings
from tests.discord_harness import FakeGuild, snowflake
from tests.rest_recorder import RestRecorder

OWNER = 4_000_000_000_000_000_001
MANAGE = discord.Permissions(manage_guild=True).value
PLAIN = discord.Permissions.general().value & ~MANAGE


@pytest.fixture
def bot_settings(fakefish: Any, tmp_path: Path) -> Settings:
    return make_settings(
        fakefish.base_url, tmp_path, owner_ids=[OWNER],
        quotas={"tts_chars_per_member": 1000, "tts_chars_per_guild": 5000, "clones_per_member": 2},
        credits={"low_balance_threshold": 5.0},
        fish={"timeout_s": 5.0, "max_retries": 0}, transcribe={"auto_transcribe": True},
    )


def member(guild: FakeGuild, name: str = "Alice") -> int:
    return guild.add_member(snowflake(), name)


def fields(embed: discord.Embed) -> dict[str, str]:
    return {f.name or "": f.value or "" for f in embed.fields}


async def test_credits_embed_in_german_formats_numbers(bot, harness, guild, fakefish) -> None:
    harness.locale = "de"
    guild.add_member(OWNER, "Owner")
    fakefish.credit = "1234.5"
    fakefish.package = fakefish.package | {"total": 2_000_000, "balance": 123_456, "type": "pro"}
    embed = (await harness.run("credits", user_id=OWNER, guild=guild, permissions=PLAIN))[-1].embeds[0]
    assert embed.title == "Fish-Audio-Guthaben"
    assert fields(embed) == {"API-Guthaben": "1.234,5", "Gratisguthaben": "Nicht verfügbar",
                             "Paket": "123.456 von 2.000.000 übrig (pro)"}
    assert embed.footer.text == "Warnung bei niedrigem Guthaben unter 5."


async def test_credits_refusal_in_japanese(bot, harness, guild, fakefish) -> None:
    harness.locale = "ja"
    sent = await harness.run("credits", user_id=member(guild), guild=guild, permissions=PLAIN)
    assert sent[-1].ephemeral
    assert sent[-1].content == "Fish Audioの残高を見られるのはボットのオーナーだけです。"


async def test_own_usage_embed_in_japanese(bot, harness, guild) -> None:
    harness.locale = "ja"
    alice = member(guild)
    reservation = await bot.usage.reserve(kind="tts_chars", amount=1300 // 4, user_id=alice,
                                          guild_id=guild.id)
    await reservation.finish("ok")
    embed = (await harness.run("usage", user_id=alice, guild=guild, permissions=PLAIN))[-1].embeds[0]
    assert embed.title == "このサーバーでの今日の利用状況"
    shown = fields(embed)
    assert shown["読み上げ"] == "325文字使用 · 残り675文字"
    assert shown["ボイスクローン"] == "ボイスクローン0件使用 · 残りボイスクローン2件"
    assert shown["文字起こし"] == "0 分使用 · 残り30 分"
    assert (embed.footer.text or "").startswith("上限は") and "時間" in (embed.footer.text or "")


async def test_quota_replies_and_error_in_german(bot, harness, guild) -> None:
    harness.locale = "de"
    mod = member(guild, "Mod")
    sent = await harness.run("quota set", user_id=mod, guild=guild, permissions=MANAGE,
                             limit="transcribe_minutes_per_member", value=2.5)
    assert sent[-1].content == "Transkriptionsminuten pro Mitglied: jetzt 2,5 Min. pro Tag."
    sent = await harness.run("quota set", user_id=mod, guild=guild, permissions=MANAGE,
                             limit="clones_per_member", value=5)
    assert sent[-1].content == ("Der Bot erlaubt hier höchstens 2 Stimmklone pro Tag; ein Server kann "
                                "das nur senken.")
    embed = (await harness.run("quota show", user_id=mod, guild=guild, permissions=MANAGE))[-1].embeds[0]
    assert embed.title == "Tageskontingente auf diesem Server"
    lines = (embed.description or "").splitlines()
    assert "**Sprachzeichen für den Server**: 5.000 Zeichen (Standard des Bots)" in lines
    assert "**Transkriptionsminuten pro Mitglied**: 2,5 Min. (hier festgelegt)" in lines


async def test_server_usage_counts_use_plurals_in_french(bot, harness, guild) -> None:
    harness.locale = "fr"
    bot.tts_cache.hits, bot.tts_cache.misses = 1, 1233
    embed = (await harness.run("usage", user_id=member(guild, "Mod"), guild=guild, permissions=MANAGE,
                               period="7d"))[-1].embeds[0]
    assert embed.title == "Utilisation du serveur : 7 derniers jours"
    assert fields(embed)["Cache de lecture"] == (
        "0 requête de cette période a été servie depuis le cache. Depuis le démarrage du bot : "
        "1 succès sur 1\u202f234 requêtes courtes (0\xa0%), 0 extrait conservé."
    )


async def test_alert_is_posted_in_the_servers_language(bot, harness, guild, fakefish, monkeypatch) -> None:
    admin = member(guild, "Admin")
    await harness.run("settings language", user_id=admin, guild=guild, permissions=MANAGE, language="de")
    channel_id = guild.add_channel("ops")
    guild.sync()
    monkeypatch.setattr(bot.settings.credits, "alert_channel_id", channel_id)
    rest = RestRecorder(bot, monkeypatch)
    fakefish.credit = "4.2"
    assert await bot.get_cog("Credits").check_balance() == "alerted"
    [(_, payload)] = rest.messages
    assert payload["content"].startswith(
        "⚠️ Das Fish-Audio-API-Guthaben des Bots ist niedrig: 4,2 übrig (Warnschwelle 5). "
    )
