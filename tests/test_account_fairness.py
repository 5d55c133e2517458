"""Servers take turns for the account's Fish slots (issue 25), through the real speech path: the
synthesizer names the server whose turn a TTS request takes, so one server's backlog of narration
and file renders cannot starve another server's /speak. One slot (the stand-in and the bot both
limited to 1) makes the order Fish is asked in the order of the line."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import discord
import pytest

from bot.config import Settings
from bot.fish.admission import owner_of
from tests.bot_fixtures import make_settings
from tests.discord_harness import FakeGuild, events_handled, message_payload, snowflake, wait_for
from tests.discord_internals import gateway_event

MANAGE = discord.Permissions(manage_guild=True).value
B_TEXT = "Server B would like a word, please."


@pytest.fixture
def bot_settings(fakefish: Any, tmp_path: Path) -> Settings:
    fakefish.max_concurrency = 1
    fakefish.ms_per_char = 5.0  # short clips keep the test quick
    fakefish.min_seconds = 0.2
    return make_settings(fakefish.base_url, tmp_path, narration={"enabled": True},
                         fish={"timeout_s": 5.0, "max_concurrency": 1},
                         speak={"stall_timeout_s": 5.0, "idle_timeout_s": 60.0})


def tts_texts(fakefish: Any) -> list[str]:
    return [r.body["text"] for r in fakefish.requests_for("tts")]


async def test_a_servers_backlog_does_not_starve_another_servers_speak(bot, harness, fakefish) -> None:
    gate = bot.fish.gate
    # Server A: narration in its voice channel, and members outside voice asking for files.
    a = FakeGuild(bot)
    reader = a.add_member(snowflake(), "Ann")
    a.put_in_voice(reader, a.add_channel("Voice", kind=2))
    await harness.run("join", user_id=reader, guild=a)
    await harness.run("narrate start", user_id=reader, guild=a, permissions=MANAGE)
    # The test holds the account's one slot: everything below waits in line, in the order asked.
    held = await gate.acquire(owner="test")
    for n in range(3):
        gateway_event(bot, "message_create",
                      message_payload(a, author_id=reader, content=f"Narrated message number {n}."))
    await events_handled()
    files = [a.add_member(snowflake(), f"Filer {n}") for n in range(5)]
    renders = [asyncio.create_task(harness.run("speak", user_id=member, guild=a, text=f"A file, number {n}."))
               for n, member in enumerate(files)]
    await wait_for(lambda: gate.waiting == 6)  # A's current clip (one at a time) and its five files
    # Server B, cold: /speak joins its channel and asks Fish, in B's turn.
    b = FakeGuild(bot)
    speaker = b.add_member(snowflake(), "Bea")
    b.put_in_voice(speaker, b.add_channel("Voice", kind=2))
    speak_b = asyncio.create_task(harness.run("speak", user_id=speaker, guild=b, text=B_TEXT))
    await wait_for(lambda: gate.waiting == 7)
    held.release()

    session_b = None

    def b_heard() -> bool:
        nonlocal session_b
        session_b = bot.voice_sessions.get(b.id)
        return session_b is not None and session_b.clips_played == 1

    await wait_for(b_heard, timeout=30)
    await asyncio.gather(speak_b, *renders)
    await wait_for(lambda: len(tts_texts(fakefish)) == 9, timeout=30)  # 3 narrated, 5 files, B
    texts = tts_texts(fakefish)
    # A had six requests in line before B asked; B's came second: A's turn, then B's.
    assert texts.index(B_TEXT) == 1
    assert texts[0].endswith("Narrated message number 0.")
    assert fakefish.concurrency_refusals == 0 and fakefish.peak_in_flight == 1
    assert gate.in_use == 0 and gate.waiting == 0
    files_sent = [s for s in harness.sent if s.files]
    assert len(files_sent) == 5  # A's backlog was served too, only not ahead of B


def test_a_servers_requests_share_one_turn() -> None:
    # What the synthesizer names (bot/tts/synthesizer.py): the server, or the member's DMs.
    assert owner_of(1, 7) == owner_of(1, 8) != owner_of(2, 7)
    assert owner_of(None, 7) != owner_of(None, 8)
