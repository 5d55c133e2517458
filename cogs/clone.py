"""Clone: create a Fish voice from audio uploaded to Discord, with the member's consent."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.cloning import (
    VISIBILITY_CHOICES,
    check_description,
    check_sample,
    check_sample_count,
    check_title,
    parse_tags,
    read_cover,
    split_transcripts,
    upload_form,
    visibility_of,
)
from bot.errors import UserFacingError
from bot.fish import FishError, Visibility, Voice, public_url
from bot.fish.admission import requested_by
from bot.fish.ids import fish_voice_id
from bot.i18n import N_, _, ngettext
from bot.i18n.formatting import duration, number
from bot.media import MediaError, audio_attachments, queue_notice
from bot.ui.fish_line import line_notice
from bot.ui.views import AnsweredModal, ConfirmView
from bot.ui.voice_actions import VoiceActions
from bot.usage import expensive_cooldown
from bot.wording import describe_error
from bot.wording.cloning import visibility_name

if TYPE_CHECKING:
    from bot.client import FishBot

log = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()
CONSENT_TIMEOUT_S = 120.0
CONSENT = N_(
    "**Before anything is uploaded:** only clone your own voice, or a voice whose owner has "
    "agreed. Cloning someone without their permission may be illegal and breaks Fish Audio's "
    "terms. Do you have the right to clone this voice?"
)


class TitleModal(AnsweredModal):
    """The context menu has no options, so the title (and transcripts) are asked for here, in the
    member's language (so the inputs are made per modal, not as class attributes)."""

    def __init__(self, cog: Clone, attachments: list[discord.Attachment]) -> None:
        super().__init__(cog.bot.store, title=_("Clone a voice"), timeout=600)
        self.cog = cog
        self.attachments = attachments
        self.voice_title: discord.ui.TextInput[TitleModal] = discord.ui.TextInput(
            label=_("Title of the new voice"), max_length=64, custom_id="title"
        )
        self.transcript: discord.ui.TextInput[TitleModal] = discord.ui.TextInput(
            label=_("What the samples say (optional)"), style=discord.TextStyle.paragraph, required=False,
            max_length=4000, custom_id="transcript",
            placeholder=_("One transcript per sample, separated by |, or leave empty"),
        )
        self.add_item(self.voice_title)
        self.add_item(self.transcript)

    async def submitted(self, interaction: discord.Interaction) -> None:
        await self.cog.clone_flow(interaction, title=self.voice_title.value, attachments=self.attachments,
                                  transcript=self.transcript.value or None)


