"""The "Speak this message" menu: a message read aloud in its author's voice on request, by the
rules narration reads by (the server's ignore lists, required role and bot setting, the author's
opt-out), cleaned the same way; in the invoker's voice channel, or as a file when they are in none.
The invoker asked for it, so it costs their quota."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import UserFacingError
from bot.i18n import _
from bot.narration.access import may_read
from bot.permissions import require_speaker, speak_refusal
from bot.ui.speaking import in_voice, send_as_file, speak_in_voice
from bot.usage import expensive_cooldown

if TYPE_CHECKING:
    from bot.client import FishBot

MENU_NAME = "Speak this message"


class SpeakMessage(commands.Cog):
    def __init__(self, bot: FishBot) -> None:
        self.bot = bot
        self.menu = app_commands.ContextMenu(name=MENU_NAME, callback=self.speak_message,
                                             allowed_contexts=app_commands.AppCommandContext(guild=True))
        expensive_cooldown(bot.cooldowns, "speak", self.menu)

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.menu)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.menu.name, type=self.menu.type)

    async def speak_message(self, interaction: discord.Interaction, message: discord.Message) -> None:
        member = interaction.user
        guild = interaction.guild
        if not isinstance(member, discord.Member) or guild is None:
            raise UserFacingError(_("This only works in a server."))
        preparer = self.bot.speech.preparer
        config = await preparer.server(guild.id)
        author = message.author
        automated = author.bot or message.webhook_id is not None
        if automated and not config.read_bots:
            raise UserFacingError(_("This server doesn't read messages of bots and webhooks aloud."))
        author_member = author if isinstance(author, discord.Member) else guild.get_member(author.id)
        if not await may_read(self.bot.store, author, author_member, config, guild.id, automated=automated):
            raise UserFacingError(_("That member's messages aren't read aloud in this server."))
        require_speaker(member)
        if in_voice(member) and not automated and author_member is not None:
            # In voice, by narration's rule too: the author's words aren't spoken where they may
            # not speak (the invoker's own right to is the speech service's check).
            assert member.voice is not None and member.voice.channel is not None
            if speak_refusal(author_member, member.voice.channel, audience=config.read_audience) is not None:
                raise UserFacingError(_("That member may not speak in {channel}, so I won't read their "
                                        "messages there.").format(channel=member.voice.channel.mention))
        # "Alice said: …" (as narration announces), then the message's words in the author's voice,
        # spoken in the message's language whatever the invoker's client language is.
        prepared = await preparer.prepare(guild, message, speaker_id=author.id, server=config, asked=True,
                                          announce=config.announce_names, as_file=not in_voice(member))
        if prepared is None:
            raise UserFacingError(_("There's nothing in that message to read aloud."))
        speech = self.bot.speech
        if not in_voice(member):
            await send_as_file(speech, interaction, prepared.spec, ephemeral=True)
            return
        await speak_in_voice(speech, interaction, member, [prepared.spec], channel_id=message.channel.id)


async def setup(bot: FishBot) -> None:
    await bot.add_cog(SpeakMessage(bot))
