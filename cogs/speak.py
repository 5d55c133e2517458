"""/speak and the voice-channel controls: /join, /leave, /skip, /stop, /queue."""

from __future__ import annotations

import io
import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import UserFacingError
from bot.fish import NotFoundError, TTSConfig
from bot.usage import TTSKey, expensive_cooldown
from bot.voice.manager import SessionManager
from bot.voice.prefs import resolve_voice
from bot.voice.request import SpeakRequest
from bot.voice.session import QueueFull, VoiceSession

if TYPE_CHECKING:
    from bot.client import FishBot

log = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()
MODELS = [app_commands.Choice(name=m, value=m) for m in ("s1", "s2-pro", "s2.1-pro", "s2.1-pro-free")]
FILE_TYPES = {"opus": ("ogg", "audio/ogg"), "mp3": ("mp3", "audio/mpeg")}


def _clean_text(text: str, limit: int) -> str:
    text = text.strip()
    if not text:
        raise UserFacingError("Give me something to say.")
    if len(text) > limit:
        raise UserFacingError(
            f"That's {len(text):,} characters; the limit here is {limit:,}. Split it up."
        )
    return text


class Speak(commands.Cog):
    def __init__(self, bot: FishBot, sessions: SessionManager) -> None:
        self.bot = bot
        self.sessions = sessions

    async def cog_unload(self) -> None:
        # Sessions outlive a reload of this cog only if we let them; end them with it.
        await self.sessions.close_all()

    # --- helpers ---------------------------------------------------------------------------

    def _member(self, interaction: discord.Interaction) -> discord.Member:
        if not isinstance(interaction.user, discord.Member) or interaction.guild is None:
            raise UserFacingError("This only works in a server.")
        return interaction.user

    def _session(self, interaction: discord.Interaction) -> VoiceSession:
        session = self.sessions.get(interaction.guild_id or 0)
        if session is None:
            raise UserFacingError("I'm not in a voice channel here.")
        return session

    def _require_same_channel(self, member: discord.Member, session: VoiceSession) -> None:
        if member.voice is None or member.voice.channel != session.channel:
            raise UserFacingError(
                f"Join {session.channel.mention} to control what I say there."  # type: ignore[union-attr]
            )

    async def _check_voice(self, voice_id: str) -> None:
        try:
            await self.bot.fish.voices.get(voice_id)
        except NotFoundError:
            raise UserFacingError(f"There's no Fish Audio voice with the id `{voice_id[:64]}`.") from None

    # --- commands ------------------------------------------------------------------------

    @app_commands.command(name="speak", description="Say something in your voice channel")
    @app_commands.describe(
        text="What to say",
        voice="A Fish Audio voice id (default: your voice, then the server's)",
        speed="Speaking speed, 0.5 to 2.0",
        model="The Fish Audio model",
    )
    @app_commands.choices(model=MODELS)
    @app_commands.guild_only()
    @expensive_cooldown("speak")
    async def speak(
        self,
        interaction: discord.Interaction,
        text: str,
        voice: str | None = None,
        speed: app_commands.Range[float, 0.5, 2.0] | None = None,
        model: app_commands.Choice[str] | None = None,
    ) -> None:
        member = self._member(interaction)
        text = _clean_text(text, self.bot.settings.speak.max_text_length)
        if voice:
            await self._check_voice(voice)
        chosen = await resolve_voice(
            self.bot.store, self.bot.settings, user_id=member.id, guild_id=member.guild.id,
            voice_id=voice, speed=speed,
        )
        model_name = model.value if model else None
        if member.voice is None or member.voice.channel is None:
            await self._reply_with_file(interaction, member, text, chosen.voice_id, chosen.speed,
                                        model_name)
            return
        # Before anything else, so a member over quota is refused at once and the bot doesn't
        # join for nothing. The session commits or releases it when the clip ends.
        reservation = await self.bot.usage.reserve(
            kind="tts_chars", amount=len(text), user_id=member.id, guild_id=member.guild.id
        )
        try:
            await interaction.response.defer(ephemeral=True, thinking=True)
            session = await self.sessions.join(member)

            async def notify(message: str) -> None:
                await interaction.followup.send(message, ephemeral=True, allowed_mentions=NO_MENTIONS)

            request = SpeakRequest(
                text=text, requester_id=member.id, requester_name=member.display_name,
                voice_id=chosen.voice_id, speed=chosen.speed, model=model_name, notify=notify,
                on_outcome=reservation.finish,  # type: ignore[arg-type]
            )
            ahead = session.enqueue(request)
        except BaseException as exc:
            await reservation.release("skipped")
            if isinstance(exc, QueueFull):
                raise UserFacingError(
                    f"The queue is full ({self.bot.settings.speak.queue_limit} waiting). Try again soon."
                ) from None
            raise
        where = "Speaking now" if ahead == 0 else f"Queued at #{ahead + 1}"
        await interaction.followup.send(
            f"{where} in {session.channel.mention}.",  # type: ignore[union-attr]
            ephemeral=True,
        )

    async def _reply_with_file(
        self,
        interaction: discord.Interaction,
        member: discord.Member,
        text: str,
        voice_id: str | None,
        speed: float | None,
        model: str | None,
    ) -> None:
        """Not in voice: synthesise the whole clip and attach it, so /speak works anywhere."""
        settings = self.bot.settings
        file_format = settings.speak.file_format
        extension, _ = FILE_TYPES[file_format]
        usage = {"kind": "tts_chars", "amount": len(text), "user_id": member.id,
                 "guild_id": member.guild.id}
        key = TTSKey(text=text, voice_id=voice_id, speed=speed, model=model or settings.fish.model,
                     format=file_format, latency=settings.fish.latency,
                     opus_bitrate=settings.speak.opus_bitrate)
        audio = self.bot.usage.tts_cache.get(key)
        if audio is not None:
            await interaction.response.defer(thinking=True)
            await self.bot.usage.record(**usage, outcome="cached")  # type: ignore[arg-type]
        else:
            async with self.bot.usage.reserve(**usage):  # type: ignore[arg-type]
                await interaction.response.defer(thinking=True)
                audio = await self.bot.fish.tts.convert(
                    text=text,
                    reference_id=voice_id,
                    format=file_format,  # type: ignore[arg-type]
                    speed=speed,
                    latency=settings.fish.latency,  # type: ignore[arg-type]
                    config=TTSConfig(opus_bitrate=settings.speak.opus_bitrate),  # type: ignore[arg-type]
                    model=model or settings.fish.model,
                )
            self.bot.usage.tts_cache.put(key, audio)
        if len(audio) > interaction.filesize_limit:
            raise UserFacingError("That clip is larger than Discord lets me upload here. Try less text.")
        await interaction.followup.send(
            "You're not in a voice channel, so here it is as a file.",
            file=discord.File(io.BytesIO(audio), filename=f"speech.{extension}"),
            allowed_mentions=NO_MENTIONS,
        )

    @app_commands.command(name="join", description="Bring the bot into your voice channel")
    @app_commands.guild_only()
    async def join(self, interaction: discord.Interaction) -> None:
        member = self._member(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        session = await self.sessions.join(member)
        await interaction.followup.send(
            f"Ready in {session.channel.mention}.", ephemeral=True  # type: ignore[union-attr]
        )

    @app_commands.command(name="leave", description="Make the bot leave the voice channel")
    @app_commands.guild_only()
    async def leave(self, interaction: discord.Interaction) -> None:
        member = self._member(interaction)
        session = self._session(interaction)
        self._require_same_channel(member, session)
        await session.close()
        await interaction.response.send_message("Left the voice channel.", ephemeral=True)

    @app_commands.command(name="skip", description="Skip what the bot is saying now")
    @app_commands.guild_only()
    async def skip(self, interaction: discord.Interaction) -> None:
        member = self._member(interaction)
        session = self._session(interaction)
        self._require_same_channel(member, session)
        skipped = await session.skip()
        if skipped is None:
            raise UserFacingError("I'm not saying anything right now.")
        await interaction.response.send_message(
            f"Skipped {skipped.requester_name}'s message.", ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )

    @app_commands.command(name="stop", description="Stop speaking and clear the queue")
    @app_commands.guild_only()
    async def stop(self, interaction: discord.Interaction) -> None:
        member = self._member(interaction)
        session = self._session(interaction)
        self._require_same_channel(member, session)
        dropped = await session.stop()
        await interaction.response.send_message(
            f"Stopped; dropped {dropped} message(s).", ephemeral=True
        )

    @app_commands.command(name="queue", description="What the bot is saying and what is waiting")
    @app_commands.guild_only()
    async def queue(self, interaction: discord.Interaction) -> None:
        session = self._session(interaction)
        embed = discord.Embed(title="Speech queue", colour=discord.Colour.blurple())
        if session.current is not None:
            request = session.current.request
            embed.add_field(
                name="Now", value=f"{request.requester_name}: {request.preview()}", inline=False
            )
        waiting = [
            f"{i}. {r.requester_name}: {r.preview()}" for i, r in enumerate(session.queue, 1)
        ]
        embed.description = "\n".join(waiting[:20]) or "Nothing waiting."
        if len(waiting) > 20:
            embed.set_footer(text=f"and {len(waiting) - 20} more")
        await interaction.response.send_message(
            embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS
        )

    # --- self-healing ---------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_voice_state_update(
        self, member: discord.Member, before: discord.VoiceState, after: discord.VoiceState
    ) -> None:
        await self.sessions.on_voice_state_update(member, before, after)

    @commands.Cog.listener()
    async def on_guild_channel_delete(self, channel: discord.abc.GuildChannel) -> None:
        await self.sessions.on_channel_delete(channel)


async def setup(bot: FishBot) -> None:
    await bot.add_cog(Speak(bot, bot.voice_sessions))
