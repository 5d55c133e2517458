"""`fishbot run` in a child process with only Discord replaced (python -m tests.account_limit_child),
for the account-limit tests with real processes: once set up it makes GATE_SERVERS servers, each
with a member in voice, prints READY, and on each GO line from stdin /speaks GATE_TEXT in all of
them at once, printing WAITING if one of them waits in the admission gate's line and HEARD <n>
when every one has been heard. Everything else (the admission gate, Fish, PostgreSQL, the voice
pipeline) is the real `run` (tests/run_child.py's, with this connection)."""

from __future__ import annotations

import asyncio
import os
import sys

from bot.client import FishBot
from tests import run_child
from tests.discord_harness import FakeGuild, Harness, snowflake, wait_for
from tests.voice_standin import RecordingVoiceClient

TEXT = "Two processes, one account: every server is heard."


def heard(bot: FishBot, guild: FakeGuild, clips: int) -> bool:
    session = bot.voice_sessions.get(guild.id)
    return session is not None and session.clips_played >= clips


async def report_waiting(bot: FishBot) -> None:
    """WAITING once a request of this round waits in the admission gate's line."""
    await wait_for(lambda: bot.fish.gate.waiting > 0, timeout=120)
    print("WAITING", flush=True)


async def connect(self: FishBot, *, reconnect: bool = True) -> None:
    self.voice_sessions.voice_client_cls = RecordingVoiceClient
    harness = Harness(self)
    servers = []
    for _ in range(int(os.environ.get("GATE_SERVERS", "2"))):
        guild = FakeGuild(self)
        member = guild.add_member(snowflake(), "Alice")
        guild.put_in_voice(member, guild.add_channel("Voice", kind=2))
        servers.append((guild, member))
    stdin = asyncio.StreamReader()
    loop = asyncio.get_running_loop()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stdin), sys.stdin)
    print("READY", flush=True)
    rounds = 0
    text = os.environ.get("GATE_TEXT", TEXT)
    while not self.is_closed() and (await stdin.readline()).strip() == b"GO":
        rounds += 1
        waiting = asyncio.create_task(report_waiting(self))
        await asyncio.gather(*(harness.run("speak", user_id=member, guild=guild,
                                           text=f"{text} Process {os.getpid()}, server {n}, round {rounds}.")
                               for n, (guild, member) in enumerate(servers)))
        await wait_for(lambda r=rounds: all(heard(self, guild, r) for guild, _ in servers), timeout=120)
        waiting.cancel()
        print(f"HEARD {len(servers)}", flush=True)
    while not self.is_closed():  # noqa: ASYNC110  (a connected gateway polls its socket)
        await asyncio.sleep(0.02)


if __name__ == "__main__":
    sys.exit(run_child.main(connect))
