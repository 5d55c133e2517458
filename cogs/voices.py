"""Voices: browse the community voice library and manage the voices members cloned here."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.cloning import (
    VISIBILITY_CHOICES,
    check_description,
    check_title,
    parse_tags,
    read_cover,
    visibility_of,
)
from bot.errors import UserFacingError
from bot.fish import NotFoundError, VoiceId, parse_voice_id
from bot.i18n import _, ngettext
from bot.i18n.formatting import number
from bot.speech.access import usable_voice
from bot.storage.models import VoiceOwnership
from bot.ui.views import ConfirmView
from bot.ui.voice_autocomplete import VoiceOptions
from bot.ui.voice_cards import SearchQuery, VoiceSearchView, voice_embed
from bot.usage import expensive_cooldown
from bot.wording.cloning import visibility_name
from cogs.voice_design import design_voice

if TYPE_CHECKING:
    from bot.client import FishBot

log = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()
SORTS = {"popular": "task_count", "newest": "created_at"}


class Voices(VoiceOptions, commands.GroupCog, group_name="voices",
             group_description="The Fish Audio voice library"):
    def __init__(self, bot: FishBot) -> None:
        self.bot = bot
        self.owners = bot.voice_owners
        self.voice_choices = bot.voice_choices
        super().__init__()
        expensive_cooldown(bot.cooldowns, "design", self.design)

    async def _own_record(self, interaction: discord.Interaction,
                          typed: str) -> tuple[VoiceId, VoiceOwnership]:
        """The id and ownership record of a voice the member may change: their own, or any for a
        bot owner. Another member's voice is reported as unknown, so its existence doesn't leak;
        so is anything that isn't exactly a voice id (checked before any lookup)."""
        voice_id = parse_voice_id(typed)
        record = await self.owners.get(voice_id) if voice_id is not None else None
        if voice_id is not None and record is not None and (
                record.user_id == interaction.user.id or await self.bot.is_bot_owner(interaction.user)):
            return voice_id, record
        if record is None and await self.bot.is_bot_owner(interaction.user):
            raise UserFacingError(_("Only voices cloned through this bot can be managed here."))
        raise UserFacingError(
            _("You can only change voices you cloned with this bot. See yours with `/voices mine`.")
        )

    # --- browsing ------------------------------------------------------------------------------

    @app_commands.command(name="search", description="Search the community voice library")
    @app_commands.describe(
        query="Words in the voice's title",
        tags="Tags the voice must have, separated by commas",
        language="A language code, e.g. en or ja",
        sort="Most used or newest first",
        page="Start at this page",
    )
    async def search(
        self,
        interaction: discord.Interaction,
        query: str | None = None,
        tags: str | None = None,
        language: app_commands.Range[str, 2, 8] | None = None,
        sort: Literal["popular", "newest"] = "popular",
        page: app_commands.Range[int, 1, 1000] = 1,
    ) -> None:
        search = SearchQuery(title=(query or "").strip() or None, tags=parse_tags(tags),
                             language=language.strip().lower() if language else None, sort_by=SORTS[sort])
        await interaction.response.defer(ephemeral=True, thinking=True)
        result = await VoiceSearchView.fetch(self.bot.fish, search, page)
        view = VoiceSearchView(self.bot.fish, self.bot.speech, self.bot.store, self.owners,
                               interaction.user.id, search, page, result, self.bot.settings.fish.cdn_base)
        if page > view.pages or (page > 1 and not result.items):
            await view.load(page)  # past the end: the last page with voices instead of an empty one
        view.message = await interaction.followup.send(embed=view.embed(), view=view, ephemeral=True,
                                                       wait=True)

    @app_commands.command(name="info", description="Everything about one voice")
    @app_commands.describe(voice="The voice (type to search)")
    @app_commands.autocomplete(voice=VoiceOptions.voice_autocomplete)
    async def info(self, interaction: discord.Interaction, voice: str) -> None:
        found = await usable_voice(self.bot.fish, self.bot.voice_owners, interaction.user.id, voice)
        await interaction.response.send_message(embed=voice_embed(found, self.bot.settings.fish.cdn_base),
                                                ephemeral=True,
                                                allowed_mentions=NO_MENTIONS)

    @app_commands.command(name="mine", description="The voices you cloned with this bot")
    async def mine(self, interaction: discord.Interaction) -> None:
        records = await self.owners.of_user(interaction.user.id)
        embed = discord.Embed(title=_("Your voices"), colour=discord.Colour.teal())
        if not records:
            embed.description = _("You haven't cloned a voice yet. Try `/clone`.")
        for record in records[:25]:
            # The date is a Discord timestamp: shown in the member's own language and time zone.
            embed.add_field(
                name=record.title[:256],
                value=f"`{record.voice_id}` · {visibility_name(record.visibility)} · "
                      f"{discord.utils.format_dt(record.created_at, 'D')}",
                inline=False,
            )
        if len(records) > 25:
            more = len(records) - 25
            embed.set_footer(text=ngettext("and {count} more", "and {count} more", more).format(
                count=number(more)))
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @app_commands.command(name="design", description="Make up to 4 new voices from a description")
    @app_commands.describe(
        description="What the voice should sound like, e.g. a calm, low-pitched narrator",
        language="The language it will mostly speak, as a code such as en or ja",
        sample_text="What the candidates say (up to 150 characters)",
    )
    @app_commands.guild_only()
    async def design(
        self,
        interaction: discord.Interaction,
        description: str,
        language: app_commands.Range[str, 2, 12] | None = None,
        sample_text: str | None = None,
    ) -> None:
        await design_voice(self.bot, interaction, description=description, language=language,
                           sample_text=sample_text)

    # --- managing ------------------------------------------------------------------------------

    @app_commands.command(name="edit", description="Change a voice you cloned")
    @app_commands.describe(voice="One of your voices", title="A new title", description="A new description",
                           visibility="Who can find and use it", tags="New tags, separated by commas",
                           cover="A new cover image")
    @app_commands.autocomplete(voice=VoiceOptions.voice_autocomplete)
    @app_commands.choices(visibility=VISIBILITY_CHOICES)
    async def edit(
        self,
        interaction: discord.Interaction,
        voice: str,
        title: str | None = None,
        description: str | None = None,
        visibility: app_commands.Choice[str] | None = None,
        tags: str | None = None,
        cover: discord.Attachment | None = None,
    ) -> None:
        voice_id, record = await self._own_record(interaction, voice)
        new_visibility = visibility_of(visibility.value) if visibility else None
        new_title = check_title(title) if title is not None else None
        new_description = check_description(description)
        new_tags = parse_tags(tags) if tags is not None else None
        if all(v is None for v in (new_title, new_description, new_visibility, new_tags, cover)):
            raise UserFacingError(
                _("Tell me what to change: a title, description, visibility, tags or cover."))
        await interaction.response.defer(ephemeral=True, thinking=True)
        cover_bytes = await read_cover(cover)
        try:
            await self.bot.fish.voices.update(
                voice_id, title=new_title, description=new_description, visibility=new_visibility,
                tags=new_tags, cover_image=cover_bytes,
            )
        except NotFoundError:
            await self.owners.remove(voice_id)
            raise UserFacingError(
                _("That voice no longer exists on Fish Audio; I've forgotten it.")) from None
        # Made private again: members and servers that saved it lose it at their next use
        # (bot/voice/stale.py reads this record).
        await self.owners.update(voice_id, title=new_title, visibility=new_visibility)
        shown = discord.utils.escape_markdown(new_title or record.title)
        await interaction.followup.send(_("Updated **{title}**.").format(title=shown), ephemeral=True,
                                        allowed_mentions=NO_MENTIONS)

    @app_commands.command(name="delete", description="Delete a voice you cloned")
    @app_commands.describe(voice="One of your voices")
    @app_commands.autocomplete(voice=VoiceOptions.voice_autocomplete)
    async def delete(self, interaction: discord.Interaction, voice: str) -> None:
        voice_id, record = await self._own_record(interaction, voice)
        title = discord.utils.escape_markdown(record.title)
        confirm = ConfirmView(interaction.user.id, self.bot.store, confirm_label=_("Delete it"))
        await interaction.response.send_message(
            _("Delete **{title}** from Fish Audio for good? Anyone using it will lose it.").format(
                title=title),
            view=confirm, ephemeral=True, allowed_mentions=NO_MENTIONS,
        )
        confirm.message = await interaction.original_response()
        await confirm.wait()
        if not confirm.value:
            await interaction.followup.send(_("Nothing was deleted."), ephemeral=True)
            return
        try:
            await self.bot.fish.voices.delete(voice_id)
        except NotFoundError:
            log.info("voice %s was already gone from Fish", voice_id)
        await self.owners.remove(voice_id)
        await interaction.followup.send(_("Deleted **{title}**.").format(title=title), ephemeral=True,
                                        allowed_mentions=NO_MENTIONS)


async def setup(bot: FishBot) -> None:
    await bot.add_cog(Voices(bot))
