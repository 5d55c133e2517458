"""/credits, /usage, /quota, the low-balance alert and /transcribe run through the real command
tree in the pseudo-locale: any English that reaches the member was never marked for translation.
What members or Fish wrote (transcripts, file names, package types) is data and passed as `values`."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import discord
import pytest

from bot import clock
from bot.config import Settings
from tests.attachments import VOICE_MESSAGE_FLAG, FakeCDN
from tests.bot_fixtures import make_settings
from tests.discord_harness import FakeGuild, Harness, Sent, events_handled, message_payload, snowflake
from tests.discord_internals import gateway_event
from tests.helpers.credits import low_balance_alert
from tests.helpers.pseudo_locale import PSEUDO_DISCORD_LOCALE, shown
from tests.helpers.transcribe import voice_message
from tests.i18n import pseudo
from tests.rest_recorder import RestRecorder

OWNER = 4_000_000_000_000_000_001
ANN = 4242
MANAGE = discord.Permissions(manage_guild=True).value
PLAIN = discord.Permissions.general().value & ~MANAGE

pytestmark = pytest.mark.usefixtures("pseudo_locale")


@pytest.fixture
def bot_settings(fakefish: Any, tmp_path: Path) -> Settings:
    # Ann is an owner too: exempt from /transcribe's cooldown, so one test can send many files.
    return make_settings(
        fakefish.base_url, tmp_path, owner_ids=[OWNER, ANN],
        quotas={"tts_bytes_per_member": 1000, "tts_bytes_per_guild": 5000, "clones_per_member": 2},
        credits={"low_balance_threshold": 5.0},
        fish={"timeout_s": 5.0, "max_retries": 0}, transcribe={"auto_transcribe": True},
    )


def member(guild: FakeGuild, name: str = "Alice") -> int:
    return guild.add_member(snowflake(), name)


async def spend(bot: Any, guild: FakeGuild, user_id: int, chars: int) -> None:
    reservation = await bot.usage.reserve(kind="tts_bytes", amount=chars, user_id=user_id, guild_id=guild.id)
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
    sent += await harness.run("credits", user_id=OWNER, guild=guild, permissions=PLAIN)
    fakefish.fail("package", status=500, times=5)
    sent += await harness.run("credits", user_id=OWNER, guild=guild, permissions=PLAIN)
    fakefish.fail("credits", status=401, body="No permission -- see authorization schemes")
    sent += await harness.run("credits", user_id=OWNER, guild=guild, permissions=PLAIN)
    sent += await harness.run("credits", user_id=OWNER)  # a DM: servers only
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
    await bot.usage.record(kind="tts_bytes", amount=12, user_id=alice, guild_id=guild.id, outcome="cached")
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
                              limit="tts_bytes_per_member", value=10)
    sent += await harness.run("quota set", user_id=mod, guild=guild, permissions=MANAGE,
                              limit="tts_bytes_per_member", value=50)
    sent += await harness.run("quota set", user_id=mod, guild=guild, permissions=MANAGE,
                              limit="clones_per_member", value=5)
    sent += await harness.run("quota set", user_id=mod, guild=guild, permissions=MANAGE,
                              limit="clones_per_guild", value=1.5)
    sent += await harness.run("quota set", user_id=mod, guild=guild, permissions=MANAGE,
                              limit="transcribe_minutes_per_member", value=2.5)
    sent += await harness.run("quota show", user_id=mod, guild=guild, permissions=MANAGE)
    sent += await harness.run("quota set", user_id=mod, guild=guild, permissions=MANAGE,
                              limit="tts_bytes_per_member")
    sent += await harness.run("quota set", user_id=mod, guild=guild, permissions=MANAGE,
                              limit="voice_designs_per_member", value=0)

    texts = shown(sent)
    assert len(texts) == 10  # eight replies; /quota show's embed adds a title and a footer
    assert pseudo.unmarked(texts) == []


async def test_quota_refusals_from_the_ledger_are_translated(bot, harness, guild) -> None:
    """QuotaExceeded, raised where the reservation is refused, is worded in the current language."""
    from bot.usage import QuotaExceeded
    from bot.wording import describe

    alice = member(guild)
    refusals = []
    for amount in (1001, 5001):
        with pytest.raises(QuotaExceeded) as caught:
            await bot.usage.reserve(kind="tts_bytes", amount=amount, user_id=alice, guild_id=guild.id)
        refusals.append(str(describe(caught.value)))
    mod = member(guild, "Mod")
    await harness.run("quota set", user_id=mod, guild=guild, permissions=MANAGE,
                      limit="clones_per_guild", value=0)
    with pytest.raises(QuotaExceeded) as caught:
        await bot.usage.reserve(kind="clones", amount=1, user_id=alice, guild_id=guild.id)
    refusals.append(str(describe(caught.value)))
    # Outside an interaction the test's own task is in English: these are checked in the
    # pseudo-locale by wording them inside it.
    from bot.i18n import using_language

    with using_language(pseudo.LANGUAGE):
        for kind, scope, limit in (("tts_bytes", "member", 1000), ("transcribe_seconds", "guild", 600),
                                   ("voice_designs", "member", 0), ("clones", "guild", 0)):
            refusals.append(str(describe(QuotaExceeded(
                kind=kind, scope=scope, limit=limit, used=limit, requested=90,
                resets_at=clock.utc_now() + timedelta(seconds=3725)))))
    assert pseudo.unmarked(refusals[3:]) == []
    assert "Your daily quota of speech is used up" in refusals[0]  # English by default


# --- the low-balance alert ------------------------------------------------------------------------


async def test_alert_in_a_channel_uses_the_servers_language(bot, harness, guild, fakefish,
                                                            monkeypatch) -> None:
    guild.locale = PSEUDO_DISCORD_LOCALE  # the server's Discord locale: the pseudo-locale
    payload = await low_balance_alert(bot, guild, fakefish, monkeypatch)
    assert "4.2" in payload["content"]
    assert pseudo.unmarked([payload["content"]], values=["https://fish.audio"]) == []


# --- /transcribe, the Transcribe menu and automatic transcripts -------------------------------------


async def transcribe(harness: Harness, guild: FakeGuild, payload: dict[str, Any],
                     **options: Any) -> list[Sent]:
    return await harness.run("transcribe", user_id=ANN, guild=guild, file=payload["id"],
                             resolved={"attachments": {payload["id"]: payload}}, **options)


async def test_transcripts_share_button_and_speaker_lines(bot, harness, guild, cdn: FakeCDN, media,
                                                          fakefish) -> None:
    guild.add_member(ANN, "ann")
    sent: list[Sent] = []
    fakefish.asr_script.append([("Hello there.", 0.0, 2.5), ("General Kenobi!", 2.5, 4.25)])
    timed = await transcribe(harness, guild, cdn.attachment(media.bytes("speech.mp3"), "speech.mp3"))
    sent += timed
    answer = timed[-1]
    assert harness.component(answer, "share")["label"] == pseudo.pseudo("Share in channel")
    sent += await harness.click(answer, "share", user_id=guild.add_member(777, "bob"), guild=guild)
    shared = await harness.click(answer, "share", user_id=ANN, guild=guild)
    sent += shared
    assert shared[0].embeds[0].author.name == pseudo.pseudo("Shared by {name}").format(name="ann")
    fakefish.asr_script.append([("<|speaker:0|> Hello there. [laughter]", 0.0, 2.5),
                                ("<|speaker:1|> General Kenobi!", 2.5, 4.25)])
    pro = await transcribe(harness, guild, cdn.attachment(media.bytes("speech.mp3"), "speech.mp3"))
    sent += pro
    assert pseudo.pseudo("Speaker {number}: {words}").format(number=1, words="Hello there. *laughter*") in (
        pro[-1].embeds[0].description or "")
    fakefish.asr_script.append("konnichiwa sekai")
    sent += await transcribe(harness, guild, cdn.attachment(media.bytes("speech.wav"), "speech.wav"),
                             language="ja", timestamps=False)
    message = message_payload(guild, author_id=ANN, flags=VOICE_MESSAGE_FLAG, attachments=[
        cdn.attachment(media.bytes("voice-message.ogg"), "voice-message.ogg", content_type="audio/ogg",
                       voice=True, duration_secs=5.2)])
    sent += await harness.context_menu("Transcribe", message=message, user_id=ANN, guild=guild)

    texts = shown(sent)
    assert len(texts) >= 12
    transcripts = ["[00:00 → 00:02] Hello there.", "[00:02 → 00:04] General Kenobi!", "General Kenobi!",
                   "Hello there. *laughter*", "konnichiwa sekai"]
    # The default transcript of the stand-in (the voice message): what Fish heard, data.
    menu = [item for item in sent if item.embeds][-1].embeds[0]
    transcripts += (menu.description or "").splitlines()
    assert pseudo.unmarked(texts, values=transcripts) == []


@pytest.mark.parametrize("status", [401, 402, 429, 503])
async def test_transcribe_fish_failures(bot, harness, guild, cdn, media, fakefish, status: int) -> None:
    guild.add_member(ANN, "ann")
    if status == 402:
        fakefish.credit = 0  # the stand-in's own 402: no ASR model is free
    else:
        fakefish.fail("asr", status=status)
    sent = await transcribe(harness, guild, cdn.attachment(media.bytes("sine.mp3"), "a.mp3"))
    assert sent[-1].ephemeral
    assert pseudo.unmarked(shown(sent)) == []


async def test_transcribe_refusals(bot, harness, guild, cdn, media, fakefish, monkeypatch) -> None:
    guild.add_member(ANN, "ann")
    sent: list[Sent] = []
    for name in ("png-named.mp3", "empty.mp3", "truncated.mp3", "silence.wav", "blip.wav"):
        sent += await transcribe(harness, guild, cdn.attachment(media.bytes(name), name))
    sent += await transcribe(harness, guild, cdn.attachment(b"x" * 100, "huge.mp3", size=30 * 1024 * 1024))
    sent += await transcribe(harness, guild, cdn.attachment(media.bytes("sine.mp3"), "a.mp3"),
                             language="Japanese please")
    fakefish.asr_script.append([])
    sent += await transcribe(harness, guild, cdn.attachment(media.bytes("sine.mp3"), "hum.mp3"))
    no_audio = message_payload(guild, author_id=ANN, content="just text", attachments=[
        cdn.attachment(b"\x89PNG", "cat.png", content_type="image/png")])
    sent += await harness.context_menu("Transcribe", message=no_audio, user_id=ANN, guild=guild)
    mod = member(guild, "Mod")
    await harness.run("quota set", user_id=mod, guild=guild, permissions=MANAGE,
                      limit="transcribe_minutes_per_member", value=0)
    sent += await transcribe(harness, guild, cdn.attachment(media.bytes("sine.mp3"), "quota.mp3"))
    monkeypatch.setattr(bot.settings.transcribe, "max_minutes", 0.1)
    sent += await transcribe(harness, guild, cdn.attachment(media.bytes("sine.mp3"), "eight.mp3"))

    errors = [item for item in sent if item.content]
    assert len(errors) == 11 and all(item.ephemeral for item in errors)
    assert len(fakefish.requests_for("asr")) == 1  # only hum.mp3 reached Fish
    assert pseudo.unmarked(shown(sent)) == []


async def test_autotranscribe_replies_and_the_automatic_transcript(bot, harness, guild, cdn, media,
                                                                   fakefish, monkeypatch) -> None:
    guild.add_member(ANN, "ann")
    rest = RestRecorder(bot, monkeypatch)
    sent: list[Sent] = []
    sent += await harness.run("autotranscribe", user_id=ANN, guild=guild, enabled=True,
                              permissions=discord.Permissions(send_messages=True).value)
    sent += await harness.run("autotranscribe", user_id=ANN, guild=guild, permissions=MANAGE, enabled=True)
    guild.locale = PSEUDO_DISCORD_LOCALE  # the automatic reply is in the server's language
    guild.sync()
    fakefish.asr_script.append("hi @everyone")
    gateway_event(bot, "message_create", voice_message(guild, cdn, media, guild.text_channel_id))
    await events_handled()
    sent += await harness.run("autotranscribe", user_id=ANN, guild=guild, permissions=MANAGE, enabled=False)
    monkeypatch.setattr(bot.settings.transcribe, "auto_transcribe", False)
    sent += await harness.run("autotranscribe", user_id=ANN, guild=guild, permissions=MANAGE, enabled=True)

    [(_, posted)] = rest.messages
    embed = discord.Embed.from_dict(posted["embeds"][0])
    assert embed.description == "hi @everyone"
    texts = [*shown(sent), embed.title or "", embed.footer.text or ""]
    assert len(texts) == 6
    assert pseudo.unmarked(texts) == []
