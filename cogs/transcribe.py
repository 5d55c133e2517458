"""Transcribe: speech to text for audio attachments and voice messages (slash command, message
context menu, and optional automatic transcripts of voice messages in chosen channels)."""

from __future__ import annotations

import contextlib
import io
import logging
import math
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands
from pydantic import BaseModel

from bot.errors import UserFacingError
from bot.fish import ASRResponse, InsufficientCreditError
from bot.fish.admission import LongWait, requested_by
from bot.i18n import N_, _, using_language
from bot.i18n.formatting import duration, language_name, number
from bot.i18n.resolve import guild_language
from bot.media import (
    AudioInfo,
    Notice,
    TooMuchAudio,
    audio_attachments,
    convert,
    download_attachment,
    is_voice_message,
    needs_resampling,
    probe,
    probe_header,
    queue_notice,
    slot,
    temporary_copy,
)
from bot.permissions import requires
from bot.storage.settings import SettingsStore
from bot.transcripts import render
from bot.ui.fish_line import line_notice
from bot.ui.views import MemberView
from bot.usage import expensive_cooldown

NO_ASR_CREDIT = N_("Transcription needs Fish Audio API credit, and the bot's has run out: the free "
                   "model covers speech only, not transcription. Please tell the bot owner.")

if TYPE_CHECKING:
    from bot.client import FishBot

log = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()
NAMESPACE = "transcribe"
# What the API documents (fish-audio-api.md, ASR): at most 20 MB (since March 2026; read as
# 20,000,000 bytes, the stricter reading) and 60 minutes, at least 1 s. The audio leaves a little
# room for the request's other fields.
API_MAX_BYTES = 20_000_000
UPLOAD_MAX_BYTES = API_MAX_BYTES - 64 * 1024
API_MIN_SECONDS = 1.0
# Containers/codecs the API takes as they are (at most 48 kHz and 20 MB); anything else (video,
# AAC in MP4, WebM…) is re-encoded to compact Ogg Opus for speech first.
_AS_IS = {("mp3", "mp3"), ("wav", "pcm_s16le"), ("ogg", "opus"), ("ogg", "vorbis"), ("flac", "flac")}
# The API's common language codes (it detects the language itself; this is only a hint). Their
# names are CLDR's, in the member's language.
LANGUAGES = ("en", "zh", "ja", "ko", "es", "fr", "de", "pt")


class AutoTranscribe(BaseModel):
    """Per-server setting: channels whose voice messages get a transcript reply."""

    channels: list[int] = []


@dataclass(frozen=True)
class Transcript:
    name: str
    info: AudioInfo
    result: ASRResponse
    timestamps: bool

    def embed_and_files(self) -> tuple[discord.Embed, dict[str, bytes]]:
        """In the current language: the bot's words around the transcript (the member's file name
        and the transcript itself are shown as they are)."""
        rendered = render(self.result.text, self.result.segments, timestamps=self.timestamps,
                          stem=PurePath(self.name).stem or "transcript")
        embed = discord.Embed(title=_("Transcript of {name}").format(name=self.name)[:256],
                              description=rendered.body, colour=discord.Colour.teal())
        code = self.result.language_code
        # CLDR's name in the member's language; Fish's own (English) name for a code CLDR lacks.
        name = (language_name(code) if code else None) or self.result.language
        language = f"{name} ({code or '?'})" if name else code or "?"
        embed.set_footer(text=_("Language: {language} · {length} of audio").format(
            language=language, length=duration(self.info.duration_s)))
        return embed, rendered.files


def _files(files: dict[str, bytes]) -> list[discord.File]:
    return [discord.File(io.BytesIO(data), filename=name) for name, data in files.items()]


