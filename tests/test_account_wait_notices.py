"""A waiting request waits; its member is told only if the wait is long, with its place in the
account's line, once, and never "try again" (issue 25) — for /speak's voice clips and file renders,
through the real speech path. One slot (the stand-in and the bot both limited to 1), held by the
test; the gate's long-wait threshold is injected (0: every wait that is still waiting when the loop
next turns is long; 60 s: none in these tests is)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from bot.voice.clip import Clip
from tests.bot_fixtures import make_settings
from tests.discord_harness import FakeGuild, Harness, Sent, snowflake, wait_for
from tests.helpers.scene import Cast, put_in_voice, scene
from tests.helpers.speak import heard
from tests.helpers.speak import in_voice as member_in_voice

PLACE = ("Fish Audio is busy with this bot's other requests: yours is number {place} in line and "
         "starts as soon as it's its turn.")


@pytest.fixture
def bot_settings(fakefish: Any, tmp_path: Path) -> Settings:
    fakefish.max_concurrency = 1
    fakefish.ms_per_char = 5.0  # short clips keep the test quick
    fakefish.min_seconds = 0.2
    return make_settings(fakefish.base_url, tmp_path, fish={"timeout_s": 5.0, "max_concurrency": 1},
                         speak={"stall_timeout_s": 5.0, "idle_timeout_s": 60.0})


def place_notices(harness: Harness) -> list[Sent]:
    return [s for s in harness.sent if "in line" in s.content]


def in_voice(bot: Any) -> tuple[FakeGuild, int]:
    guild = FakeGuild(bot)
    member, _channel = member_in_voice(guild)
    return guild, member


async def test_a_long_wait_tells_each_server_its_place_once(bot, harness, fakefish) -> None:
    gate = bot.fish.gate
    gate.long_wait_s = 0.0
    held = await gate.acquire(owner="another server")  # the account's one slot, busy for long
    a, ann = in_voice(bot)
    speak_a = asyncio.create_task(harness.run("speak", user_id=ann, guild=a, text="Server A, first in line."))
    await wait_for(lambda: len(place_notices(harness)) == 1)
    b, bea = in_voice(bot)
    speak_b = asyncio.create_task(harness.run("speak", user_id=bea, guild=b, text="Server B, next."))
    await wait_for(lambda: len(place_notices(harness)) == 2)
    first, second = place_notices(harness)
    assert first.content == PLACE.format(place=1) and second.content == PLACE.format(place=2)
    assert first.kind == second.kind == "followup" and first.ephemeral and second.ephemeral
    assert fakefish.requests_for("tts") == []  # told while waiting, not after
    held.release()
    await asyncio.gather(speak_a, speak_b)
    await wait_for(lambda: heard(bot, a) and heard(bot, b), timeout=30)
    # B moved up to first in line meanwhile: not told again.
    assert len(place_notices(harness)) == 2
    assert not any("try again" in s.content.lower() for s in harness.sent)
    assert [r.status for r in fakefish.requests_for("tts")] == [200, 200]


async def test_a_request_back_in_line_after_a_refusal_is_not_told_twice(bot, harness, fakefish) -> None:
    gate = bot.fish.gate
    gate.long_wait_s = 0.0
    held = await gate.acquire(owner="another server")
    fakefish.fail("tts", status=429)  # Fish refuses it once it is admitted: back in line, paused
    guild, member = in_voice(bot)
    await harness.run("speak", user_id=member, guild=guild, text="Refused once, then heard.")
    await wait_for(lambda: len(place_notices(harness)) == 1)
    held.release()
    await wait_for(lambda: heard(bot, guild), timeout=30)
    assert [r.status for r in fakefish.requests_for("tts")] == [429, 200]
    assert gate.refusals == 1  # it waited in line a second time (the back-off), long again
    assert [s.content for s in place_notices(harness)] == [PLACE.format(place=1)]


@pytest.mark.usefixtures("before_s1_retires")
async def test_a_scenes_clips_tell_their_place_once(bot, harness, fakefish, monkeypatch) -> None:
    gate = bot.fish.gate
    gate.long_wait_s = 0.0
    reported: list[int] = []  # each long wait the voice layer reported
    report = Clip._in_line

    async def spy(clip: Clip, place: int) -> None:
        reported.append(place)
        await report(clip, place)

    monkeypatch.setattr(Clip, "_in_line", spy)
    guild = FakeGuild(bot)
    cast = Cast(bot, guild, fakefish)
    await cast.give_voices()
    put_in_voice(guild, cast.ann)
    held = await gate.acquire(owner="another server")
    playing = asyncio.create_task(scene(harness, guild, cast.ann, "Ann: One.\nNarrator: Two.", model="s1"))
    await wait_for(lambda: reported == [1])  # the scene's first clip waits behind the held slot
    again = asyncio.create_task(gate.acquire(owner="another server"))  # in line behind it
    await wait_for(lambda: gate.waiting == 2)
    held.release()
    slot = await again  # the first clip's audio is in: the second clip waits behind this one
    await wait_for(lambda: len(reported) == 2)
    slot.release()
    await playing
    session = bot.voice_sessions.get(guild.id)
    await wait_for(lambda: session.clips_played == 2, timeout=30)
    assert [s.content for s in place_notices(harness)] == [PLACE.format(place=1)]  # one scene, one notice


async def test_a_file_render_shows_its_place_in_the_deferred_reply(bot, harness, fakefish) -> None:
    gate = bot.fish.gate
    gate.long_wait_s = 0.0
    held = await gate.acquire(owner="another server")
    guild = FakeGuild(bot)
    member = guild.add_member(snowflake(), "Outside")  # not in voice: /speak answers with a file
    render = asyncio.create_task(harness.run("speak", user_id=member, guild=guild, text="As a file, please."))
    await wait_for(lambda: len(place_notices(harness)) == 1)
    notice = place_notices(harness)[0]
    assert notice.kind == "edit_original" and notice.content == PLACE.format(place=1)
    assert not render.done()
    held.release()
    sent = await render
    assert sent[0].kind == "response"  # deferred first, then the place, then the file
    assert [s.kind for s in sent[1:]] == ["edit_original", "followup"] and sent[-1].files
    assert len(place_notices(harness)) == 1


async def test_a_short_wait_is_not_told(bot, harness, fakefish) -> None:
    gate = bot.fish.gate
    gate.long_wait_s = 60.0
    held = await gate.acquire(owner="another server")
    guild, member = in_voice(bot)
    outside = guild.add_member(snowflake(), "Outside")
    speak = asyncio.create_task(harness.run("speak", user_id=member, guild=guild, text="A short wait."))
    render = asyncio.create_task(harness.run("speak", user_id=outside, guild=guild, text="A short file."))
    await wait_for(lambda: gate.waiting == 2)  # both waited in line
    held.release()
    await asyncio.gather(speak, render)
    await wait_for(lambda: heard(bot, guild), timeout=30)
    assert place_notices(harness) == []
    assert not any(s.kind == "edit_original" for s in harness.sent)
