"""Two bot instances on one PostgreSQL database, as two shard processes run: a member's voice
change through one is used by the other at once, and the /speak cooldown is one allowance across
both (not one per process)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.client import FishBot
from bot.usage.cooldowns import COOLDOWNS
from tests.bot_fixtures import make_settings, start_bot
from tests.discord_harness import FakeGuild, Harness, snowflake, wait_for
from tests.storage.conftest import (  # noqa: F401  (fixtures, registered by import)
    migrated_postgresql_url,
    postgresql_migrated_database,
)


@pytest.fixture
async def two_bots(fakefish: Any, tmp_path: Path,
                   migrated_postgresql_url: str) -> AsyncIterator[tuple[FishBot, FishBot]]:  # noqa: F811
    settings = make_settings(fakefish.base_url, tmp_path).model_copy(
        update={"database_url": migrated_postgresql_url}
    )
    bots = [await start_bot(settings), await start_bot(settings)]
    try:
        for bot in bots:
            await wait_for(bot.store.listening.is_set)
        yield bots[0], bots[1]
    finally:
        for bot in bots:
            await bot.close()


@pytest.fixture
def harnesses(two_bots: tuple[FishBot, FishBot]) -> Any:
    first, second = Harness(two_bots[0]), Harness(two_bots[1])
    first.adapter = second.adapter  # one interaction recorder is active per task: share it
    yield first, second
    second.close()
    first.close()


def tts_requests(fakefish: Any) -> list[Any]:
    return [r for r in fakefish.requests if r.endpoint == "tts"]


async def test_a_voice_change_through_one_process_is_used_by_the_other(
    two_bots, harnesses, fakefish
) -> None:
    first, second = two_bots
    on_first, on_second = harnesses
    guild_a, guild_b = FakeGuild(first), FakeGuild(second)  # one shard each
    member = snowflake()
    guild_a.add_member(member, "Alice")
    guild_b.add_member(member, "Alice")
    # The second process has the member's (default) preferences cached already.
    await on_second.run("speak", user_id=member, guild=guild_b, text="before")
    assert tts_requests(fakefish)[-1].body.get("reference_id") is None

    voice = fakefish.add_voice("Calm narrator", mine=False)
    seen = second.store.remote_changes
    sent = await on_first.run("voice set", user_id=member, guild=guild_a, voice=voice["_id"])
    assert "Your voice is now **Calm narrator**" in sent[-1].content
    await wait_for(lambda: second.store.remote_changes > seen)

    await on_second.run("speak", user_id=member, guild=guild_b, text="after")
    assert tts_requests(fakefish)[-1].body["reference_id"] == voice["_id"]


async def test_the_speak_cooldown_is_shared_by_both_processes(two_bots, harnesses, fakefish) -> None:
    first, second = two_bots
    on_first, on_second = harnesses
    guild_a, guild_b = FakeGuild(first), FakeGuild(second)
    member = snowflake()
    guild_a.add_member(member, "Bob")
    guild_b.add_member(member, "Bob")
    rate, _ = COOLDOWNS["speak"]
    for n in range(rate):
        harness, guild = (on_first, guild_a) if n % 2 else (on_second, guild_b)
        await harness.run("speak", user_id=member, guild=guild, text=f"message {n}")
    refused = await on_first.run("speak", user_id=member, guild=guild_a, text="one too many")
    assert refused[0].ephemeral and refused[0].content.startswith("Slow down")
    refused = await on_second.run("speak", user_id=member, guild=guild_b, text="and here")
    assert refused[0].content.startswith("Slow down")
    assert len(tts_requests(fakefish)) == rate
