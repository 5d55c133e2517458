"""`fishbot run ARGS` in a child process against the stand-in Discord (tests/discord_gateway.py):
python -m tests.run_gateway_child ARGS. Only where Discord is changes: discord.py's REST base and
its default gateway address point at $STANDIN_DISCORD_URL. Everything else, discord.py's gateway
client and `run` itself included, is the real thing."""

from __future__ import annotations

import os
import sys

from bot import cli
from tests import discord_internals as internals


def main() -> int:
    internals.point_at_gateway(os.environ["STANDIN_DISCORD_URL"])
    return cli.main(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
