"""Saying something for a member: queued in their voice channel, or as a file when they are not in
one. Shared by /speak and the voice previews of the voices and clone features."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import discord

from bot.errors import UserFacingError
from bot.fish import TTSConfig
from bot.i18n import _
from bot.i18n.formatting import number
from bot.usage import TTSKey
from bot.voice.request import SpeakRequest
from bot.voice.session import QueueFull

if TYPE_CHECKING:
    from bot.client import FishBot

NO_MENTIONS = discord.AllowedMentions.none()
FILE_TYPES = {"opus": ("ogg", "audio/ogg"), "mp3": ("mp3", "audio/mpeg")}


def in_voice(member: discord.Member) -> bool:
    return member.voice is not None and member.voice.channel is not None


async def queue_speech(
    bot: FishBot,
    interaction: discord.Interaction,
    member: discord.Member,
    text: str,
    *,
    voice_id: str | None,
    speed: float | None,
    model: str | None = None,
) -> None:
    """Reserve the characters, join the member's channel and queue the text; answers ephemerally
    with the place in the queue."""
    # Before anything else, so a member over quota is refused at once and the bot doesn't join
    # for nothing. The session commits or releases it when the clip ends.
    reservation = await bot.usage.reserve(
        kind="tts_chars", amount=len(text), user_id=member.id, guild_id=member.guild.id
    )
    try:
        if not interaction.response.is_done():
            await interaction.response.defer(ephemeral=True, thinking=True)
        session = await bot.voice_sessions.join(member)

        async def notify(message: str) -> None:
            await interaction.followup.send(message, ephemeral=True, allowed_mentions=NO_MENTIONS)

        request = SpeakRequest(
            text=text, requester_id=member.id, requester_name=member.display_name,
            voice_id=voice_id, speed=speed, model=model, notify=notify,
            on_outcome=reservation.finish,  # type: ignore[arg-type]
        )
        ahead = session.enqueue(request)
    except BaseException as exc:
        await reservation.release("skipped")
        if isinstance(exc, QueueFull):
            raise UserFacingError(
                _("The queue is full ({count} waiting). Try again soon.").format(
                    count=number(bot.settings.speak.queue_limit))
            ) from None
        raise
    channel = session.channel.mention  # type: ignore[union-attr]
    if ahead == 0:
        reply = _("Speaking now in {channel}.").format(channel=channel)
    else:
        reply = _("Queued at #{position} in {channel}.").format(position=number(ahead + 1), channel=channel)
    await interaction.followup.send(reply, ephemeral=True)


async def reply_with_file(
    bot: FishBot,
    interaction: discord.Interaction,
    text: str,
    *,
    voice_id: str | None,
    speed: float | None,
    model: str | None = None,
    content: str | None = None,
    ephemeral: bool = False,
) -> None:
    """Synthesise the whole clip and attach it (from the cache of short phrases when possible)."""
    settings = bot.settings
    file_format = settings.speak.file_format
    extension, _mime = FILE_TYPES[file_format]
    usage = {"kind": "tts_chars", "amount": len(text), "user_id": interaction.user.id,
             "guild_id": interaction.guild_id}
    key = TTSKey(text=text, voice_id=voice_id, speed=speed, model=model or settings.fish.model,
                 format=file_format, latency=settings.fish.latency,
                 opus_bitrate=settings.speak.opus_bitrate)

    async def defer() -> None:
        if not interaction.response.is_done():
            await interaction.response.defer(ephemeral=ephemeral, thinking=True)

    audio = bot.usage.tts_cache.get(key)
    if audio is not None:
        await defer()
        await bot.usage.record(**usage, outcome="cached")  # type: ignore[arg-type]
    else:
        async with bot.usage.reserve(**usage):  # type: ignore[arg-type]
            await defer()
            audio = await bot.fish.tts.convert(
                text=text,
                reference_id=voice_id,
                format=file_format,  # type: ignore[arg-type]
                speed=speed,
                latency=settings.fish.latency,  # type: ignore[arg-type]
                config=TTSConfig(opus_bitrate=settings.speak.opus_bitrate),  # type: ignore[arg-type]
                model=model or settings.fish.model,
            )
        bot.usage.tts_cache.put(key, audio)
    if len(audio) > interaction.filesize_limit:
        raise UserFacingError(_("That clip is larger than Discord lets me upload here. Try less text."))
    await interaction.followup.send(
        content if content is not None else _("You're not in a voice channel, so here it is as a file."),
        file=discord.File(io.BytesIO(audio), filename=f"speech.{extension}"),
        allowed_mentions=NO_MENTIONS,
        ephemeral=ephemeral,
    )
