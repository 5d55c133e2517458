"""/credits, /usage, /quota, the low-balance alert and /transcribe run through the real command
tree in the pseudo-locale: any English that reaches the member was never marked for translation.
What members or Fish wrote (transcripts, file names, package types) is data and passed as `values`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import discord
import pytest

from bot.config import Settings
from tests.bot_fixtures import make_settings
from tests.discord_harness import FakeGuild, Sent, snowflake
from tests.i18n import pseudo
from tests.i18n.test_pseudo_locale import PSEUDO_DISCORD_LOCALE, pseudo_locale, shown  # noqa: F401
from tests.rest_recorder import RestRecorder

OWNER = 4_000_000_000_000_000_001
MANAGE = discord.Permissions(manage_guild=True).value
PLAIN = discord.Permissions.general().value & ~MANAGE

pytestmark = pytest.mark.usefixtures("pseudo_locale")


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


async def spend(bot: Any, guild: FakeGuild, user_id: int, chars: int) -> None:
    reservation = await bot.usage.reserve(kind="tts_chars", amount=chars, user_id=user_id, guild_id=guild.id)
    await reservation.finish("ok")


# --- /credits -------------------------------------------------------------------------------------


async def test_credits_balance_package_and_refusals(bot, harness, guild, fakefish, monkeypatch) -> None:
    sent: list[Sent] = []
    guild.add_member(OWNER, "Owner")
    fakefish.credit = "1234.5"
    fakefish.package = fakefish.package | {"total": 2_000_000, "balance": 123_456, "type": "pro"}
    owner_view = await harness.run("credits", user_id=OWNER, guild=guild, permissions=PLAIN)
    sent += owner_view
    embed = owner_view[-1].embeds[0]
    assert next(f.value for f in embed.fields) == "1,234.5"  # pseudo-locale formats as English
    fakefish.credit = "0.25"  # below the threshold: the footer says so
    fakefish.fail("package", status=404, body={"status": 404, "message": "Not Found"})
    sent += await harness.run("credits", user_id=OWNER)
    fakefish.fail("package", status=500, times=5)
    sent += await harness.run("credits", user_id=OWNER)
    fakefish.fail("credits", status=401, body="No permission -- see authorization schemes")
    sent += await harness.run("credits", user_id=OWNER)
    alice = member(guild)
    sent += await harness.run("credits", user_id=alice, guild=guild, permissions=PLAIN)
    monkeypatch.setattr(bot.settings.credits, "allow_manage_guild", True)
    sent += await harness.run("credits", user_id=alice, guild=guild, permissions=PLAIN)

    texts = shown(sent)
    assert len(texts) >= 20
    assert pseudo.unmarked(texts, values=["(pro)"]) == []


# --- /usage ---------------------------------------------------------------------------------------


async def test_usage_embeds_and_refusals(bot, harness, guild) -> None:
    sent: list[Sent] = []
    alice, bob = member(guild), member(guild, "Bob")
    await spend(bot, guild, alice, 300)
    await spend(bot, guild, bob, 1)
    await bot.usage.record(kind="tts_chars", amount=12, user_id=alice, guild_id=guild.id, outcome="cached")
    bot.tts_cache.hits, bot.tts_cache.misses = 3, 1
    sent += await harness.run("usage", user_id=alice, guild=guild, permissions=PLAIN)
    sent += await harness.run("usage", user_id=alice)  # in direct messages
    sent += await harness.run("usage", user_id=alice, guild=guild, permissions=PLAIN, view="server")
    sent += await harness.run("usage", user_id=alice, view="server")
    mod = member(guild, "Mod")
    for period in ("today", "7d", "30d"):
        server = await harness.run("usage", user_id=mod, guild=guild, permissions=MANAGE, period=period)
        sent += server
    top = next(f.value for f in server[-1].embeds[0].fields if f.value.startswith("1. <@"))
    assert top.splitlines()[0].startswith(f"1. <@{alice}> — ⟦")  # the amounts are translated too
    empty = FakeGuild(bot, name="Quiet")
    empty.add_member(OWNER, "Owner")
    empty.sync()
    sent += await harness.run("usage", user_id=OWNER, guild=empty, permissions=PLAIN, view="server")

    texts = shown(sent)
    assert len(texts) >= 40
    assert pseudo.unmarked(texts) == []


# --- /quota ---------------------------------------------------------------------------------------


async def test_quota_show_set_and_refusals(bot, harness, guild) -> None:
    sent: list[Sent] = []
    mod, alice = member(guild, "Mod"), member(guild)
    sent += await harness.run("quota set", user_id=alice, guild=guild, permissions=PLAIN,
                              limit="tts_chars_per_member", value=10)
    sent += await harness.run("quota set", user_id=mod, guild=guild, permissions=MANAGE,
                              limit="tts_chars_per_member", value=50)
    sent += await harness.run("quota set", user_id=mod, guild=guild, permissions=MANAGE,
                              limit="clones_per_member", value=5)
    sent += await harness.run("quota set", user_id=mod, guild=guild, permissions=MANAGE,
                              limit="clones_per_guild", value=1.5)
    sent += await harness.run("quota set", user_id=mod, guild=guild, permissions=MANAGE,
                              limit="transcribe_minutes_per_member", value=2.5)
    sent += await harness.run("quota show", user_id=mod, guild=guild, permissions=MANAGE)
    sent += await harness.run("quota set", user_id=mod, guild=guild, permissions=MANAGE,
                              limit="tts_chars_per_member")
    sent += await harness.run("quota set", user_id=mod, guild=guild, permissions=MANAGE,
                              limit="voice_designs_per_member", value=0)

    texts = shown(sent)
    assert len(texts) == 10  # eight replies; /quota show's embed adds a title and a footer
    assert pseudo.unmarked(texts) == []


async def test_quota_refusals_from_the_ledger_are_translated(bot, harness, guild) -> None:
    """QuotaExceeded is worded where the reservation is refused, in the interaction's language."""
    from bot.usage import QuotaExceeded

    alice = member(guild)
    refusals = []
    for amount in (1001, 5001):
        with pytest.raises(QuotaExceeded) as caught:
            await bot.usage.reserve(kind="tts_chars", amount=amount, user_id=alice, guild_id=guild.id)
        refusals.append(str(caught.value))
    mod = member(guild, "Mod")
    await harness.run("quota set", user_id=mod, guild=guild, permissions=MANAGE,
                      limit="clones_per_guild", value=0)
    with pytest.raises(QuotaExceeded) as caught:
        await bot.usage.reserve(kind="clones", amount=1, user_id=alice, guild_id=guild.id)
    refusals.append(str(caught.value))
    # Outside an interaction the test's own task is in English: these are checked in the
    # pseudo-locale by wording them inside it.
    from bot.i18n import using_language

    with using_language(pseudo.LANGUAGE):
        for kind, scope, limit in (("tts_chars", "member", 1000), ("transcribe_seconds", "guild", 600),
                                   ("voice_designs", "member", 0), ("clones", "guild", 0)):
            refusals.append(str(QuotaExceeded(kind=kind, scope=scope, limit=limit, used=limit,
                                              requested=90, reset_in=3725)))
    assert pseudo.unmarked(refusals[3:]) == []
    assert "Your daily quota of speech characters is used up" in refusals[0]  # English by default


# --- the low-balance alert ------------------------------------------------------------------------


async def test_alert_in_a_channel_uses_the_servers_language(bot, harness, guild, fakefish,
                                                            monkeypatch) -> None:
    guild.locale = PSEUDO_DISCORD_LOCALE  # the server's Discord locale: the pseudo-locale
    channel_id = guild.add_channel("ops")
    guild.sync()
    monkeypatch.setattr(bot.settings.credits, "alert_channel_id", channel_id)
    rest = RestRecorder(bot, monkeypatch)
    fakefish.credit = "4.2"
    assert await bot.get_cog("Credits").check_balance() == "alerted"
    [(posted_in, payload)] = rest.messages
    assert posted_in == channel_id and "4.2" in payload["content"]
    assert pseudo.unmarked([payload["content"]], values=["https://fish.audio"]) == []
