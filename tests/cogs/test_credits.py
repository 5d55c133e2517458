"""/credits, /usage, /quota and the low-balance alert, through the real CommandTree against the
Fish stand-in (its wallet endpoints) and the real quota service on a temp SQLite database."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import discord
import pytest

from bot.config import Settings
from bot.usage import QuotaExceeded
from tests.bot_fixtures import make_settings
from tests.discord_harness import FakeGuild, snowflake
from tests.helpers.credits import MANAGE, OWNER, PLAIN, field
from tests.rest_recorder import RestRecorder


@pytest.fixture
def bot_settings(fakefish: Any, tmp_path: Path) -> Settings:
    return make_settings(
        fakefish.base_url, tmp_path, owner_ids=[OWNER],
        quotas={"tts_bytes_per_member": 1000, "tts_bytes_per_guild": 5000, "clones_per_member": 2},
        credits={"low_balance_threshold": 5.0},
    )


def wallet_requests(fakefish: Any) -> list[Any]:
    return fakefish.requests_for("credits") + fakefish.requests_for("package")


def member(guild: FakeGuild, name: str = "Alice") -> int:
    return guild.add_member(snowflake(), name)


# --- /credits -------------------------------------------------------------------------------------


async def test_owner_sees_balance_free_credit_and_package_from_the_api(bot, harness, guild, fakefish) -> None:
    fakefish.credit = "1234.5"
    fakefish.package = fakefish.package | {"total": 2_000_000, "balance": 123_456, "type": "pro"}
    guild.add_member(OWNER, "Owner")
    sent = await harness.run("credits", user_id=OWNER, guild=guild, permissions=PLAIN)
    assert sent[0].callback_type == 5 and sent[0].ephemeral  # deferred: two API calls follow
    embed = sent[-1].embeds[0]
    assert sent[-1].ephemeral
    assert field(embed, "API credit") == "1,234.5"
    assert field(embed, "Free credit") == "Not available"  # the stand-in: topped up before
    assert field(embed, "Package") == "123,456 of 2,000,000 left (pro)"
    assert "below it now" not in (embed.footer.text or "")
    credit_request = fakefish.requests_for("credits")[-1]
    assert credit_request.query["check_free_credit"] == ["true"]
    assert len(fakefish.requests_for("package")) == 1


async def test_credits_for_an_owner_and_low_balance_shows(bot, harness, guild, fakefish) -> None:
    fakefish.credit = "0.25"
    fakefish.fail("package", status=404, body={"status": 404, "message": "Not Found"})
    guild.add_member(OWNER, "Owner")
    sent = await harness.run("credits", user_id=OWNER, guild=guild, permissions=PLAIN)
    embed = sent[-1].embeds[0]
    assert field(embed, "API credit") == "0.25"
    assert field(embed, "Package") == "No package"
    assert "below it now" in (embed.footer.text or "")
    assert embed.colour == discord.Colour.red()


@pytest.mark.parametrize(
    ("permissions", "allow_manage_guild", "allowed"),
    [(PLAIN, False, False), (MANAGE, False, False), (PLAIN, True, False), (MANAGE, True, True)],
)
async def test_credits_permission_matrix(bot, harness, guild, fakefish, monkeypatch,
                                         permissions: int, allow_manage_guild: bool, allowed: bool) -> None:
    monkeypatch.setattr(bot.settings.credits, "allow_manage_guild", allow_manage_guild)
    user_id = member(guild)
    sent = await harness.run("credits", user_id=user_id, guild=guild, permissions=permissions)
    if allowed:
        assert field(sent[-1].embeds[0], "API credit") == "10"
        assert len(fakefish.requests_for("credits")) == 1
    else:
        assert len(sent) == 1 and sent[0].ephemeral and not sent[0].embeds
        assert sent[0].content.startswith("Only the bot's owners")
        assert ("Manage Server" in sent[0].content) is allow_manage_guild
        assert wallet_requests(fakefish) == []  # refused before anything reached Fish


async def test_credits_not_in_dms_even_for_an_owner(bot, harness, fakefish) -> None:
    for user_id in (OWNER, snowflake()):  # the commands are for servers only
        sent = await harness.run("credits", user_id=user_id)
        assert sent[0].content.startswith("I only work in servers") and sent[0].ephemeral
    assert wallet_requests(fakefish) == []


async def test_credits_when_fish_refuses_the_key(bot, harness, guild, fakefish) -> None:
    fakefish.fail("credits", status=401, body="No permission -- see authorization schemes")
    guild.add_member(OWNER, "Owner")
    sent = await harness.run("credits", user_id=OWNER, guild=guild, permissions=PLAIN)
    assert sent[-1].ephemeral and "API key is invalid" in sent[-1].content


# --- /usage ---------------------------------------------------------------------------------------


async def spend(bot: Any, guild: FakeGuild, user_id: int, amount: int, outcome: str = "ok",
                model: str = "s2.1-pro") -> None:
    reservation = await bot.usage.reserve(kind="tts_bytes", amount=amount, user_id=user_id,
                                          guild_id=guild.id, model=model)
    await reservation.finish(outcome)


async def test_member_sees_own_usage_and_remaining_quota(bot, harness, guild) -> None:
    alice = member(guild)
    await spend(bot, guild, alice, 300)
    for n in range(5):  # leaves the guild 200: tighter than Alice's own 700
        await spend(bot, guild, member(guild, f"Other {n}"), 900)
    await spend(bot, guild, alice, 150, "failed")  # released: not counted
    sent = await harness.run("usage", user_id=alice, guild=guild, permissions=PLAIN)
    embed = sent[0].embeds[0]
    assert sent[0].ephemeral and embed.title == "Your usage today in this server"
    assert field(embed, "Speech") == "300 bytes used · 200 bytes left"
    assert field(embed, "Voice clones") == "0 voice clones used · 2 voice clones left"
    assert field(embed, "Transcription") == "0 min used · 30 min left"
    assert "Quotas reset in" in (embed.footer.text or "")
    assert "3 per Japanese or Chinese character" in (embed.footer.text or "")
    assert field(embed, "Speech by model (estimated cost)") == "S2.1 Pro (default): 300 bytes ≈ $0.0045"


async def test_member_cannot_see_the_server_view(bot, harness, guild) -> None:
    alice = member(guild)
    sent = await harness.run("usage", user_id=alice, guild=guild, permissions=PLAIN, view="server")
    assert sent[0].ephemeral and not sent[0].embeds
    assert "Manage Server" in sent[0].content


@pytest.mark.parametrize("who", ["manager", "owner"])
async def test_admin_sees_server_totals_top_users_and_cache_rate(bot, harness, guild, who: str) -> None:
    alice, bob = member(guild), member(guild, "Bob")
    await spend(bot, guild, alice, 100)
    await spend(bot, guild, bob, 400)
    await spend(bot, guild, bob, 50, "skipped")
    await bot.usage.record(kind="tts_bytes", amount=12, user_id=alice, guild_id=guild.id, outcome="cached")
    other = FakeGuild(bot, name="Elsewhere")
    await spend(bot, other, member(other), 999)  # another server's usage stays out
    cache = bot.tts_cache
    cache.hits, cache.misses = 3, 1
    if who == "owner":
        guild.add_member(OWNER, "Owner")
        user_id, permissions = OWNER, PLAIN
    else:
        user_id, permissions = member(guild, "Mod"), MANAGE
    sent = await harness.run("usage", user_id=user_id, guild=guild, permissions=permissions, period="7d")
    embed = sent[0].embeds[0]
    assert embed.title == "Server usage: last 7 days"
    assert field(embed, "Speech") == "500 bytes (daily server limit: 5,000 bytes)"
    top = field(embed, "Top members").splitlines()
    assert top[0].startswith(f"1. <@{bob}> — 400 bytes")
    assert top[1].startswith(f"2. <@{alice}> — 100 bytes") and len(top) == 2
    cache_text = field(embed, "Speech cache")
    assert "1 request in this period was served from the cache." in cache_text
    assert "3 hits of 4 short requests (75%)" in cache_text
    assert sent[0].allowed_mentions == {"parse": []}


# --- /quota ---------------------------------------------------------------------------------------


async def test_quota_set_needs_manage_server(bot, harness, guild) -> None:
    alice = member(guild)
    sent = await harness.run("quota set", user_id=alice, guild=guild, permissions=PLAIN,
                             limit="tts_bytes_per_member", value=10)
    assert "Manage Server" in sent[0].content
    assert (await bot.usage.limits("tts_bytes", guild.id)).member == 1000


async def test_quota_set_lowers_refuses_raising_and_resets(bot, harness, guild) -> None:
    mod, alice = member(guild, "Mod"), member(guild)
    sent = await harness.run("quota set", user_id=mod, guild=guild, permissions=MANAGE,
                             limit="tts_bytes_per_member", value=50)
    assert sent[0].content == "Speech bytes per member: now 50 bytes a day."
    with pytest.raises(QuotaExceeded):
        await bot.usage.reserve(kind="tts_bytes", amount=51, user_id=alice, guild_id=guild.id)

    sent = await harness.run("quota set", user_id=mod, guild=guild, permissions=MANAGE,
                             limit="clones_per_member", value=5)
    assert "at most 2 voice clones" in sent[0].content
    sent = await harness.run("quota set", user_id=mod, guild=guild, permissions=MANAGE,
                             limit="clones_per_guild", value=1.5)
    assert "whole number" in sent[0].content

    sent = await harness.run("quota show", user_id=mod, guild=guild, permissions=MANAGE)
    text = sent[0].embeds[0].description or ""
    assert "**Speech bytes per member**: 50 bytes (set here)" in text
    assert "**Voice clones for the server**: 20 voice clones (bot default)" in text

    sent = await harness.run("quota set", user_id=mod, guild=guild, permissions=MANAGE,
                             limit="tts_bytes_per_member")
    assert "back to the bot's default 1,000 bytes" in sent[0].content
    assert (await bot.usage.limits("tts_bytes", guild.id)).member == 1000


# --- low-balance alert ----------------------------------------------------------------------------


async def test_alert_posts_once_to_the_channel_and_rearms(bot, harness, guild, fakefish, monkeypatch) -> None:
    channel_id = guild.add_channel("ops")
    guild.sync()
    monkeypatch.setattr(bot.settings.credits, "alert_channel_id", channel_id)
    rest = RestRecorder(bot, monkeypatch)
    cog = bot.get_cog("Credits")

    fakefish.credit = "7.5"
    assert await cog.check_balance() == "ok" and rest.messages == []
    fakefish.credit = "4.2"
    assert await cog.check_balance() == "alerted"
    assert [c for c, _ in rest.messages] == [channel_id]
    assert "4.2 left" in rest.messages[0][1]["content"]
    assert rest.messages[0][1]["allowed_mentions"] == {"parse": []}
    fakefish.credit = "3"
    assert await cog.check_balance() == "low"  # still low: no second post
    assert len(rest.messages) == 1
    fakefish.credit = "5"  # recovered to the threshold: re-armed
    assert await cog.check_balance() == "ok"
    fakefish.credit = "1"
    assert await cog.check_balance() == "alerted"
    assert len(rest.messages) == 2 and "1 left" in rest.messages[1][1]["content"]
    # Every check asked the stand-in for the live balance.
    assert len(fakefish.requests_for("credits")) == 5


async def test_alert_dms_the_owners_without_a_channel_or_when_it_fails(bot, harness, guild, fakefish,
                                                                       monkeypatch) -> None:
    channel_id = guild.add_channel("ops")
    guild.sync()
    monkeypatch.setattr(bot.settings.credits, "alert_channel_id", channel_id)
    rest = RestRecorder(bot, monkeypatch, fail_channel=True)
    cog = bot.get_cog("Credits")
    fakefish.credit = "0"
    assert await cog.check_balance() == "alerted"
    assert [c for c, _ in rest.messages] == [rest.dm_channels[OWNER]]
    assert await cog.check_balance() == "low" and len(rest.messages) == 1


async def test_alert_check_survives_fish_errors(bot, harness, fakefish, monkeypatch) -> None:
    rest = RestRecorder(bot, monkeypatch)
    cog = bot.get_cog("Credits")
    fakefish.fail("credits", status=500, times=5)
    assert await cog.check_balance() == "error"
    assert rest.messages == [] and not cog.monitor.alerted


async def test_monitor_loop_runs_on_the_configured_interval(bot) -> None:
    cog = bot.get_cog("Credits")
    assert cog.balance_loop.is_running()
    assert cog.balance_loop.minutes == bot.settings.credits.check_interval_minutes
    task = cog.balance_loop.get_task()
    await bot.remove_cog("Credits")
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_forget_me_reaches_the_usage_ledger_whichever_cogs_are_loaded(bot, guild) -> None:
    """Regression: the ledger's deleter was registered by the Credits cog, so without it loaded
    /forget-me left the member's usage rows behind although /speak and the others wrote them."""
    alice = member(guild)
    await spend(bot, guild, alice, 10)
    await bot.remove_cog("Credits")
    assert (await bot.forget_user(alice)).records >= 1
    assert await bot.usage.top_users(guild.id, datetime(2000, 1, 1, tzinfo=UTC)) == []
