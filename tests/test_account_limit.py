"""The account's concurrency limit through the whole bot (issue 25): many servers /speak at once on
a Starter account and every one is heard, with no 429 from Fish; a tier lower than configured costs
refusals that go back in line, not clips. Two real processes: tests/test_account_limit_processes.py."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from tests.bot_fixtures import make_settings
from tests.discord_harness import FakeGuild, Harness, snowflake, wait_for
from tests.helpers.speak import heard

TEXT = "Every server that asks is heard, in turn."


@pytest.fixture
def bot_settings(fakefish: Any, tmp_path: Path) -> Settings:
    # The default stall time-out: the clips of the last wave wait in line for a while.
    return make_settings(fakefish.base_url, tmp_path, fish={"timeout_s": 5.0, "max_concurrency": 5},
                         speak={"idle_timeout_s": 60.0})


async def speak_everywhere(bot: Any, harness: Harness, servers: int) -> list[FakeGuild]:
    guilds = []
    for _ in range(servers):
        guild = FakeGuild(bot)
        member = guild.add_member(snowflake(), "Alice")
        guild.put_in_voice(member, guild.add_channel("Voice", kind=2))
        guilds.append((guild, member))
    # A text of its own each: none may come from the TTS cache.
    await asyncio.gather(*(harness.run("speak", user_id=member, guild=guild, text=f"{TEXT} Server {n}.")
                           for n, (guild, member) in enumerate(guilds)))
    return [guild for guild, _ in guilds]


async def test_fifteen_servers_at_once_on_a_starter_account_are_all_heard(bot, harness, fakefish) -> None:
    fakefish.max_concurrency = 5  # Starter
    fakefish.rtf = 0.2  # each clip streams for a while: the requests overlap
    guilds = await speak_everywhere(bot, harness, 15)
    await wait_for(lambda: all(heard(bot, guild) for guild in guilds), timeout=60)
    assert fakefish.concurrency_refusals == 0
    assert [r.status for r in fakefish.requests_for("tts")] == [200] * 15
    assert fakefish.peak_in_flight == 5  # the account's slots were used, never exceeded
    assert bot.fish.gate.refusals == 0 and bot.fish.gate.in_use == 0


async def test_a_lower_tier_than_configured_costs_refusals_not_clips(bot, harness, fakefish) -> None:
    fakefish.max_concurrency = 2  # configured 5; the account (or another program) allows 2
    fakefish.rtf = 0.2
    guilds = await speak_everywhere(bot, harness, 8)
    await wait_for(lambda: all(heard(bot, guild) for guild in guilds), timeout=60)
    assert fakefish.concurrency_refusals > 0
    assert bot.fish.gate.refusals == fakefish.concurrency_refusals  # each went back in line
    assert len([r for r in fakefish.requests_for("tts") if r.status == 200]) == 8
    assert bot.fish.gate.limit <= 2
