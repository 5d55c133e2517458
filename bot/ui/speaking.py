"""Answering an interaction that says something: queued in the member's voice channel with their
place in the queue, or attached as a file. The interaction side of `SpeechService`, shared by
/speak, "Speak this message", /scene, the voice previews and the design candidates."""

from __future__ import annotations

import io
from collections.abc import Callable

import discord

from bot.errors import ClipTooLarge
from bot.i18n import _
from bot.i18n.formatting import number
from bot.speech.service import Accepted, Item, Placement, SpeechService
from bot.tts.spec import SpeechSpec
from bot.ui.fish_line import line_notice

NO_MENTIONS = discord.AllowedMentions.none()
FILE_TYPES = {"opus": ("ogg", "audio/ogg"), "mp3": ("mp3", "audio/mpeg")}


def in_voice(member: discord.Member) -> bool:
    return member.voice is not None and member.voice.channel is not None


def _defer(interaction: discord.Interaction, *, ephemeral: bool) -> Accepted:
    async def defer() -> None:
        if not interaction.response.is_done():
            await interaction.response.defer(ephemeral=ephemeral, thinking=True)

    return defer


def queued_reply(placed: Placement, channel: str) -> str:
    """The usual answer: speaking now, or the place in the queue."""
    if placed.ahead == 0:
        return _("Speaking now in {channel}.").format(channel=channel)
    return _("Queued at #{position} in {channel}.").format(position=number(placed.position), channel=channel)


async def speak_in_voice(speech: SpeechService, interaction: discord.Interaction, member: discord.Member,
                         items: list[Item], *, channel_id: int | None = None,
                         reply: Callable[[Placement, str], str] = queued_reply) -> None:
    """Queue `items` in the member's voice channel; answers ephemerally with `reply(placement,
    channel mention)`, and later with the reason if a clip fails, or its place in the account's line
    for Fish if its audio waits long. `channel_id`: the text channel the words were read from (see
    `SpeechService.queue`)."""

    async def tell(message: str) -> None:
        await interaction.followup.send(message, ephemeral=True, allowed_mentions=NO_MENTIONS)

    # Deferred only once the quota is reserved, so a refusal is the interaction's first answer.
    placed = await speech.queue(member, items, tell, accepted=_defer(interaction, ephemeral=True),
                                channel_id=channel_id, tell_place=True)
    mention = getattr(placed.channel, "mention", None) or _("your voice channel")
    await interaction.followup.send(reply(placed, mention), ephemeral=True)


async def send_as_file(
    speech: SpeechService,
    interaction: discord.Interaction,
    spec: SpeechSpec,
    *,
    content: str | None = None,
    ephemeral: bool = False,
) -> None:
    """Synthesise the whole clip (from the cache of short phrases when possible) and attach it. A
    long wait in the account's line for Fish shows its place in the deferred reply meanwhile."""

    async def notice(message: str) -> None:
        await interaction.followup.send(message, ephemeral=True, allowed_mentions=NO_MENTIONS)

    audio = await speech.render(spec, user_id=interaction.user.id, guild_id=interaction.guild_id,
                                accepted=_defer(interaction, ephemeral=ephemeral), notice=notice,
                                in_line=line_notice(interaction.edit_original_response))
    if len(audio) > interaction.filesize_limit:
        raise ClipTooLarge
    extension, _mime = FILE_TYPES[spec.format]
    await interaction.followup.send(
        content if content is not None else _("You're not in a voice channel, so here it is as a file."),
        file=discord.File(io.BytesIO(audio), filename=f"speech.{extension}"),
        allowed_mentions=NO_MENTIONS,
        ephemeral=ephemeral,
    )
