"""/credits, /usage, /quota, the low-balance alert and /transcribe in a real second language
(German for its number formatting, Japanese), asserted against the catalogs' text."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import discord
import pytest

from bot.config import Settings
from bot.i18n import using_language
from bot.i18n.formatting import duration
from bot.media import probe
from tests.attachments import FakeCDN
from tests.bot_fixtures import make_settings
from tests.discord_harness import FakeGuild, Harness, Sent, events_handled, snowflake
from tests.discord_internals import gateway_event
from tests.helpers.credits import low_balance_alert
from tests.helpers.transcribe import voice_message
from tests.media_samples import MediaSamples
from tests.rest_recorder import RestRecorder

OWNER = 4_000_000_000_000_000_001
ANN = 4242
MANAGE = discord.Permissions(manage_guild=True).value
PLAIN = discord.Permissions.general().value & ~MANAGE


@pytest.fixture
def bot_settings(fakefish: Any, tmp_path: Path) -> Settings:
    return make_settings(
        fakefish.base_url, tmp_path, owner_ids=[OWNER],
        quotas={"tts_bytes_per_member": 1000, "tts_bytes_per_guild": 5000, "clones_per_member": 2},
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
                             "Paket": "123.456 von 2.000.000 übrig (pro)",
                             "Verbrauch der letzten 7 Tage (Schätzung)":
                                 "Gesamt ≈ 0,00\xa0$, etwa 0,00\xa0$ pro Tag",
                             "Wie lange es reicht":
                                 "In den letzten 7 Tagen wurde nichts Kostenpflichtiges verbraucht."}
    assert embed.footer.text == "Warnung bei niedrigem Guthaben unter 5."


async def test_credits_refusal_in_japanese(bot, harness, guild, fakefish) -> None:
    harness.locale = "ja"
    sent = await harness.run("credits", user_id=member(guild), guild=guild, permissions=PLAIN)
    assert sent[-1].ephemeral
    assert sent[-1].content == "Fish Audioの残高を見られるのはボットのオーナーだけです。"


@pytest.mark.parametrize(("now", "wait"), [
    (datetime(2026, 12, 6, 18, 0, tzinfo=UTC), "6 時間"),
    (datetime(2026, 12, 6, 23, 30, tzinfo=UTC), "30 分"),  # late in the day: minutes, not hours
])
async def test_own_usage_embed_in_japanese(bot, harness, guild, set_now, now: datetime, wait: str) -> None:
    set_now(now)
    harness.locale = "ja"
    alice = member(guild)
    reservation = await bot.usage.reserve(kind="tts_bytes", amount=1300 // 4, user_id=alice,
                                          guild_id=guild.id, model="s2-pro")
    await reservation.finish("ok")
    embed = (await harness.run("usage", user_id=alice, guild=guild, permissions=PLAIN))[-1].embeds[0]
    assert embed.title == "このサーバーでの今日の利用状況"
    shown = fields(embed)
    assert shown["読み上げ"] == "325バイト使用 · 残り675バイト"
    assert shown["モデル別の読み上げ（推定費用）"] == "S2 Pro：325バイト ≈ $0.0049"
    assert shown["ボイスクローン"] == "ボイスクローン0件使用 · 残りボイスクローン2件"
    assert shown["文字起こし"] == "0 分使用 · 残り30 分"
    assert (embed.footer.text or "").startswith(f"上限は{wait}後にリセットされます（UTCの0時）。")


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
    assert "**Sprach-Bytes für den Server**: 5.000 Bytes (Standard des Bots)" in lines
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
    payload = await low_balance_alert(bot, guild, fakefish, monkeypatch)
    assert payload["content"].startswith(
        "⚠️ Das Fish-Audio-API-Guthaben des Bots ist niedrig: 4,2 übrig (Warnschwelle 5). "
    )


# --- /transcribe ----------------------------------------------------------------------------------


async def transcribe(harness: Harness, guild: FakeGuild, payload: dict[str, Any],
                     **options: Any) -> list[Sent]:
    return await harness.run("transcribe", user_id=ANN, guild=guild, file=payload["id"],
                             resolved={"attachments": {payload["id"]: payload}}, **options)


async def test_transcript_embed_and_button_in_japanese(bot, harness, guild, cdn: FakeCDN,
                                                       media: MediaSamples, fakefish) -> None:
    harness.locale = "ja"
    guild.add_member(ANN, "ann")
    fakefish.asr_script.append([("<|speaker:0|> Hello there. [laughter]", 0.0, 2.5),
                                ("<|speaker:1|> General Kenobi!", 2.5, 4.25)])
    answer = (await transcribe(harness, guild, cdn.attachment(media.bytes("speech.mp3"), "speech.mp3")))[-1]
    embed = answer.embeds[0]
    assert embed.title == "speech.mp3の文字起こし"
    # The speakers' words stay as they were said; the bot's label around them is Japanese.
    assert embed.description == "話者1：Hello there. *laughter*\n話者2：General Kenobi!"
    seconds = (await probe(media.path("speech.mp3"), name="speech.mp3")).duration_s
    with using_language("ja"):
        length = duration(seconds)
    assert length.endswith("秒")
    assert embed.footer.text == f"言語：英語 (en) · 音声 {length}"  # CLDR's name for "en", in Japanese
    assert harness.component(answer, "share")["label"] == "チャンネルに共有"
    assert sorted(dict(answer.file_bytes())) == ["speech.srt", "speech.txt"]


async def test_language_autocomplete_in_japanese(bot, harness, guild) -> None:
    harness.locale = "ja"
    guild.add_member(ANN, "ann")
    for typed in ("jap", "日本", "ja"):
        choices = await harness.autocomplete("transcribe", "language", user_id=ANN, guild=guild,
                                             language=typed)
        assert choices == [{"name": "日本語 (ja)", "value": "ja"}], typed


async def test_file_errors_in_german(bot, harness, guild, cdn, media, fakefish, monkeypatch) -> None:
    harness.locale = "de"
    guild.add_member(ANN, "ann")
    sent = await transcribe(harness, guild, cdn.attachment(b"x" * 100, "huge.mp3", size=30 * 1024 * 1024))
    assert sent[-1].ephemeral
    assert sent[-1].content == "`huge.mp3` ist 30,0 MB groß; die Grenze liegt bei 25 MB pro Datei."
    monkeypatch.setattr(bot.settings.transcribe, "max_minutes", 0.1)
    sent = await transcribe(harness, guild, cdn.attachment(media.bytes("sine.mp3"), "eight.mp3"))
    assert sent[-1].content == "`eight.mp3` ist länger als 6 Sek., die Grenze hier."
    assert fakefish.requests_for("asr") == []


async def test_no_credit_for_transcription_in_korean(bot, harness, guild, cdn, media, fakefish) -> None:
    harness.locale = "ko"
    guild.add_member(ANN, "ann")
    fakefish.credit = 0
    sent = await transcribe(harness, guild, cdn.attachment(media.bytes("sine.mp3"), "a.mp3"))
    assert sent[-1].content == ("받아쓰기에는 Fish Audio API 크레딧이 필요한데 봇의 크레딧이 다 "
                                "떨어졌어요. 무료 모델은 음성만 지원하고 받아쓰기는 안 돼요. "
                                "봇 소유자에게 알려 주세요.")


async def test_automatic_transcript_in_the_servers_language(bot, harness, guild, cdn, media, fakefish,
                                                            monkeypatch) -> None:
    guild.add_member(ANN, "ann")
    harness.locale = "ja"  # the member who switches it on reads Japanese...
    sent = await harness.run("autotranscribe", user_id=ANN, guild=guild, permissions=MANAGE, enabled=True)
    assert sent[-1].content == f"<#{guild.text_channel_id}>のボイスメッセージに文字起こしを返信します。"
    guild.locale = "de"  # ...the server's language is German: the reply posted for everyone
    guild.sync()
    rest = RestRecorder(bot, monkeypatch)
    fakefish.asr_script.append("hallo zusammen")
    gateway_event(bot, "message_create", voice_message(guild, cdn, media, guild.text_channel_id))
    await events_handled()
    [(_, posted)] = rest.messages
    embed = posted["embeds"][0]
    assert embed["title"] == "Transkript" and embed["description"] == "hallo zusammen"
    assert embed["footer"]["text"].startswith("Sprache: Englisch (en) · ")
    assert embed["footer"]["text"].endswith(" Sek. Audio")
