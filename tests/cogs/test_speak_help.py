"""/speak-help: the cues per model, and a preview per cue that costs nothing the second time
(the TTS cache), through the real CommandTree against the Fish stand-in."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from bot.storage.models import UsageEvent
from tests.discord_harness import FakeGuild, snowflake
from tests.fakefish.expressive import performance_of

pytestmark = pytest.mark.usefixtures("before_s1_retires")


@pytest.fixture
def member(guild: FakeGuild) -> int:
    return guild.add_member(snowflake(), "Alice")


async def outcomes(bot: Any) -> list[str]:
    await bot.usage.drain()
    async with bot.db.session() as session:
        return [r.outcome for r in (await session.scalars(select(UsageEvent).order_by(UsageEvent.id))).all()]


@pytest.mark.parametrize(("model", "shown", "not_shown"), [
    ("s2.1-pro", "`[whispering]`", "`(happy)`"),
    ("drama-3-preview", "`<whisper>…</whisper>`", "`(happy)`"),
    ("s1", "`(happy)`", "`[whispering]`"),
])
async def test_cues_per_model(harness, guild, member, model, shown, not_shown) -> None:
    [answer] = await harness.run("speak-help", user_id=member, guild=guild, model=model)
    assert answer.ephemeral and answer.embeds[0].title == f"Delivery cues for {model}"
    assert shown in answer.text and not_shown not in answer.text
    buttons = [c for row in answer.components for c in row["components"]]
    assert 0 < len(buttons) <= 20


async def test_preview_spends_nothing_the_second_time(bot, harness, guild, member, fakefish) -> None:
    [answer] = await harness.run("speak-help", user_id=member, guild=guild, model="s1")
    first = await harness.click(answer, "cue-0", user_id=member, guild=guild)
    assert first[-1].files and first[-1].ephemeral
    [request] = fakefish.requests_for("tts")
    assert request.body["text"] == "(happy) This is how I sound like this."
    assert performance_of(request).cues == ["(happy)"]
    again = await harness.click(answer, "cue-0", user_id=member, guild=guild)
    assert again[-1].file_bytes()[0][1] == first[-1].file_bytes()[0][1]
    assert len(fakefish.requests_for("tts")) == 1  # served from the cache
    assert await outcomes(bot) == ["ok", "cached"]


@pytest.mark.parametrize("command", ["speak-help", "scene"])
async def test_a_retired_model_is_neither_offered_nor_taken(bot, harness, guild, member, command,
                                                          set_today) -> None:
    # Every command with a model option derives it from the one list, dated like /speak's.
    set_today(date(2027, 1, 1))
    offered = await harness.autocomplete(command, "model", user_id=member, guild=guild, model="")
    names = [choice["value"] for choice in offered]
    assert "s1" not in names and "s2.1-pro" in names
    [answer] = await harness.run(command, user_id=member, guild=guild, model="s1")
    assert answer.ephemeral and "retired" in answer.text and "s2.1-pro" in answer.text
