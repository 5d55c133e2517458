"""Narration: read a text channel aloud in voice, each member in their own voice.

/narrate start and stop, and discord.py's events handed to the reader (bot.narration.reader),
which does the reading. The server's narration settings are under /settings (cogs.settings)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import UserFacingError
from bot.i18n import _
from bot.i18n.formatting import listing
from bot.member_data import Deleted, Held, server_name
from bot.narration.reader import Reader
from bot.permissions import require_permissions
from bot.spoken.settings import NAMESPACE, ServerSpeech

if TYPE_CHECKING:
    from bot.client import FishBot


class Narration(commands.Cog):
    narrate = app_commands.Group(name="narrate", description="Read a text channel aloud in voice",
                                 guild_only=True, default_permissions=discord.Permissions(manage_guild=True))

    def __init__(self, bot: FishBot) -> None:
        self.bot = bot
        self.reader = Reader(settings=bot.settings, store=bot.store, sessions=bot.voice_sessions,
                             speech=bot.speech)

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        # default_permissions only hides the commands; this enforces Manage Server on every
        # command of the cog (all of them configure the server).
        require_permissions(interaction, manage_guild=True)
        return True

    # --- /forget-me --------------------------------------------------------------------------------

    async def member_data(self, user_id: int) -> Held:
        """A server's ignore list is its moderation, not the member's data: it stays (deleting
        one's data is no way around a server's decision, as it is none around a quota)."""
        stored = await self.bot.store.guilds_mentioning(NAMESPACE, ServerSpeech, user_id)
        servers = [server_name(self.bot, guild_id) for guild_id, config in stored.items()
                   if user_id in config.ignored_members]
        if not servers:
            return Held()
        return Held(keeps=[_("You stay on the ignore lists of {servers}: that is the server's decision, "
                             "which its admins can change.").format(servers=listing(servers))])

    async def delete_member_data(self, user_id: int) -> Deleted:
        return Deleted()  # nicknames and opt-outs are member settings: the bot deletes those

    def _require_enabled(self) -> None:
        if not self.bot.settings.narration.enabled:
            raise UserFacingError(_(
                "Narration is switched off for this bot by its operator (`narration.enabled`; it needs "
                "the Message Content intent)."
            ))

    # --- /narrate ------------------------------------------------------------------------------

    @narrate.command(name="start", description="Read a text channel aloud in the bot's voice channel")
    @app_commands.describe(channel="The text channel to read (default: this one)")
    async def narrate_start(self, interaction: discord.Interaction,
                            channel: discord.TextChannel | discord.VoiceChannel | None = None) -> None:
        self._require_enabled()
        assert interaction.guild_id is not None
        channel_id = channel.id if channel else interaction.channel_id
        assert channel_id is not None
        config = await self.reader.config(interaction.guild_id)
        channels = sorted({*config.channels, channel_id})
        await self.bot.store.update_guild(interaction.guild_id, NAMESPACE, {"channels": channels},
                                          model=ServerSpeech)
        if self.bot.voice_sessions.get(interaction.guild_id) is not None:
            reading = _("Reading {channel} aloud. I'm already in voice.")
        elif config.auto_join:
            reading = _("Reading {channel} aloud. I'll join a member's voice channel when they write.")
        else:
            reading = _("Reading {channel} aloud. Bring me into voice with `/join`.")
        await interaction.response.send_message(reading.format(channel=f"<#{channel_id}>"), ephemeral=True)

    @narrate.command(name="stop", description="Stop reading a text channel aloud")
    @app_commands.describe(channel="The channel (default: this one)")
    async def narrate_stop(self, interaction: discord.Interaction,
                           channel: discord.TextChannel | discord.VoiceChannel | None = None) -> None:
        assert interaction.guild_id is not None
        channel_id = channel.id if channel else interaction.channel_id
        config = await self.reader.config(interaction.guild_id)
        if channel_id not in config.channels:
            raise UserFacingError(_("I'm not reading {channel}.").format(channel=f"<#{channel_id}>"))
        channels = [c for c in config.channels if c != channel_id]
        await self.bot.store.update_guild(interaction.guild_id, NAMESPACE, {"channels": channels},
                                          model=ServerSpeech)
        await interaction.response.send_message(
            _("Stopped reading {channel}.").format(channel=f"<#{channel_id}>"), ephemeral=True)

    # --- events, for the reader ----------------------------------------------------------------

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if self.bot.user is not None and message.author.id == self.bot.user.id:
            return
        await self.reader.read(message)

    @commands.Cog.listener()
    async def on_voice_state_update(self, member: discord.Member, before: discord.VoiceState,
                                    after: discord.VoiceState) -> None:
        me = self.bot.user.id if self.bot.user is not None else 0
        await self.reader.voice_state_changed(member, before, after, bot_id=me)

    @commands.Cog.listener()
    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        await self.reader.deleted(payload.guild_id, [payload.message_id])

    @commands.Cog.listener()
    async def on_raw_bulk_message_delete(self, payload: discord.RawBulkMessageDeleteEvent) -> None:
        await self.reader.deleted(payload.guild_id, sorted(payload.message_ids))

    @commands.Cog.listener()
    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        await self.reader.edited(payload.guild_id, payload.message)


async def setup(bot: FishBot) -> None:
    await bot.add_cog(Narration(bot))
