"""/speak with quotas and the TTS cache, end to end: the real CommandTree, voice session and
player thread against the Fish stand-in. A reservation is taken before Fish is called, kept when
the clip played, given back when it failed or was dropped; repeated short phrases reach Fish once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.storage.models import UsageEvent
from tests.bot_fixtures import make_settings
from tests.discord_harness import FakeGuild, Harness, snowflake, wait_for
from tests.helpers.quota import in_voice

SILENCE = b"\xf8\xff\xfe"


@pytest.fixture
def bot_settings(fakefish: Any, tmp_path: Path) -> Settings:
    return make_settings(
        fakefish.base_url, tmp_path,
        speak={"stall_timeout_s": 2.0, "idle_timeout_s": 60.0, "alone_leave_delay_s": 0.2},
        fish={"timeout_s": 5.0, "max_retries": 1},
        quotas={"tts_bytes_per_member": 200, "tts_bytes_per_guild": 1000},
        credits={"tts_cache_max_chars": 40},
    )


async def speak(harness: Harness, guild: FakeGuild, user_id: int, text: str) -> list[Any]:
    return await harness.run("speak", user_id=user_id, guild=guild, text=text)


def tts_requests(fakefish: Any) -> list[Any]:
    return fakefish.requests_for("tts")


async def used(bot: Any, guild: FakeGuild, user_id: int) -> int:
    return (await bot.usage.member_today(user_id, guild.id)).used["tts_bytes"]


async def outcomes(bot: Any) -> list[tuple[int, str]]:
    async with bot.db.session() as session:
        rows = (await session.scalars(select(UsageEvent).order_by(UsageEvent.id))).all()
    return [(r.amount, r.outcome) for r in rows]


async def test_played_clip_keeps_its_reservation(bot, harness, guild, fakefish) -> None:
    user_id = in_voice(guild)
    await speak(harness, guild, user_id, "Hello there, this is fishbot.")
    session = bot.voice_sessions.get(guild.id)
    await wait_for(lambda: session.clips_played == 1)
    assert await used(bot, guild, user_id) == 29
    assert await outcomes(bot) == [(29, "ok")]


async def test_over_quota_is_refused_before_fish_or_voice(bot, harness, guild, fakefish) -> None:
    user_id = in_voice(guild)
    sent = await speak(harness, guild, user_id, "xy" * 101)  # (a run of one letter is capped at 3)
    assert len(sent) == 1 and sent[0].ephemeral and sent[0].callback_type == 4
    assert "daily quota of speech is used up" in sent[0].content and "200 bytes" in sent[0].content
    assert tts_requests(fakefish) == []
    assert bot.voice_sessions.get(guild.id) is None  # didn't join for nothing
    assert await outcomes(bot) == [(202, "denied")]


async def test_failed_clip_gives_the_quota_back(bot, harness, guild, fakefish) -> None:
    fakefish.fail("tts", status=401)
    user_id = in_voice(guild)
    await speak(harness, guild, user_id, "this one fails")
    session = bot.voice_sessions.get(guild.id)
    await wait_for(lambda: session.clips_played == 1)
    assert len(tts_requests(fakefish)) == 1
    assert await used(bot, guild, user_id) == 0
    assert await outcomes(bot) == [(14, "failed")]


async def test_stop_releases_what_never_played(bot, harness, guild, fakefish) -> None:
    fakefish.rtf = 1.0  # real time: the first clip is still playing when we stop
    user_id = in_voice(guild)
    for text in ["one " * 30, "two", "three"]:
        await speak(harness, guild, user_id, text)
    session = bot.voice_sessions.get(guild.id)
    await wait_for(lambda: session.current is not None and session.current.played)
    await harness.run("stop", user_id=user_id, guild=guild)
    await wait_for(lambda: session.current is None)
    await bot.usage.drain()
    assert sorted(await outcomes(bot)) == [(3, "skipped"), (5, "skipped"), (119, "ok")]
    assert await used(bot, guild, user_id) == 119  # "one " * 30, stripped


async def test_leaving_releases_the_queue(bot, harness, guild, fakefish) -> None:
    fakefish.rtf = 1.0
    user_id = in_voice(guild)
    for text in ["one " * 30, "waiting"]:
        await speak(harness, guild, user_id, text)
    session = bot.voice_sessions.get(guild.id)
    await wait_for(lambda: session.current is not None and session.current.played)
    await session.close()
    await bot.usage.drain()
    assert sorted(await outcomes(bot)) == [(7, "skipped"), (119, "ok")]


async def test_repeated_short_phrase_reaches_fish_once(bot, harness, guild, fakefish) -> None:
    user_id = in_voice(guild)
    await speak(harness, guild, user_id, "Alice said")
    session = bot.voice_sessions.get(guild.id)
    await wait_for(lambda: session.clips_played == 1)
    await speak(harness, guild, user_id, "Alice said")
    await wait_for(lambda: session.clips_played == 2)
    assert len(tts_requests(fakefish)) == 1
    client = bot.get_guild(guild.id).voice_client
    audio = [data for _, data in client.packets if data != SILENCE]
    assert len(audio) % 2 == 0 and audio[: len(audio) // 2] == audio[len(audio) // 2:]
    assert await outcomes(bot) == [(10, "ok"), (10, "cached")]
    assert await used(bot, guild, user_id) == 10  # the cached one cost nothing
    assert (bot.tts_cache.hits, bot.tts_cache.misses) == (1, 1)
    # Long texts are not cached: each one is a Fish request.
    long_text = "a sentence longer than the cache limit"  + "!" * 5
    for n in (3, 4):
        await speak(harness, guild, user_id, long_text)
        await wait_for(lambda n=n: session.clips_played == n)
    assert len(tts_requests(fakefish)) == 3


async def test_skipped_download_is_not_cached(bot, harness, guild, fakefish) -> None:
    fakefish.rtf = 1.0
    fakefish.ms_per_char = 400.0  # a short text that still takes seconds to stream
    user_id = in_voice(guild)
    await speak(harness, guild, user_id, "cut short")
    session = bot.voice_sessions.get(guild.id)
    await wait_for(lambda: len(bot.get_guild(guild.id).voice_client.packets) > 5)
    await harness.run("skip", user_id=user_id, guild=guild)
    await wait_for(lambda: session.clips_played == 1)
    assert len(bot.tts_cache) == 0


async def test_file_replies_use_the_cache_and_the_quota(bot, harness, guild, fakefish) -> None:
    user_id = guild.add_member(snowflake(), "Bob")  # not in voice: /speak answers with a file
    first = await speak(harness, guild, user_id, "file please")
    second = await speak(harness, guild, user_id, "file please")
    assert first[-1].file_bytes() == second[-1].file_bytes()
    assert len(tts_requests(fakefish)) == 1
    assert await outcomes(bot) == [(11, "ok"), (11, "cached")]
    fakefish.fail("tts", status=401)
    failed = await speak(harness, guild, user_id, "this fails")
    assert "API key" in failed[-1].content
    assert await used(bot, guild, user_id) == 11
    assert (await outcomes(bot))[-1] == (10, "failed")


async def test_speak_has_a_per_member_cooldown(bot, harness, guild, fakefish) -> None:
    from bot.usage.cooldowns import COOLDOWNS

    rate, _ = COOLDOWNS["speak"]
    user_id = guild.add_member(snowflake(), "Bob")
    for n in range(rate):
        await speak(harness, guild, user_id, f"message {n}")
    refused = await speak(harness, guild, user_id, "one too many")
    assert refused[0].content.startswith("Slow down") and refused[0].ephemeral
    assert len(tts_requests(fakefish)) == rate