class Clone(commands.Cog):
    def __init__(self, bot: FishBot) -> None:
        self.bot = bot
        self.owners = bot.voice_owners
        self.menu = app_commands.ContextMenu(name="Clone voice from this message",
                                             callback=self.clone_from_message)
        self.menu.guild_only = True
        expensive_cooldown(bot.cooldowns, "clone", self.menu)
        expensive_cooldown(bot.cooldowns, "clone", self.clone)

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.menu)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.menu.name, type=self.menu.type)

    # --- the flow ------------------------------------------------------------------------------

    async def clone_flow(
        self,
        interaction: discord.Interaction,
        *,
        title: str,
        attachments: list[discord.Attachment],
        transcript: str | None = None,
        description: str | None = None,
        tags: str | None = None,
        visibility: Visibility = "private",
        enhance: bool = True,
        cover: discord.Attachment | None = None,
    ) -> None:
        """Validate everything → reserve the quota → check the samples → consent → upload →
        success card. Nothing reaches Fish before the member consents, and the uploaded audio
        only ever lives in memory and deleted temp files."""
        settings = self.bot.settings.clone
        title = check_title(title)
        description = check_description(description)
        tag_list = parse_tags(tags)
        check_sample_count(len(attachments), settings)
        texts = split_transcripts(transcript, len(attachments))
        if visibility == "public" and cover is None:
            raise UserFacingError(
                _("Fish Audio needs a cover image for a public voice: add one with `cover`."))
        await interaction.response.defer(ephemeral=True, thinking=True)

        user_id, guild_id = interaction.user.id, interaction.guild_id
        # The quota first: a member with none left costs no download and no decoding.
        async with self.bot.usage.reserve(kind="clones", amount=1, user_id=user_id,
                                          guild_id=guild_id) as reservation:
            try:
                # One at a time: one media job per clone, and each sample held as uploaded.
                waiting = interaction.edit_original_response
                samples = [await check_sample(a, settings, queue_notice(waiting, a.filename))
                           for a in attachments]
                cover_bytes = await read_cover(cover)
            except UserFacingError:
                await reservation.release("skipped")
                raise
            consent = ConfirmView(user_id, self.bot.store,
                                  confirm_label=_("I have the right to clone this voice"),
                                  style=discord.ButtonStyle.success, timeout=CONSENT_TIMEOUT_S)
            seconds = sum(s.seconds for s in samples)
            shown = discord.utils.escape_markdown(title)
            summary = _(CONSENT) + "\n\n" + ngettext(
                "Voice **{title}** ({visibility}) from {count} sample, {duration} of audio.",
                "Voice **{title}** ({visibility}) from {count} samples, {duration} of audio.",
                len(samples),
            ).format(title=shown, visibility=visibility_name(visibility), count=number(len(samples)),
                     duration=duration(seconds))
            message = await interaction.followup.send(summary, view=consent, ephemeral=True, wait=True,
                                                      allowed_mentions=NO_MENTIONS)
            consent.message = message
            await consent.wait()
            if not consent.value:
                await reservation.release("skipped")
                declined = (_("Nothing was uploaded (you declined).") if consent.value is False
                            else _("Nothing was uploaded (no answer in time)."))
                await message.edit(content=declined, view=None)
                return
            uploading = ngettext("Uploading {count} sample to Fish Audio and training **{title}**…",
                                 "Uploading {count} samples to Fish Audio and training **{title}**…",
                                 len(samples)).format(count=number(len(samples)), title=shown)
            await message.edit(content=uploading, view=None, allowed_mentions=NO_MENTIONS)
            try:
                voices = [await upload_form(s, settings, queue_notice(message.edit, s.name)) for s in samples]
                with requested_by(interaction.guild_id, interaction.user.id,
                                  on_long_wait=line_notice(message.edit)):
                    voice = await self.bot.fish.voices.create(
                        title=title, voices=voices, description=description,
                        texts=texts, tags=tag_list, cover_image=cover_bytes, visibility=visibility,
                        train_mode="fast", enhance_audio_quality=enhance,
                    )
            except (FishError, MediaError) as exc:
                await reservation.release("skipped" if isinstance(exc, MediaError) else "failed")
                text, _unexpected = describe_error(exc)
                await message.edit(content=_("Nothing was created: {reason}").format(reason=text), view=None,
                                   allowed_mentions=NO_MENTIONS)
                return
            problem = await self._wait_until_trained(voice, title, message)
            if problem is not None:
                await reservation.release("failed")
                with contextlib.suppress(FishError):  # not left half-made on the operator's account
                    await self.bot.fish.voices.delete(fish_voice_id(voice.id))
                await message.edit(content=problem, view=None, allowed_mentions=NO_MENTIONS)
                return
        await self.owners.record(voice_id=voice.id, user_id=user_id, guild_id=guild_id, title=title,
                                 visibility=visibility)
        log.info("user %s cloned voice %s", user_id, voice.id)
        embed = discord.Embed(title=_("Voice ready: {title}").format(title=title),
                              colour=discord.Colour.green(),
                              description=_("Use it with `/speak voice:` or make it your voice below."))
        embed.add_field(name=_("Voice id"), value=f"`{voice.id}`")
        embed.add_field(name=_("Visibility"), value=visibility_name(visibility))
        embed.add_field(name=_("Samples"), value=f"{number(len(voices))} · {duration(seconds)}")
        thumbnail = public_url(voice.cover_image, self.bot.settings.fish.cdn_base)
        if thumbnail:
            embed.set_thumbnail(url=thumbnail)
        sample = public_url(voice.sample_audio, self.bot.settings.fish.cdn_base)
        actions = VoiceActions(self.bot.speech, self.bot.store, self.owners, user_id, voice_id=voice.id,
                               title=title, sample_audio=sample)
        await message.edit(content=None, embed=embed, view=actions)
        actions.message = message

    async def _wait_until_trained(self, voice: Voice, title: str,
                                  message: discord.WebhookMessage) -> str | None:
        """Poll the new voice until Fish says `trained` (None) or `failed` / the time-out (the
        member's message). The progress message shows the state while it trains."""
        settings = self.bot.settings.clone
        name = discord.utils.escape_markdown(title)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + settings.training_timeout_s
        state, shown = voice.state, None
        while True:
            if state in (None, "trained"):
                return None
            if state == "failed":
                return _("Fish Audio could not train **{title}** (training failed), so nothing was kept "
                         "and your clone quota was given back. Try clearer samples of one speaker.").format(
                    title=name)
            if state != shown:
                shown = state
                progress = (_("Uploaded. Fish Audio is waiting to start training **{title}**… this can take "
                              "a minute.") if state == "created" else
                            _("Uploaded. Fish Audio is training **{title}**… this can take a minute."))
                await message.edit(content=progress.format(title=name), view=None,
                                   allowed_mentions=NO_MENTIONS)
            if loop.time() >= deadline:
                return _("Fish Audio was still training **{title}** after {seconds} s, so I stopped waiting; "
                         "nothing was kept and your clone quota was given back. Try again later.").format(
                    title=name, seconds=number(settings.training_timeout_s))
            await asyncio.sleep(min(settings.training_poll_s, max(0.0, deadline - loop.time())))
            try:
                state = (await self.bot.fish.voices.get(fish_voice_id(voice.id))).state
            except FishError as exc:  # a passing failure while polling: keep waiting until the deadline
                log.info("polling the training of voice %s failed: %s", voice.id, type(exc).__name__)

    # --- commands ------------------------------------------------------------------------------

    @app_commands.command(name="clone", description="Create a Fish Audio voice from audio samples")
    @app_commands.describe(
        title="A name for the new voice",
        sample="Audio of the voice: clear speech of one person, 10 s or more",
        sample2="Another sample (optional)",
        sample3="Another sample (optional)",
        transcript="What the samples say, separated by | per sample (optional: Fish transcribes them)",
        description="A description shown with the voice",
        tags="Tags, separated by commas",
        visibility="Who can find and use the voice (default: private, only you)",
        enhance="Clean up noise in the samples (default: on)",
        cover="A cover image (needed for a public voice)",
    )
    @app_commands.choices(visibility=VISIBILITY_CHOICES)
    @app_commands.guild_only()
    async def clone(
        self,
        interaction: discord.Interaction,
        title: app_commands.Range[str, 1, 64],
        sample: discord.Attachment,
        sample2: discord.Attachment | None = None,
        sample3: discord.Attachment | None = None,
        transcript: str | None = None,
        description: str | None = None,
        tags: str | None = None,
        visibility: app_commands.Choice[str] | None = None,
        enhance: bool = True,
        cover: discord.Attachment | None = None,
    ) -> None:
        attachments = [a for a in (sample, sample2, sample3) if a is not None]
        await self.clone_flow(interaction, title=title, attachments=attachments, transcript=transcript,
                              description=description, tags=tags,
                              visibility=visibility_of(visibility.value) if visibility else "private",
                              enhance=enhance, cover=cover)

    async def clone_from_message(self, interaction: discord.Interaction, message: discord.Message) -> None:
        attachments = audio_attachments(message)
        if not attachments:
            raise UserFacingError(_("That message has no voice message or audio attachment to clone from."))
        check_sample_count(len(attachments), self.bot.settings.clone)
        await interaction.response.send_modal(TitleModal(self, attachments))


async def setup(bot: FishBot) -> None:
    await bot.add_cog(Clone(bot))
