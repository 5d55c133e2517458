"""Voices: browse the community voice library and manage your own voices (issue 5)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from discord.ext import commands

if TYPE_CHECKING:
    from bot.client import FishBot


class Voices(commands.Cog):
    def __init__(self, bot: FishBot) -> None:
        self.bot = bot


async def setup(bot: FishBot) -> None:
    await bot.add_cog(Voices(bot))
