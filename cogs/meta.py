"""About the bot, and the data-deletion path every member is owed."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.i18n import _, ngettext
from bot.i18n.formatting import number
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
            description=_("Fish Audio in Discord: speech in voice channels, voice cloning, "
                          "the community voice library and transcription."),
            colour=discord.Colour.blurple(),
        )
        # The model and latency mode are Fish's own names, shown as code.
        embed.add_field(name=_("Fish model"), value=f"`{settings.fish.model}`")
        embed.add_field(name=_("Latency mode"), value=f"`{settings.fish.latency}`")
        limit = settings.speak.max_text_length
        embed.add_field(name=_("Max text"), value=ngettext("{count} character", "{count} characters",
                                                           limit).format(count=number(limit)))
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @app_commands.command(name="forget-me", description="Delete everything this bot stores about you")
    async def forget_me(self, interaction: discord.Interaction) -> None:
        view = ConfirmView(interaction.user.id, confirm_label=_("Delete my data"))
        await interaction.response.send_message(
            _("This deletes your voice choice, nickname and other settings stored by this bot. "
              "Voices you cloned stay on Fish Audio until you delete them with `/voices delete`."),
            view=view,
            ephemeral=True,
        )
        view.message = await interaction.original_response()
        await view.wait()
        if view.value is None:
            await interaction.followup.send(_("Nothing was deleted (no answer in time)."), ephemeral=True)
            return
        if not view.value:
            await interaction.followup.send(_("Nothing was deleted."), ephemeral=True)
            return
        removed = await self.bot.forget_user(interaction.user.id)
        done = ngettext("Done: deleted {count} stored record about you.",
                        "Done: deleted {count} stored records about you.", removed)
        await interaction.followup.send(done.format(count=number(removed)), ephemeral=True)


async def setup(bot: FishBot) -> None:
    await bot.add_cog(Meta(bot))
