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

NO_MENTIONS = discord.AllowedMentions.none()
CONFIRM_TIMEOUT_S = 120.0
MESSAGE_LIMIT = 2000


class Meta(commands.Cog):
    def __init__(self, bot: FishBot) -> None:
        self.bot = bot
        self.confirm_timeout = CONFIRM_TIMEOUT_S

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
        held = await self.bot.member_data(interaction.user.id)
        kept = [f"• {line}" for line in held.keeps]
        if not held.deletes:
            text = "\n".join([_("The bot stores nothing about you that it could delete."), *kept])
            await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
            return
        question = [_("This deletes:"), *(f"• {line}" for line in held.deletes)]
        if kept:
            question += [_("This stays:"), *kept]
        question.append(_("Delete it all? This can't be undone."))
        view = ConfirmView(interaction.user.id, self.bot.store, confirm_label=_("Delete my data"),
                           timeout=self.confirm_timeout)
        await interaction.response.send_message(_cut("\n".join(question)), view=view, ephemeral=True,
                                                allowed_mentions=NO_MENTIONS)
        view.message = await interaction.original_response()
        await view.wait()
        if view.value is None:
            await interaction.followup.send(_("Nothing was deleted (no answer in time)."), ephemeral=True)
            return
        if not view.value:
            await interaction.followup.send(_("Nothing was deleted."), ephemeral=True)
            return
        deleted = await self.bot.forget_user(interaction.user.id)
        done = ngettext("Done: deleted {count} stored record about you.",
                        "Done: deleted {count} stored records about you.", deleted.records)
        lines = [done.format(count=number(deleted.records)), *deleted.remaining, *held.keeps]
        await interaction.followup.send(_cut("\n".join(lines)), ephemeral=True, allowed_mentions=NO_MENTIONS)


def _cut(text: str) -> str:
    """Within Discord's 2,000 characters (every list in it is capped already; this is the backstop)."""
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 1] + "…"


async def setup(bot: FishBot) -> None:
    await bot.add_cog(Meta(bot))
