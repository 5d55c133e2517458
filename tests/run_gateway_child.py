"""`fishbot run ARGS` in a child process against the stand-in Discord (tests/discord_gateway.py):
python -m tests.run_gateway_child ARGS. Only where Discord is changes: discord.py's REST base and
its default gateway address point at $STANDIN_DISCORD_URL. Everything else, discord.py's gateway
client and `run` itself included, is the real thing."""

from __future__ import annotations

import os
import sys

import discord
import yarl
from discord.gateway import DiscordWebSocket

from bot import cli


def main() -> int:
    base = os.environ["STANDIN_DISCORD_URL"]
    discord.http.Route.BASE = f"{base}/api/v10"
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(base.replace("http://", "ws://", 1) + "/gateway")
    return cli.main(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
