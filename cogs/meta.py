"""About the bot, and the data-deletion path every member is owed."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.ui.views import ConfirmView

if TYPE_CHECKING:
    from bot.client import FishBot


class Meta(commands.Cog):
    def __init__(self, bot: FishBot) -> None:
        self.bot = bot

    @app_commands.command(name="about", description="What this bot is and how it is set up")
    async def about(self, interaction: discord.Interaction) -> None:
        settings = self.bot.settings
        embed = discord.Embed(
            title="fishbot",
            description="Fish Audio in Discord: speech in voice channels, voice cloning, "
            "the community voice library and transcription.",
            colour=discord.Colour.blurple(),
        )
        embed.add_field(name="Fish model", value=settings.fish.model)
        embed.add_field(name="Latency mode", value=settings.fish.latency)
        embed.add_field(name="Max text", value=f"{settings.speak.max_text_length} characters")
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @app_commands.command(name="forget-me", description="Delete everything this bot stores about you")
    async def forget_me(self, interaction: discord.Interaction) -> None:
        view = ConfirmView(interaction.user.id, confirm_label="Delete my data")
        await interaction.response.send_message(
            "This deletes your voice choice, nickname and other settings stored by this bot. "
            "Voices you cloned stay on Fish Audio until you delete them with /voices delete.",
            view=view,
            ephemeral=True,
        )
        view.message = await interaction.original_response()
        await view.wait()
        if view.value is None:
            await interaction.followup.send("Nothing was deleted (no answer in time).", ephemeral=True)
            return
        if not view.value:
            await interaction.followup.send("Nothing was deleted.", ephemeral=True)
            return
        removed = await self.bot.forget_user(interaction.user.id)
        await interaction.followup.send(
            f"Done: deleted {removed} stored record(s) about you.", ephemeral=True
        )


async def setup(bot: FishBot) -> None:
    await bot.add_cog(Meta(bot))
