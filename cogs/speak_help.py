"""/speak-help: the delivery cues each model understands, with a preview button per cue. A preview
is a short sample in the member's voice, attached as a file; the same preview again comes from the
TTS cache and spends nothing."""

from __future__ import annotations

import io
import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.expressive import cues
from bot.i18n import N_, _
from bot.speech.prepare import Phrase
from bot.ui.fish_line import line_notice
from bot.ui.speaking import FILE_TYPES
from bot.ui.views import MemberView
from cogs.speak import checked_model, model_choices

if TYPE_CHECKING:
    from bot.client import FishBot

log = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()
# Spoken in the member's language (a preview in their own words), with the cue applied.
PREVIEW_TEXT = N_("This is how I sound like this.")
PREVIEW_BUTTONS = 20  # four rows of five; the embed lists every cue


def help_embed(model: str) -> discord.Embed:
    embed = discord.Embed(title=_("Delivery cues for {model}").format(model=model),
                          description=cues.describe(model), colour=discord.Colour.blurple())
    listed = " ".join(f"`{c.written}`" for c in cues.catalogue(model))  # the model's tokens: data
    if listed:
        embed.add_field(name=_("Cues"), value=listed[:1024], inline=False)
    embed.add_field(name=_("How to use them"), inline=False, value=_(
        "`/speak style:` applies one to the whole text; `/voice style` sets your default. Servers that "
        "turn on expressive cues (`/settings narration expressive_cues:True`) also read cues written "
        "inside messages. The buttons play a short preview in your voice."))
    return embed


class PreviewButton(discord.ui.Button["CueHelpView"]):
    def __init__(self, cue: cues.CueHelp, index: int) -> None:
        super().__init__(label=cue.label[:80], style=discord.ButtonStyle.secondary,
                         custom_id=f"cue-{index}", row=index // 5)
        self.cue = cue

    async def callback(self, interaction: discord.Interaction) -> None:
        assert self.view is not None
        await self.view.preview(interaction, self.cue)


class CueHelpView(MemberView):
    def __init__(self, bot: FishBot, owner_id: int, model: str, timeout: float = 600) -> None:
        super().__init__(owner_id, bot.store, timeout=timeout)
        self.bot = bot
        self.model = model
        for index, cue in enumerate(cues.catalogue(model)[:PREVIEW_BUTTONS]):
            self.add_item(PreviewButton(cue, index))

    async def preview(self, interaction: discord.Interaction, cue: cues.CueHelp) -> None:
        speech = self.bot.speech
        # In the member's voice, as the server has the bot sound, with the cue on the whole text.
        prepared = await speech.preparer.prepare(interaction.guild, Phrase(_(PREVIEW_TEXT)),
                                                 speaker_id=interaction.user.id, model=self.model,
                                                 style=cue.style, as_file=True)
        assert prepared is not None  # the preview text is never empty
        spec = prepared.spec

        async def defer() -> None:
            await interaction.response.defer(ephemeral=True, thinking=True)

        audio = await speech.render(spec, user_id=interaction.user.id, guild_id=interaction.guild_id,
                                    accepted=defer, in_line=line_notice(interaction.edit_original_response))
        extension, _mime = FILE_TYPES[spec.format]
        await interaction.followup.send(_("`{cue}` on {model}:").format(cue=cue.written, model=self.model),
                                        ephemeral=True,
                                        file=discord.File(io.BytesIO(audio), filename=f"cue.{extension}"),
                                        allowed_mentions=NO_MENTIONS)


class SpeakHelp(commands.Cog):
    def __init__(self, bot: FishBot) -> None:
        self.bot = bot

    @app_commands.command(name="speak-help", description="The delivery cues each model understands")
    @app_commands.describe(model="The model (default: the bot's)")
    async def speak_help(self, interaction: discord.Interaction, model: str | None = None) -> None:
        name = checked_model(model, self.bot.speech.today()) or self.bot.settings.fish.model
        view = CueHelpView(self.bot, interaction.user.id, name)
        await interaction.response.send_message(embed=help_embed(name), view=view, ephemeral=True)
        view.message = await interaction.original_response()

    @speak_help.autocomplete("model")
    async def _model_autocomplete(self, interaction: discord.Interaction,
                                  current: str) -> list[app_commands.Choice[str]]:
        return model_choices(self.bot.speech.today(), current)


async def setup(bot: FishBot) -> None:
    await bot.add_cog(SpeakHelp(bot))
