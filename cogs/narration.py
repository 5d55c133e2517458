"""Narration: read a text channel aloud in voice, each member in their own voice (issue 4)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from discord.ext import commands

if TYPE_CHECKING:
    from bot.client import FishBot


class Narration(commands.Cog):
    def __init__(self, bot: FishBot) -> None:
        self.bot = bot


async def setup(bot: FishBot) -> None:
    await bot.add_cog(Narration(bot))
