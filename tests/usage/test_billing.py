"""Speech counted as Fish bills it: the UTF-8 bytes of the text the bot really sends (after
cleaning, cues and phoneme spans), through the real /speak and narration paths against the
stand-in, which charges per byte as Fish does; the cost estimates of /usage and /credits; how long
the balance lasts at the last 7 days' rate (the clock pinned); the old quota keys."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot import clock
from bot.config import ConfigError, Settings, load_settings
from bot.storage.models import UsageEvent
from bot.usage.billing import Prices, billed_bytes
from tests.bot_fixtures import make_settings
from tests.discord_harness import FakeGuild, Harness, wait_for
from tests.fakefish.tts import PRICE_PER_BYTE
from tests.helpers.cli import fishbot
from tests.helpers.credits import OWNER, PLAIN, field, low_balance_alert
from tests.helpers.narration import ANN, MANAGE, Room, settle
from tests.helpers.quota import in_voice

# 100 characters of Japanese: 300 bytes, what Fish bills (3 per character).
JAPANESE = "今日はいい天気です。" * 10
NOW = datetime(2026, 12, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
def bot_settings(fakefish: Any, tmp_path: Path) -> Settings:
    fakefish.ms_per_char = 1.0
    fakefish.min_seconds = 0.2
    return make_settings(
        fakefish.base_url, tmp_path, owner_ids=[OWNER], narration={"enabled": True},
        speak={"stall_timeout_s": 2.0, "idle_timeout_s": 60.0, "alone_leave_delay_s": 5.0},
        quotas={"tts_bytes_per_member": 1000, "tts_bytes_per_guild": 0},
        credits={"low_balance_threshold": 5.0},
    )


async def ledger(bot: Any) -> list[tuple[int, str, str | None]]:
    await bot.usage.drain()
    async with bot.db.session() as session:
        rows = (await session.scalars(select(UsageEvent).order_by(UsageEvent.id))).all()
    return [(row.amount, row.outcome, row.model) for row in rows]


def pin(monkeypatch: pytest.MonkeyPatch, when: datetime) -> None:
    monkeypatch.setattr(clock, "utc_now", lambda: when)


async def test_a_100_character_japanese_message_counts_300_bytes(bot, harness: Harness, guild,
                                                                 fakefish) -> None:
    alice = in_voice(guild)
    assert len(JAPANESE) == 100 and billed_bytes(JAPANESE) == 300
    await harness.run("speak", user_id=alice, guild=guild, text=JAPANESE)
    session = bot.voice_sessions.get(guild.id)
    await wait_for(lambda: session is not None and session.clips_played == 1)
    [request] = fakefish.requests_for("tts")
    assert request.body["text"] == JAPANESE
    assert request.charged == Decimal("0.0045")  # what Fish takes: 300 bytes at $15 per million
    assert await ledger(bot) == [(300, "ok", "s2.1-pro")]
    assert Prices(bot.settings).cost("tts_bytes", 300, "s2.1-pro") == request.charged
    today = await bot.usage.member_today(alice, guild.id)
    assert today.used["tts_bytes"] == 300 and today.remaining("tts_bytes") == 700

    # 300 more characters: 900 bytes in Japanese is over the 700 left, 300 in English is not.
    sent = await harness.run("speak", user_id=alice, guild=guild, text=JAPANESE * 3)
    assert sent[-1].ephemeral
    assert "700 bytes left of 1,000 bytes, and this needs 900 bytes" in sent[-1].content
    await harness.run("speak", user_id=alice, guild=guild, text="Hello there, friend. " * 14 + "Bye now. ")
    await wait_for(lambda: session.clips_played == 2)
    # 302: /speak strips the trailing space, and Fish bills only what it was sent.
    assert [row[:2] for row in await ledger(bot)] == [(300, "ok"), (900, "denied"), (302, "ok")]
    assert sum(r.charged for r in fakefish.requests_for("tts")) == 602 * PRICE_PER_BYTE


async def test_narration_bills_the_cleaned_text_with_its_phoneme_spans(bot, harness: Harness, guild,
                                                                      fakefish) -> None:
    """What is counted is what is sent: markdown gone, the name announced, a dictionary word sent
    as its phoneme span (longer than the word) — byte for byte what the stand-in charged."""
    room = Room(bot, harness, guild)
    await harness.run("dictionary add", user_id=ANN, guild=guild, permissions=MANAGE, word="tomato",
                      replacement="<|phoneme_start|>T AH0 M EY1 T OW2<|phoneme_end|>")
    await room.join_and_bind()
    room.say(ANN, "**トマト** is tomato, ~~ok~~ `x`")
    await settle(bot)
    session = bot.voice_sessions.get(guild.id)
    await wait_for(lambda: session.clips_played == 1)
    [request] = fakefish.requests_for("tts")
    sent = request.body["text"]
    assert "<|phoneme_start|>T AH0 M EY1 T OW2<|phoneme_end|>" in sent and "**" not in sent
    assert await ledger(bot) == [(billed_bytes(sent), "ok", "s2.1-pro")]
    assert billed_bytes(sent) > len(sent)  # トマト: 3 characters, 9 bytes
    assert request.charged == billed_bytes(sent) * PRICE_PER_BYTE


async def test_a_free_model_counts_bytes_but_costs_nothing(bot, harness: Harness, guild, fakefish) -> None:
    alice = in_voice(guild)
    await harness.run("speak", user_id=alice, guild=guild, text="Free speech.", model="s2.1-pro-free")
    await harness.run("speak", user_id=alice, guild=guild, text="Paid speech!", model="s2.1-pro")
    session = bot.voice_sessions.get(guild.id)
    await wait_for(lambda: session is not None and session.clips_played == 2)
    assert [r.charged for r in fakefish.requests_for("tts")] == [0, 12 * PRICE_PER_BYTE]
    assert await ledger(bot) == [(12, "ok", "s2.1-pro-free"), (12, "ok", "s2.1-pro")]
    mine = (await harness.run("usage", user_id=alice, guild=guild, permissions=PLAIN))[0].embeds[0]
    assert field(mine, "Speech by model (estimated cost)").splitlines() == [
        "S2.1 Pro (default): 12 bytes ≈ $0.00018", "S2.1 Pro Free (no credit, fair use): 12 bytes (free)"]
    guild.add_member(OWNER, "Owner")
    server = (await harness.run("usage", user_id=OWNER, guild=guild, permissions=PLAIN))[0].embeds[0]
    assert field(server, "Speech") == "24 bytes (daily server limit: unlimited)"
    assert len(field(server, "Speech by model (estimated cost)").splitlines()) == 2


async def record(bot: Any, monkeypatch: pytest.MonkeyPatch, ago: timedelta, kind: str, amount: int,
                 model: str | None = None) -> None:
    pin(monkeypatch, NOW - ago)
    await bot.usage.record(kind=kind, amount=amount, user_id=OWNER, guild_id=None, outcome="ok", model=model)


async def test_credits_shows_the_weeks_cost_per_model_and_how_long_the_balance_lasts(
    bot, harness: Harness, guild: FakeGuild, fakefish, monkeypatch: pytest.MonkeyPatch,
) -> None:
    await record(bot, monkeypatch, timedelta(days=10), "tts_bytes", 5_000_000, "s2.1-pro")  # outside the week
    await record(bot, monkeypatch, timedelta(days=3), "tts_bytes", 6_000_000, "s2.1-pro")
    await record(bot, monkeypatch, timedelta(days=1), "tts_bytes", 2_000_000, "s2.1-pro-free")
    await record(bot, monkeypatch, timedelta(days=2), "tts_bytes", 1_000_000)  # before models were recorded
    await record(bot, monkeypatch, timedelta(hours=5), "transcribe_seconds", 3600)
    await record(bot, monkeypatch, timedelta(hours=1), "voice_designs", 4)
    pin(monkeypatch, NOW)
    fakefish.credit = "40"
    guild.add_member(OWNER, "Owner")
    embed = (await harness.run("credits", user_id=OWNER, guild=guild))[-1].embeds[0]
    assert field(embed, "Spent in the last 7 days (estimate)").splitlines() == [
        "S2.1 Pro (default): 6,000,000 bytes ≈ $90.00",
        "S2.1 Pro Free (no credit, fair use): 2,000,000 bytes (free)",
        "model not recorded: 1,000,000 bytes ≈ $15.00",  # priced as the configured fish.model
        "Transcription: 60 min ≈ $0.36",
        "Voice designs: 4 voice designs ≈ $0.04",
        "Total ≈ $105.40, about $15.06 a day",
    ]
    # $40 at $105.40 / 7 a day: 2.66 days.
    assert field(embed, "How long it lasts") == "At the last 7 days' rate the balance lasts about 2 days."


async def test_alert_says_how_many_days_are_left(bot, guild: FakeGuild, fakefish,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    # A bot two days old: its rate is taken over those 2 days, not diluted over 7.
    await record(bot, monkeypatch, timedelta(days=2), "tts_bytes", 100_000, "s2.1-pro")
    await record(bot, monkeypatch, timedelta(hours=2), "tts_bytes", 100_000, "s2-pro")
    pin(monkeypatch, NOW)
    payload = await low_balance_alert(bot, guild, fakefish, monkeypatch)  # 4.2 left
    assert payload["content"].endswith(
        "\nAt the last 7 days' rate the balance lasts about 2 days. (The bot spent about $1.50 a day.)")


async def test_alert_without_paid_spending(bot, guild: FakeGuild, fakefish,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    await record(bot, monkeypatch, timedelta(days=1), "tts_bytes", 100_000, "s2.1-pro-free")
    pin(monkeypatch, NOW)
    payload = await low_balance_alert(bot, guild, fakefish, monkeypatch)
    assert payload["content"].endswith("\nNothing paid was spent in the last 7 days.")


async def test_old_quota_keys_count_bytes_one_for_one_with_a_warning(
    fakefish, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config.toml").write_text("[quotas]\ntts_chars_per_member = 5000\n", encoding="utf-8")
    quotas = load_settings().quotas
    assert quotas.tts_bytes_per_member == 5000 and quotas.tts_bytes_per_guild == 200_000  # never x3
    env = {"DISCORD_TOKEN": "x" * 20, "FISH_API_KEY": "test-key", "FISH_BASE_URL": fakefish.base_url}
    code, out, err = await fishbot("check", cwd=tmp_path, env=env)
    assert code == 0, out + err
    [warning] = [line for line in out.splitlines() if "tts_chars_per_member" in line]
    assert warning.startswith("[warn] quotas.tts_chars_per_member is deprecated: speech quotas now count "
                              "UTF-8 bytes") and "quotas.tts_bytes_per_member = 5000 bytes" in warning

    (tmp_path / "config.toml").write_text(
        "[quotas]\ntts_chars_per_member = 5000\ntts_bytes_per_member = 9000\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert info.value.problems == [
        "quotas: Value error, tts_chars_per_member is the old name of tts_bytes_per_member: "
        "set only tts_bytes_per_member"]


async def test_credits_and_the_alert_without_the_ledger(bot, harness: Harness, guild: FakeGuild, fakefish,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The estimate is extra: when the ledger can't be read, /credits still shows the balance and
    the alert still goes out, without the days."""
    async def unreadable(*_: Any) -> Any:
        raise RuntimeError("the database is away")

    monkeypatch.setattr(bot.usage, "spent_since", unreadable)
    guild.add_member(OWNER, "Owner")
    embed = (await harness.run("credits", user_id=OWNER, guild=guild))[-1].embeds[0]
    assert field(embed, "API credit") == "10"
    assert [f.name for f in embed.fields] == ["API credit", "Free credit", "Package"]
    payload = await low_balance_alert(bot, guild, fakefish, monkeypatch)
    assert payload["content"].endswith("I'll tell you again only after it has recovered.")
