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
from bot.usage.billing import billed_bytes
from tests.discord_harness import events_handled, message_id_at, wait_for
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


async def test_a_message_replayed_after_a_resume_counts_its_wait_from_when_it_was_written(
        bot, room, guild, fakefish, monkeypatch) -> None:
    rest = RestRecorder(bot, monkeypatch)
    await room.join_and_bind()
    now = clock.utc_now()
    # After a gateway RESUME, Discord replays the messages missed meanwhile, as they were written:
    # one 31 s ago (older than max_wait), one 10 s ago. Both are queued just now.
    old = room.say(BOB, "old news", message_id=message_id_at(now - timedelta(seconds=31)))
    room.say(BOB, "recent news", message_id=message_id_at(now - timedelta(seconds=10)))
    await settle(bot)
    assert [text.rsplit(": ", 1)[-1] for text in spoken(fakefish)] == ["recent news"]
    [(channel, reply)] = rest.messages
    assert channel == room.text and str(reply["message_reference"]["message_id"]) == old["id"]
    assert reply["content"] == ("I couldn't read this aloud: it waited longer than 30 s behind other "
                                "speech (1 message skipped).")
    await bot.usage.drain()  # only what was read is counted: Fish was never asked for the old one
    used = (await bot.usage.member_today(BOB, guild.id)).used["tts_bytes"]
    assert used == billed_bytes(spoken(fakefish)[0])


def test_thirty_seconds_by_default() -> None:
    assert ServerSpeech().max_wait_s == 30


async def test_a_narrated_message_waiting_long_in_fishs_line_posts_no_place(bot, room, guild, fakefish,
                                                                            monkeypatch) -> None:
    # Members are told their place in the account's line for their own requests, not for chat being
    # read: a reply per message would fill the channel, and max_wait bounds the wait.
    rest = RestRecorder(bot, monkeypatch)
    await room.join_and_bind()
    gate = bot.fish.gate
    gate.long_wait_s = 0.0  # any wait is long
    held = [await gate.acquire(owner=f"server {n}") for n in range(gate.limit)]
    room.say(ANN, "waiting in line")
    await wait_for(lambda: gate.waiting == 1)
    await events_handled()
    for slot in held:
        slot.release()
    await settle(bot)
    assert spoken(fakefish)[-1].endswith("waiting in line")
    assert rest.messages == []
