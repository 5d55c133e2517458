"""`fishbot run` in a child process with only Discord replaced (python -m tests.run_child):
login runs the real setup, "connect" plays a long /speak in a recorded voice channel, prints
READY and then idles like a connected gateway until the bot is closed. Used by the SIGTERM test;
everything else (signal handling, shutdown, Fish, the database) is the real `run`."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Coroutine
from typing import Any

import discord

from bot import cli
from bot.client import FishBot
from tests import discord_internals as internals
from tests.discord_harness import APPLICATION_ID, FakeGuild, Harness, snowflake, wait_for
from tests.voice_standin import RecordingVoiceClient

TEXT = "This sentence is long enough to keep the stand-in streaming for a while. " * 8


async def login(self: FishBot, token: str) -> None:
    await internals.set_up_without_login(self, APPLICATION_ID)
    await self.setup_hook()


async def connect(self: FishBot, *, reconnect: bool = True) -> None:
    self.voice_sessions.voice_client_cls = RecordingVoiceClient
    harness = Harness(self)
    guild = FakeGuild(self)
    member = guild.add_member(snowflake(), "Alice")
    guild.put_in_voice(member, guild.add_channel("Voice", kind=2))
    sent = await harness.run("speak", user_id=member, guild=guild, text=TEXT)
    assert "Speaking now" in sent[-1].content, sent[-1].content
    voice = self.get_guild(guild.id).voice_client  # type: ignore[union-attr]
    await wait_for(lambda: len(voice.packets) > 10)  # type: ignore[union-attr]
    print("READY", flush=True)
    while not self.is_closed():  # noqa: ASYNC110  (a connected gateway polls its socket)
        await asyncio.sleep(0.02)


async def no_sync(*_args: Any, **_kwargs: Any) -> list[dict[str, Any]]:
    return []


async def bot_gateway(*_args: Any) -> tuple[int, str, dict[str, int]]:
    """`GET /gateway/bot` as Discord answers it (start-up reads the session start limit)."""
    return 1, "wss://gateway.discord.gg", {"total": 1000, "remaining": 1000, "reset_after": 0,
                                           "max_concurrency": 1}


def main(play: Callable[..., Coroutine[Any, Any, None]] = connect) -> int:
    """`fishbot run` with `play` as the gateway connection (what the bot does once set up)."""
    FishBot.login = login  # type: ignore[method-assign]
    FishBot.connect = play  # type: ignore[method-assign]
    discord.http.HTTPClient.bulk_upsert_global_commands = no_sync  # type: ignore[method-assign]
    discord.http.HTTPClient.get_bot_gateway = bot_gateway  # type: ignore[method-assign]
    return cli.main(["run"])


if __name__ == "__main__":
    sys.exit(main())