class ShareView(MemberView):
    """Lets the member who asked post their private transcript in the channel."""

    def __init__(self, owner_id: int, store: SettingsStore, transcript: Transcript) -> None:
        super().__init__(owner_id, store, timeout=600)
        self.transcript = transcript
        self.share.label = _("Share in channel")

    @discord.ui.button(label="Share in channel", style=discord.ButtonStyle.secondary, custom_id="share")
    async def share(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        # Posted for everyone in the channel, but in the sharer's language like the rest of the
        # interaction (the views set it from the click).
        embed, files = self.transcript.embed_and_files()
        embed.set_author(name=_("Shared by {name}").format(name=interaction.user.display_name))
        await interaction.response.send_message(embed=embed, files=_files(files),
                                                allowed_mentions=NO_MENTIONS)
        self.disable_all()
        self.stop()
        if self.message is not None:
            await self.message.edit(view=self)


def _check_language(language: str | None) -> str | None:
    if language is None:
        return None
    code = language.strip().lower()
    if code in LANGUAGES or (len(code) == 2 and code.isalpha()):
        return code
    raise UserFacingError(_("Give the language as a two-letter code such as `en` or `ja`, or leave it out."))


class Transcribe(commands.Cog):
    def __init__(self, bot: FishBot) -> None:
        self.bot = bot
        self.menu = app_commands.ContextMenu(name="Transcribe", callback=self.transcribe_message)
        expensive_cooldown(bot.cooldowns, "transcribe", self.menu)
        expensive_cooldown(bot.cooldowns, "transcribe", self.transcribe)

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.menu)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.menu.name, type=self.menu.type)

    # --- the pipeline --------------------------------------------------------------------------

    async def _run(self, attachment: discord.Attachment, *, user_id: int, guild_id: int | None,
                   language: str | None, timestamps: bool, notice: Notice | None = None,
                   in_line: LongWait | None = None) -> Transcript:
        """Download; in one media job: read the header, reserve the quota it claims, check by
        decoding, settle the quota to the decoded length, re-encode if needed; transcribe (in the
        server's turn for the account's Fish slots; `in_line` tells a long wait there)."""
        settings = self.bot.settings.transcribe
        name = attachment.filename
        max_seconds = settings.max_minutes * 60
        data = await download_attachment(attachment, max_bytes=int(settings.max_file_mb * 1024 * 1024))
        async with contextlib.AsyncExitStack() as quota:
            async with slot(notice), temporary_copy(data) as path:
                header = await probe_header(path, name=name)
                # Reserved before the costly decode from what the header claims (it may lie), then
                # settled to what really decodes: Fish bills the seconds it hears.
                claimed = min(header.claimed_s or API_MIN_SECONDS, max_seconds)
                reservation = await quota.enter_async_context(self.bot.usage.reserve(
                    kind="transcribe_seconds", amount=math.ceil(claimed), user_id=user_id,
                    guild_id=guild_id))
                try:
                    info = await probe(path, name=name, cap_s=max_seconds + 1, header=header)
                    self._check_length(info, name, max_seconds)
                    if math.ceil(info.duration_s) != reservation.amount:
                        await reservation.release("skipped")
                        reservation = await quota.enter_async_context(self.bot.usage.reserve(
                            kind="transcribe_seconds", amount=math.ceil(info.duration_s), user_id=user_id,
                            guild_id=guild_id))
                    upload = await self._upload_form(path, data, info, name, max_seconds)
                except UserFacingError:
                    await reservation.release("skipped")  # refused before Fish: nothing spent
                    raise
            try:
                with requested_by(guild_id, user_id, on_long_wait=in_line):
                    result = await self.bot.fish.asr.transcribe(
                        audio=upload, language=language, include_timestamps=timestamps,
                        model=self.bot.settings.transcribe.model,
                    )
            except InsufficientCreditError:
                # Unlike speech (s2.1-pro-free), no transcription model is free.
                raise UserFacingError(_(NO_ASR_CREDIT)) from None
        if not result.text.strip():
            raise UserFacingError(_("No speech found in `{name}`.").format(name=name))
        return Transcript(name, info, result, timestamps)

    @staticmethod
    def _check_length(info: AudioInfo, name: str, max_seconds: float) -> None:
        if info.duration_s > max_seconds:
            raise UserFacingError(_("`{name}` is longer than {limit}, the limit here.").format(
                name=name, limit=duration(max_seconds)))
        if info.duration_s < API_MIN_SECONDS:
            raise UserFacingError(
                _("`{name}` is shorter than a second: there's nothing to transcribe.").format(name=name))
        if info.silent:
            raise UserFacingError(_("No speech found in `{name}`: it's silent.").format(name=name))

    @staticmethod
    async def _upload_form(path: Path, data: bytes, info: AudioInfo, name: str, max_seconds: float) -> bytes:
        """The file as it is when Fish takes it and it fits Fish's 20 MB; otherwise compact Ogg
        Opus for speech (16 kHz mono), refused if even that would not fit."""
        as_is = (info.format_name, info.codec) in _AS_IS and not info.has_video and not needs_resampling(info)
        if as_is and len(data) <= UPLOAD_MAX_BYTES:
            return data
        try:
            return await convert(path, name=name, fmt="speech", cap_s=max_seconds, max_bytes=UPLOAD_MAX_BYTES)
        except TooMuchAudio:
            raise UserFacingError(_(
                "`{name}` is still larger than Fish Audio's limit of {limit} MB per file after "
                "compressing it. Try a shorter file."
            ).format(name=name, limit=number(API_MAX_BYTES // 1_000_000))) from None

    async def _answer(self, interaction: discord.Interaction, attachment: discord.Attachment,
                      language: str | None, timestamps: bool) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        transcript = await self._run(attachment, user_id=interaction.user.id,
                                     guild_id=interaction.guild_id, language=language,
                                     timestamps=timestamps,
                                     notice=queue_notice(interaction.edit_original_response,
                                                         attachment.filename),
                                     in_line=line_notice(interaction.edit_original_response))
        embed, files = transcript.embed_and_files()
        view = ShareView(interaction.user.id, self.bot.store, transcript)
        view.message = await interaction.followup.send(
            embed=embed, files=_files(files), view=view, ephemeral=True, allowed_mentions=NO_MENTIONS,
            wait=True,
        )

    # --- commands ------------------------------------------------------------------------------

    @app_commands.command(name="transcribe", description="Turn speech in an audio or video file into text")
    @app_commands.describe(
        file="An audio or video file (a voice message works too)",
        language="The spoken language, e.g. en or ja (detected when left out)",
        timestamps="Show when each part was said and attach subtitles (default: yes)",
    )
    async def transcribe(self, interaction: discord.Interaction, file: discord.Attachment,
                         language: str | None = None, timestamps: bool = True) -> None:
        await self._answer(interaction, file, _check_language(language), timestamps)

    @transcribe.autocomplete("language")
    async def language_choices(self, interaction: discord.Interaction,
                               current: str) -> list[app_commands.Choice[str]]:
        typed = current.strip().lower()
        choices = []
        for code in LANGUAGES:
            name = language_name(code) or code
            with using_language("en"):  # English names match too, whatever the member's language
                english = language_name(code) or code
            if typed in code or typed in name.lower() or typed in english.lower():
                choices.append(app_commands.Choice(name=f"{name} ({code})", value=code))
        return choices[:25]

    async def transcribe_message(self, interaction: discord.Interaction, message: discord.Message) -> None:
        found = audio_attachments(message)
        if not found:
            raise UserFacingError(_("That message has no voice message or audio/video attachment."))
        await self._answer(interaction, found[0], None, True)

    @app_commands.command(name="autotranscribe",
                          description="Reply to voice messages in a channel with their transcript")
    @app_commands.describe(enabled="On or off", channel="The channel (default: this one)")
    @app_commands.default_permissions(manage_guild=True)
    @requires(manage_guild=True)
    @app_commands.guild_only()
    async def autotranscribe(self, interaction: discord.Interaction, enabled: bool,
                             channel: discord.TextChannel | None = None) -> None:
        if not self.bot.settings.transcribe.auto_transcribe:
            raise UserFacingError(_(
                "Automatic transcripts are switched off for this bot by its operator "
                "(`transcribe.auto_transcribe`; it needs the Message Content intent)."
            ))
        assert interaction.guild_id is not None
        channel_id = channel.id if channel else interaction.channel_id
        assert channel_id is not None
        current = await self.bot.store.get_guild(interaction.guild_id, NAMESPACE, AutoTranscribe)
        channels = set(current.channels)
        channels = channels | {channel_id} if enabled else channels - {channel_id}
        await self.bot.store.update_guild(interaction.guild_id, NAMESPACE, {"channels": sorted(channels)},
                                          model=AutoTranscribe)
        reply = (_("Voice messages in {channel} will get a transcript reply.") if enabled
                 else _("Voice messages in {channel} no longer get a transcript reply."))
        await interaction.response.send_message(reply.format(channel=f"<#{channel_id}>"), ephemeral=True)

    # --- automatic transcripts -----------------------------------------------------------------

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if (
            not self.bot.settings.transcribe.auto_transcribe
            or message.guild is None
            or message.author.bot
            or not is_voice_message(message)
        ):
            return
        config = await self.bot.store.get_guild(message.guild.id, NAMESPACE, AutoTranscribe)
        if message.channel.id not in config.channels:
            return
        found = audio_attachments(message)
        if not found:
            return
        try:
            transcript = await self._run(found[0], user_id=message.author.id, guild_id=message.guild.id,
                                         language=None, timestamps=False)
        except UserFacingError as exc:
            # Nobody asked, so nobody is waiting for an error: only "no speech" is worth a reply.
            log.info("no automatic transcript for message %s: %s", message.id, exc)
            return
        except Exception:
            log.exception("automatic transcript failed for message %s", message.id)
            return
        # Nobody asked: the bot's words around the transcript are in the server's language.
        with using_language(await guild_language(self.bot.store, message.guild)):
            embed, _files = transcript.embed_and_files()
            embed.title = _("Transcript")
        try:
            await message.reply(embed=embed, mention_author=False, allowed_mentions=NO_MENTIONS)
        except discord.HTTPException:
            log.warning("could not post the automatic transcript of message %s", message.id)


async def setup(bot: FishBot) -> None:
    await bot.add_cog(Transcribe(bot))
