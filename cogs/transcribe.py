"""Transcribe: speech to text for audio attachments and voice messages (issue 7)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from discord.ext import commands

if TYPE_CHECKING:
    from bot.client import FishBot


class Transcribe(commands.Cog):
    def __init__(self, bot: FishBot) -> None:
        self.bot = bot


async def setup(bot: FishBot) -> None:
    await bot.add_cog(Transcribe(bot))
