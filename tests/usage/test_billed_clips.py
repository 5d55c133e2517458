"""Nothing Fish billed goes uncounted: a clip whose Fish request had gone out (fetched ahead while
another clip played, or the cold-start head start) and is then stopped, skipped, deleted or
edited is recorded as "spent" and keeps its quota; only what Fish was never asked for is given
back ("skipped"). Asserted on the usage ledger and on the Fish stand-in's request log (each
request it received, and charged for, is one the bot counts)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.storage.models import UsageEvent
from bot.usage.billing import billed_bytes
from bot.voice.request import SpeakRequest
from tests.bot_fixtures import make_settings
from tests.discord_harness import FakeGuild, Harness, events_handled, snowflake, wait_for
from tests.discord_internals import gateway_event
from tests.helpers.narration import ANN, Room

LONG = "one " * 30  # about 8 s of speech: it plays on while the next clip is fetched


@pytest.fixture
def bot_settings(fakefish: Any, tmp_path: Path) -> Settings:
    return make_settings(
        fakefish.base_url, tmp_path, narration={"enabled": True},
        speak={"stall_timeout_s": 2.0, "idle_timeout_s": 60.0, "alone_leave_delay_s": 5.0},
        fish={"timeout_s": 5.0, "max_retries": 0},
        quotas={"tts_bytes_per_member": 1000, "tts_bytes_per_guild": 5000},
        credits={"tts_cache_max_chars": 0},  # every clip is a Fish request
    )


def in_voice(guild: FakeGuild) -> int:
    user_id = guild.add_member(snowflake(), "Alice")
    guild.put_in_voice(user_id, guild.add_channel("Voice", kind=2))
    return user_id


async def outcomes(bot: Any) -> list[tuple[int, str]]:
    await bot.usage.drain()
    async with bot.db.session() as session:
        rows = (await session.scalars(select(UsageEvent).order_by(UsageEvent.id))).all()
    return sorted((r.amount, r.outcome) for r in rows)


async def used(bot: Any, guild: FakeGuild, user_id: int) -> int:
    await bot.usage.drain()
    return (await bot.usage.member_today(user_id, guild.id)).used["tts_bytes"]


def asked(fakefish: Any) -> list[str]:
    """What Fish was asked to say, in order: every one of these was charged."""
    requests = fakefish.requests_for("tts")
    assert all(r.status == 200 and r.charged > 0 for r in requests)
    return [r.body["text"] for r in requests]


def fetched(fakefish: Any, text: str) -> bool:
    """The stand-in has sent the whole clip for `text`."""
    return any(r.body["text"] == text and r.finished_at is not None for r in fakefish.requests_for("tts"))


def charged(fakefish: Any, text: str) -> bool:
    """The stand-in received the request for `text` and charged for it."""
    return any(r.body["text"] == text and r.charged > 0 for r in fakefish.requests_for("tts"))


def fetched_ahead(session: Any, fakefish: Any, text: str) -> bool:
    """The next clip, `text`, was fetched ahead to its end while the current one plays."""
    ahead = session.prefetched
    return (session.current is not None and session.current.played and ahead is not None
            and ahead.request.text.endswith(text) and ahead.downloaded and fetched(fakefish, text))


async def speak(harness: Harness, guild: FakeGuild, user_id: int, text: str) -> None:
    sent = await harness.run("speak", user_id=user_id, guild=guild, text=text)
    assert "Speaking now" in sent[-1].content or "Queued" in sent[-1].content


async def test_a_clip_fetched_ahead_then_stopped_is_spent(bot, harness, guild, fakefish) -> None:
    user_id = in_voice(guild)
    for text in [LONG, "two", "three"]:
        await speak(harness, guild, user_id, text)
    session = bot.voice_sessions.get(guild.id)
    await wait_for(lambda: fetched_ahead(session, fakefish, "two"))
    await harness.run("stop", user_id=user_id, guild=guild)
    await wait_for(lambda: session.current is None)
    # "two" was fetched (and billed) while the first played: counted. "three" never reached Fish.
    assert asked(fakefish) == [LONG.strip(), "two"]
    assert await outcomes(bot) == [(3, "spent"), (5, "skipped"), (119, "ok")]
    assert await used(bot, guild, user_id) == 119 + 3


async def test_closing_the_session_counts_the_clip_fetched_ahead(bot, harness, guild, fakefish) -> None:
    user_id = in_voice(guild)
    for text in [LONG, "two"]:
        await speak(harness, guild, user_id, text)
    session = bot.voice_sessions.get(guild.id)
    await wait_for(lambda: fetched_ahead(session, fakefish, "two"))
    await session.close()
    assert asked(fakefish) == [LONG.strip(), "two"]
    assert await outcomes(bot) == [(3, "spent"), (119, "ok")]


async def test_a_cold_start_skipped_before_its_audio_is_spent(bot, harness, guild, fakefish) -> None:
    fakefish.ttfb = 30.0  # Fish has the text, and its audio is yet to come
    user_id = in_voice(guild)
    await speak(harness, guild, user_id, "the head start")
    session = bot.voice_sessions.get(guild.id)
    await wait_for(lambda: charged(fakefish, "the head start"))
    sent = await harness.run("skip", user_id=user_id, guild=guild)
    assert "Skipped Alice" in sent[-1].content
    assert await fakefish.wait_disconnect("tts", timeout=5)  # the stream was closed at once
    await wait_for(lambda: session.current is None)
    assert asked(fakefish) == ["the head start"]
    assert await outcomes(bot) == [(14, "spent")]
    assert await used(bot, guild, user_id) == 14


async def test_a_head_start_behind_another_request_is_kept_not_asked_for_twice(bot, harness, guild,
                                                                                fakefish) -> None:
    """The rare race of a cold /speak: someone else's request got into the new session first. Its
    clip, already fetching, waits for its turn instead of being dropped and asked for again."""
    user_id = in_voice(guild)
    await speak(harness, guild, user_id, LONG)
    session = bot.voice_sessions.get(guild.id)
    await speak(harness, guild, user_id, "in between")
    reservation = await bot.usage.reserve(kind="tts_bytes", amount=billed_bytes("the racer"),
                                          user_id=user_id, guild_id=guild.id)
    request = SpeakRequest(spec=bot.speech.spec("the racer"), requester_id=user_id, requester_name="Alice",
                           on_outcome=reservation.finish)
    started = bot.voice_sessions.head_start(request, guild.id)
    await wait_for(lambda: charged(fakefish, "the racer"))  # Fish has it while the join goes on
    assert session.enqueue(request, started=started) == 2
    await wait_for(lambda: session.clips_played == 3, timeout=30)
    assert asked(fakefish).count("the racer") == 1
    assert await outcomes(bot) == [(9, "ok"), (10, "ok"), (119, "ok")]


# --- narration: deletes and edits of a message fetched ahead -----------------------------------------


@pytest.fixture
def room(bot: Any, harness: Harness, guild: FakeGuild, fakefish: Any) -> Room:
    return Room(bot, harness, guild)


async def narrated(room: Room, fakefish: Any) -> tuple[Any, dict[str, Any]]:
    """A long first message playing, and a second one fetched ahead to its end."""
    await room.join_and_bind()
    room.say(ANN, LONG)
    second = room.say(ANN, "second message")
    session = room.bot.voice_sessions.get(room.guild.id)
    await wait_for(lambda: fetched_ahead(session, fakefish, "second message"))
    return session, second


def edit(room: Room, payload: dict[str, Any], **changes: Any) -> None:
    gateway_event(room.bot, "message_update", dict(payload, edited_timestamp="2026-11-25T12:01:00+00:00",
                                                   **changes))


async def test_a_deleted_message_fetched_ahead_is_spent(bot, room, guild, fakefish) -> None:
    session, second = await narrated(room, fakefish)
    gateway_event(bot, "message_delete", {"id": second["id"], "channel_id": second["channel_id"],
                                          "guild_id": str(guild.id)})
    await events_handled()
    assert session.waiting(int(second["id"])) is None
    await session.close()
    assert asked(fakefish) == [f"ann said: {LONG.strip()}", "second message"]
    assert await outcomes(bot) == [(14, "spent"), (129, "ok")]


async def test_an_edit_asks_again_only_when_the_words_changed(bot, room, guild, fakefish) -> None:
    session, second = await narrated(room, fakefish)
    # A link preview (an embed) arrives: the same words, so nothing is asked again.
    edit(room, second, embeds=[{"type": "rich", "title": "an embed"}])
    await events_handled()
    assert asked(fakefish) == [f"ann said: {LONG.strip()}", "second message"]
    # Edited words: the version Fish already answered for is spent, the edit is asked for and paid.
    edit(room, second, content="second message, edited")
    await events_handled()
    await wait_for(lambda: fetched(fakefish, "second message, edited"))
    await session.close()
    assert asked(fakefish) == [f"ann said: {LONG.strip()}", "second message", "second message, edited"]
    assert await outcomes(bot) == [(14, "spent"), (22, "spent"), (129, "ok")]
    assert await used(bot, guild, ANN) == 129 + 14 + 22
