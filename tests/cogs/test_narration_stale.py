"""Narrated messages that waited too long are skipped, not read minutes late (issue 25): behind
the account's Fish line, then behind each other. The server's `max_wait` (default 30 s, 0: never)
is judged by the project clock, which the tests move instead of waiting."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot import clock
from bot.config import Settings
from bot.spoken.settings import NAMESPACE, ServerSpeech
from tests.discord_harness import events_handled, wait_for
from tests.helpers.narration import ANN, BOB, MANAGE, settings_for, settle, spoken
from tests.rest_recorder import RestRecorder


@pytest.fixture
def bot_settings(fakefish: Any, tmp_path: Path) -> Settings:
    fakefish.ms_per_char = 5.0
    fakefish.min_seconds = 0.2
    return settings_for(fakefish.base_url, tmp_path)


async def backlog_then_later(bot: Any, room: Any, set_now: Any) -> list[dict[str, Any]]:
    """Ann's message waits in Fish's line (the account's slots held by other servers) while Bob
    writes three more; 31 s later Ann writes again, and Fish's line moves."""
    gate = bot.fish.gate
    held = [await gate.acquire(owner=f"server {n}") for n in range(gate.limit)]
    room.say(ANN, "first")
    await wait_for(lambda: gate.waiting == 1)  # its clip, in line for a slot
    waited = [room.say(BOB, f"old news {n}") for n in range(3)]
    await events_handled()
    set_now(clock.utc_now() + timedelta(seconds=31))
    room.say(ANN, "fresh")
    await events_handled()
    for slot in held:
        slot.release()
    await settle(bot)
    return waited


async def test_messages_that_waited_too_long_are_skipped_with_a_count(bot, room, guild, fakefish,
                                                                      monkeypatch, set_now) -> None:
    rest = RestRecorder(bot, monkeypatch)
    await room.join_and_bind()
    waited = await backlog_then_later(bot, room, set_now)
    said = spoken(fakefish)
    # Ann's first message was asked of Fish in its time, but its audio came after it: not read.
    assert len(said) == 2 and said[0].endswith("first") and said[1].endswith("fresh")
    session = bot.voice_sessions.get(guild.id)
    # One notice for Ann's, then one under the latest of Bob's three, each with its count.
    first, bobs = rest.messages
    assert first[0] == bobs[0] == room.text
    assert first[1]["content"] == ("I couldn't read this aloud: it waited longer than 30 s behind other "
                                   "speech (1 message skipped).")
    assert str(bobs[1]["message_reference"]["message_id"]) == waited[-1]["id"]
    assert bobs[1]["content"] == ("I couldn't read this aloud: it waited longer than 30 s behind other "
                                  "speech (3 messages skipped).")
    assert bobs[1]["allowed_mentions"] == {"parse": [], "replied_user": False}
    # Fish was never asked for Bob's: his quota is untouched (Ann's first was billed by Fish).
    await bot.usage.drain()
    assert (await bot.usage.member_today(BOB, guild.id)).used["tts_bytes"] == 0
    assert session.clips_played == 2  # the skipped first one and "fresh"


async def test_max_wait_is_a_server_setting_and_zero_reads_everything(bot, room, guild, fakefish,
                                                                      monkeypatch, set_now) -> None:
    rest = RestRecorder(bot, monkeypatch)
    sent = await room.harness.run("settings narration", user_id=ANN, guild=guild, permissions=MANAGE,
                                  max_wait=45)
    fields = {field.name: field.value for field in sent[-1].embeds[0].fields}
    assert fields["Skipped when unread after"] == "45 s"
    sent = await room.harness.run("settings narration", user_id=ANN, guild=guild, permissions=MANAGE,
                                  max_wait=0)
    fields = {field.name: field.value for field in sent[-1].embeds[0].fields}
    assert fields["Skipped when unread after"] == "never"
    assert (await bot.store.get_guild(guild.id, NAMESPACE, ServerSpeech)).max_wait_s == 0
    await room.join_and_bind()
    await backlog_then_later(bot, room, set_now)
    said = spoken(fakefish)
    assert [text.rsplit(": ", 1)[-1] for text in said] == ["first", "old news 0", "old news 1", "old news 2",
                                                           "fresh"]
    assert rest.messages == []


def test_thirty_seconds_by_default() -> None:
    assert ServerSpeech().max_wait_s == 30
