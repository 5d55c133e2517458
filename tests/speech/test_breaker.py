"""The Fish circuit breaker: alone with a hand-driven clock, then end to end through /speak against
the Fish stand-in (it opens after repeated 5xx, tells a session's members once, refuses new speech
while open, and the first success closes it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from bot.errors import FishUnavailable
from bot.fish import FishAPIError, FishConnectError, InsufficientCreditError, RateLimitError, ServerError
from bot.tts.breaker import FishBreaker
from bot.wording import describe
from tests.bot_fixtures import make_settings
from tests.discord_harness import snowflake, wait_for
from tests.helpers.speak import in_voice, speak


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_opens_after_repeated_outages_and_probes_after_a_growing_cool_off() -> None:
    clock = Clock()
    breaker = FishBreaker(failures=3, cool_off=5, max_cool_off=12, clock=clock)
    for error in (ServerError(500, "x"), FishConnectError("c")):
        breaker.check()
        breaker.failure(error)
    # Errors about the request, not about Fish being up, don't count.
    for error in (FishAPIError(400, "bad"), InsufficientCreditError(402, "x"), RateLimitError(429, "x")):
        breaker.failure(error)
    assert not breaker.is_open
    breaker.failure(ServerError(503, "x"))
    assert breaker.is_open and breaker.outage == 1
    with pytest.raises(FishUnavailable) as refused:
        breaker.check()
    assert refused.value.retry_in == 5 and "Try again in 5 s" in (describe(refused.value) or "")
    clock.now += 5
    breaker.refuse_if_open()  # the cool-off is over: queueing is allowed again
    assert breaker.check() is True  # one probe...
    with pytest.raises(FishUnavailable):
        breaker.check()  # ...at a time
    breaker.failure(ServerError(500, "x"))  # the probe failed: twice as long
    assert breaker.retry_in() == 10 and breaker.outage == 1
    clock.now += 10
    assert breaker.check() is True
    breaker.failure(FishConnectError("c"))
    assert breaker.retry_in() == 12  # capped
    clock.now += 12
    assert breaker.check() is True
    breaker.abandon()  # a skipped probe: the next request probes instead
    assert breaker.check() is True
    breaker.success()
    assert not breaker.is_open and breaker.outage is None and breaker.check() is False
    for _ in range(3):
        breaker.failure(ServerError(500, "x"))
    assert breaker.retry_in() == 5 and breaker.outage == 2  # a new outage starts from the base


@pytest.fixture
def bot_settings(fakefish: Any, tmp_path: Path) -> Settings:
    return make_settings(
        fakefish.base_url, tmp_path,
        speak={"stall_timeout_s": 5.0, "idle_timeout_s": 60.0, "alone_leave_delay_s": 0.2},
        fish={"timeout_s": 5.0, "max_retries": 0, "breaker_failures": 2, "breaker_cool_off_s": 0.5},
    )


OUTAGE = "Fish Audio isn't responding right now"


async def test_speak_through_an_outage(bot, harness, guild, fakefish) -> None:
    user_id, channel_id = in_voice(guild)
    bob = guild.add_member(snowflake(), "Bob")  # asks later (Alice's /speak cooldown is used up)
    guild.put_in_voice(bob, channel_id)
    # Fish answers 500 after a pause: all four are queued before the first one fails.
    fakefish.fail("tts", status=500, delay=0.5, times=100)
    for text in ("one", "two", "three", "four"):
        await speak(harness, guild, user_id, text)
    session = bot.voice_sessions.get(guild.id)
    await wait_for(lambda: session.clips_played == 4, timeout=20)
    notices = [s.content for s in harness.sent if s.kind == "followup"][4:]
    # The two that reached Fish say what happened; of the two refused, only the first is told.
    assert notices == ["Fish Audio had an error on its side (HTTP 500). Try again later."] * 2 + [
        notices[2]] and notices[2].startswith(OUTAGE)
    assert len(fakefish.requests_for("tts")) == 2
    # While open, new speech is refused at once, before anything is reserved or joined.
    refused = await speak(harness, guild, bob, "five")
    assert refused[-1].ephemeral and refused[-1].content.startswith(OUTAGE)
    assert len(fakefish.requests_for("tts")) == 2
    # Fish is back: after the cool-off the next request goes through and closes the breaker.
    fakefish.clear_faults("tts")
    breaker = bot.speech.synth.breaker
    await wait_for(lambda: breaker.retry_in() == 0, timeout=5)
    sent = await speak(harness, guild, bob, "six")
    assert "Speaking now" in sent[-1].content
    await wait_for(lambda: session.clips_played == 5, timeout=10)
    assert not breaker.is_open and len(fakefish.requests_for("tts")) == 3
