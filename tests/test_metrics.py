"""The optional Prometheus endpoint: scraped over HTTP and parsed with prometheus_client's own
parser after real /speak traffic against the stand-ins; /healthz follows the gateway."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.config import Settings
from tests.bot_fixtures import make_settings
from tests.discord_harness import snowflake, wait_for
from tests.discord_internals import mark_ready
from tests.helpers.cli import fishbot


@pytest.fixture
def bot_settings(fakefish: Any, tmp_path: Path) -> Settings:
    return make_settings(fakefish.base_url, tmp_path, metrics={"port": 0},
                         fish={"timeout_s": 5.0, "max_retries": 0})


async def scrape(bot: Any) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    server = bot.metrics_server
    async with httpx.AsyncClient() as client:
        response = await client.get(f"http://{server.host}:{server.port}/metrics")
    assert response.status_code == 200
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: dict[Any, float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_metrics_after_speech_and_a_fish_error(bot, harness, guild, fakefish) -> None:
    assert bot.metrics_server.host == "127.0.0.1"  # localhost unless configured
    before = await scrape(bot)
    assert value(before, "fishbot_voice_sessions") == 0
    member = guild.add_member(snowflake(), "Alice")
    guild.put_in_voice(member, guild.add_channel("Voice", kind=2))
    text = "Counting what this costs."
    await harness.run("speak", user_id=member, guild=guild, text=text)
    session = bot.voice_sessions.get(guild.id)
    await wait_for(lambda: session.clips_played == 1)
    await bot.usage.drain()

    during = await scrape(bot)
    assert value(during, "fishbot_voice_sessions") == 1
    assert value(during, "fishbot_voice_streams") == 0 and value(during, "fishbot_queue_length") == 0
    grew = {name: value(during, name) - value(before, name) for name in (
        "fishbot_fish_ttfb_seconds_count", "fishbot_speech_overhead_seconds_count",
        "fishbot_voice_frames_total")}
    assert grew["fishbot_fish_ttfb_seconds_count"] == 1
    assert grew["fishbot_speech_overhead_seconds_count"] == 1
    assert grew["fishbot_voice_frames_total"] == len([p for p in session.voice.packets
                                                      if p[1] != b"\xf8\xff\xfe"])
    spent = (value(during, "fishbot_spent_total", kind="tts_bytes")
             - value(before, "fishbot_spent_total", kind="tts_bytes"))
    assert spent == len(text)
    assert value(during, "fishbot_clips_total", outcome="ok") >= 1

    fakefish.fail("tts", status=500)
    failed = await harness.run("speak", user_id=member, guild=guild, text="this one fails")
    await wait_for(lambda: session.clips_played == 2)
    after = await scrape(bot)
    assert (value(after, "fishbot_fish_errors_total", status="500")
            - value(during, "fishbot_fish_errors_total", status="500")) == 1
    assert value(after, "fishbot_spent_total", kind="tts_bytes") == value(
        during, "fishbot_spent_total", kind="tts_bytes")  # a failure costs nothing
    assert failed  # the member was answered


async def health_command(port: int, tmp_path: Path) -> tuple[int, str]:
    """`fishbot health`, as the Dockerfile's HEALTHCHECK runs it."""
    code, out, _err = await fishbot("health", env={"FISHBOT_METRICS__PORT": str(port)}, cwd=tmp_path)
    return code, out


async def test_healthz_follows_the_gateway(bot, tmp_path: Path) -> None:
    port = bot.metrics_server.port
    url = f"http://127.0.0.1:{port}/healthz"
    async with httpx.AsyncClient() as client:
        assert (await client.get(url)).status_code == 503  # not connected yet
        assert (await health_command(port, tmp_path))[0] == 1
        mark_ready(bot)  # what discord.py does on READY
        response = await client.get(url)
        assert response.status_code == 200 and response.text == "ok\n"
        assert await health_command(port, tmp_path) == (0, "healthy: ok\n")


async def test_metrics_are_off_by_default(fakefish, tmp_path: Path) -> None:
    from tests.bot_fixtures import start_bot

    settings = make_settings(fakefish.base_url, tmp_path)
    assert settings.metrics.port is None
    bot = await start_bot(settings)
    try:
        assert bot.metrics_server is None
    finally:
        await bot.close()
