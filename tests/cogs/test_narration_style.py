"""A member's default style (`/voice style`) in narration: when the server allows expressive cues,
each message they write is read with their cue, written the way the bot's model takes it (the
stand-in proves the model acts on it rather than reading it aloud); when the server doesn't, no cue
reaches Fish. Gateway messages through discord.py's parsers, commands through the CommandTree."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from tests.bot_fixtures import make_settings
from tests.discord_harness import wait_for
from tests.fakefish.expressive import performance_of
from tests.helpers.narration import ANN, BOB, MANAGE, spoken

MODELS = {  # the bot's model → the style Ann picks and how Fish gets it
    "s2.1-pro": ("whispering", "[whispering] Bring the map."),
    "s1": ("whisper", "(whispering) Bring the map."),
    "drama-3-preview": ("<whisper>", "<whisper>Bring the map.</whisper>"),
}


pytestmark = pytest.mark.usefixtures("before_s1_retires")


@pytest.fixture(params=sorted(MODELS))
def model(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def bot_settings(fakefish: Any, tmp_path: Path, model: str) -> Settings:
    fakefish.ms_per_char = 5.0  # short clips keep the test quick
    fakefish.min_seconds = 0.2
    return make_settings(fakefish.base_url, tmp_path, narration={"enabled": True},
                         speak={"stall_timeout_s": 2.0, "idle_timeout_s": 60.0, "alone_leave_delay_s": 5.0},
                         fish={"timeout_s": 5.0, "max_retries": 0, "model": model})


async def test_narration_reads_a_members_default_style_only_where_cues_are_allowed(
        bot, room, guild, fakefish, model) -> None:
    style, expected = MODELS[model]
    await room.join_and_bind()
    await room.harness.run("settings narration", user_id=ANN, guild=guild, permissions=MANAGE,
                           announce_names=False)
    chosen = await room.harness.run("voice style", user_id=ANN, guild=guild, style=style)
    assert "default style is now" in chosen[-1].content

    room.say(ANN, "Meet me at noon.")  # the server hasn't turned expressive cues on
    await wait_for(lambda: len(spoken(fakefish)) == 1)
    assert spoken(fakefish) == ["Meet me at noon."]

    await room.harness.run("settings narration", user_id=ANN, guild=guild, permissions=MANAGE,
                           expressive_cues=True)
    room.say(ANN, "Bring the map.")
    room.say(BOB, "See you there.")  # Bob has no default style
    await wait_for(lambda: len(spoken(fakefish)) == 3)
    assert spoken(fakefish)[1:] == [expected, "See you there."]
    requests = fakefish.requests_for("tts")
    assert {r.model for r in requests} == {model}
    heard = performance_of(requests[1])
    assert len(heard.cues) == 1 and heard.spoken == "Bring the map."
    assert [performance_of(r).cues for r in (requests[0], requests[2])] == [[], []]

    await room.harness.run("settings narration", user_id=ANN, guild=guild, permissions=MANAGE,
                           expressive_cues=False)
    room.say(ANN, "Bring the compass.")
    await wait_for(lambda: len(spoken(fakefish)) == 4)
    assert spoken(fakefish)[3] == "Bring the compass."
    session = bot.voice_sessions.get(guild.id)
    if session is not None:
        await session.close()
