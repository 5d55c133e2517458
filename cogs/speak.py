"""/speak and the voice-channel controls: /join, /leave, /skip, /stop, /queue."""

from __future__ import annotations

import datetime
import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import UserFacingError
from bot.fish.tts_models import TTSModel, offered_models, tts_model
from bot.i18n import _, ngettext
from bot.i18n.formatting import day, number
from bot.permissions import can_read
from bot.ui.cue_autocomplete import StyleOptions
from bot.ui.speaking import in_voice, send_as_file, speak_in_voice
from bot.ui.voice_autocomplete import VoiceOptions
from bot.usage import expensive_cooldown
from bot.voice.manager import SessionManager
from bot.voice.request import SpeakRequest
from bot.voice.session import VoiceSession

if TYPE_CHECKING:
    from bot.client import FishBot

log = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()


def model_choices(today: datetime.date, typed: str = "") -> list[app_commands.Choice[str]]:
    """The models offered today (bot.fish.tts_models), matching what the member typed."""
    typed = typed.strip().lower()
    return [
        app_commands.Choice(name=model_label(m, today), value=m.name)
        for m in offered_models(today)
        if not typed or typed in m.name or typed in m.label.lower()
    ]


def model_label(model: TTSModel, today: datetime.date) -> str:
    if model.retires is not None and not model.retired(today):
        return _("{model} (retiring {date})").format(model=model.label, date=day(model.retires))
    return model.label


def checked_model(name: str | None, today: datetime.date) -> str | None:
    """`name` if members may pick it today; a clear refusal otherwise."""
    if name is None:
        return None
    model = tts_model(name)
    if model is None:
        raise UserFacingError(_("There is no model called “{name}”. Pick one from the list.").format(
            name=discord.utils.escape_markdown(name[:40])))
    if model.retired(today) and model.retires is not None:
        raise UserFacingError(
            _("{model} was retired by Fish Audio on {date}; use {replacement} or pick another model "
              "from the list.").format(model=model.name, date=day(model.retires),
                                       replacement=model.replacement)
        )
    return model.name


def _clean_text(text: str, limit: int) -> str:
    text = text.strip()
    if not text:
        raise UserFacingError(_("Give me something to say."))
    if len(text) > limit:
        raise UserFacingError(
            _("That's {length} characters; the limit here is {limit}. Split it up.").format(
                length=number(len(text)), limit=number(limit))
        )
    return text


class Speak(VoiceOptions, StyleOptions, commands.Cog):
    def __init__(self, bot: FishBot, sessions: SessionManager) -> None:
        self.bot = bot
        self.voice_choices = bot.voice_choices
        self.default_model = bot.settings.fish.model
        expensive_cooldown(bot.cooldowns, "speak", self.speak)
        self.sessions = sessions

    # --- helpers ---------------------------------------------------------------------------

    def _member(self, interaction: discord.Interaction) -> discord.Member:
        if not isinstance(interaction.user, discord.Member) or interaction.guild is None:
            raise UserFacingError(_("This only works in a server."))
        return interaction.user

    def _session(self, interaction: discord.Interaction) -> VoiceSession:
        session = self.sessions.get(interaction.guild_id or 0)
        if session is None:
            raise UserFacingError(_("I'm not in a voice channel here."))
        return session

    def _require_same_channel(self, member: discord.Member, session: VoiceSession) -> None:
        if member.voice is None or member.voice.channel != session.channel:
            raise UserFacingError(
                _("Join {channel} to control what I say there.").format(channel=session.channel.mention)
            )

    # --- commands ------------------------------------------------------------------------

    @app_commands.command(name="speak", description="Say something in your voice channel")
    @app_commands.describe(
        text="What to say",
        voice="A Fish Audio voice: type to search (default: your voice, then the server's)",
        speed="Speaking speed, 0.5 to 2.0",
        model="The Fish Audio model",
        style="How to say it, e.g. whispering or excited (the choices depend on the model)",
    )
    @app_commands.autocomplete(voice=VoiceOptions.voice_autocomplete,
                               style=StyleOptions.style_autocomplete)
    @app_commands.guild_only()
    async def speak(
        self,
        interaction: discord.Interaction,
        text: str,
        voice: str | None = None,
        speed: app_commands.Range[float, 0.5, 2.0] | None = None,
        model: str | None = None,
        style: app_commands.Range[str, 1, 100] | None = None,
    ) -> None:
        member = self._member(interaction)
        text = _clean_text(text, self.bot.settings.speak.max_text_length)
        model_name = checked_model(model, self.bot.speech.today())
        # Said as narration would say it: mentions as names, custom emoji and links as words (the
        # server's cleaning settings), cues written for the model (the member's own only where the
        # server allows them; `style`, else their saved style then, on the whole text), the
        # dictionary; the voice option after the one parse and the ownership check.
        prepared = await self.bot.speech.preparer.prepare(
            member.guild, text, speaker_id=member.id, typed_voice=voice, speed=speed, model=model_name,
            style=style, saved_style=True, as_file=not in_voice(member),
        )
        if prepared is None:
            raise UserFacingError(_("Nothing is left to say once markup, links and emoji are taken out."))
        if not in_voice(member):
            await send_as_file(self.bot.speech, interaction, prepared.spec)
            return
        await speak_in_voice(self.bot.speech, interaction, member, [prepared.spec])

    @speak.autocomplete("model")
    async def _model_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return model_choices(self.bot.speech.today(), current)

    @app_commands.command(name="join", description="Bring the bot into your voice channel")
    @app_commands.guild_only()
    async def join(self, interaction: discord.Interaction) -> None:
        member = self._member(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        session = await self.sessions.join(member)
        await interaction.followup.send(
            _("Ready in {channel}.").format(channel=session.channel.mention), ephemeral=True
        )

    @app_commands.command(name="leave", description="Make the bot leave the voice channel")
    @app_commands.guild_only()
    async def leave(self, interaction: discord.Interaction) -> None:
        member = self._member(interaction)
        session = self._session(interaction)
        self._require_same_channel(member, session)
        await session.close()
        await interaction.response.send_message(_("Left the voice channel."), ephemeral=True)

    @app_commands.command(name="skip", description="Skip what the bot is saying now")
    @app_commands.guild_only()
    async def skip(self, interaction: discord.Interaction) -> None:
        member = self._member(interaction)
        session = self._session(interaction)
        self._require_same_channel(member, session)
        skipped = await session.skip()
        if skipped is None:
            raise UserFacingError(_("I'm not saying anything right now."))
        await interaction.response.send_message(
            _("Skipped {name}'s message.").format(name=skipped.requester_name), ephemeral=True,
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
            ngettext("Stopped; dropped {count} message.", "Stopped; dropped {count} messages.",
                     dropped).format(count=number(dropped)),
            ephemeral=True,
        )

    @app_commands.command(name="queue", description="What the bot is saying and what is waiting")
    @app_commands.guild_only()
    async def queue(self, interaction: discord.Interaction) -> None:
        member = self._member(interaction)
        session = self._session(interaction)
        # The words are for those who hear them anyway, and never from a channel the viewer
        # can't read (a narrated message); everyone else sees who asked.
        listening = member.voice is not None and member.voice.channel == session.channel

        def shown(request: SpeakRequest) -> bool:
            return listening and self._readable(member, request)

        embed = discord.Embed(title=_("Speech queue"), colour=discord.Colour.blurple())
        # What is playing goes first, in the description: Discord draws fields after it.
        lines = []
        if session.current is not None:
            request = session.current.request
            if shown(request):
                now = _("**Now:** {name}: {text}").format(name=request.requester_name, text=request.preview())
            else:
                now = _("**Now:** {name}").format(name=request.requester_name)
            lines += [now, ""]
        waiting = [f"{i}. {r.requester_name}: {r.preview()}" if shown(r) else f"{i}. {r.requester_name}"
                   for i, r in enumerate(session.queue, 1)]
        lines += waiting[:20] or [_("Nothing waiting.")]
        embed.description = "\n".join(lines)
        if len(waiting) > 20:
            more = len(waiting) - 20
            footer = ngettext("and {count} more", "and {count} more", more)
            embed.set_footer(text=footer.format(count=number(more)))
        if not listening:
            embed.add_field(name=_("What is said"), value=_("Join {channel} to see the words.").format(
                channel=session.channel.mention))
        await interaction.response.send_message(
            embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS
        )

    @staticmethod
    def _readable(member: discord.Member, request: SpeakRequest) -> bool:
        """Whether the member may see the request's words: those read from a text channel only
        by members who can read that channel."""
        if request.channel_id is None:
            return True
        channel = member.guild.get_channel_or_thread(request.channel_id)
        return channel is not None and can_read(member, channel)


async def setup(bot: FishBot) -> None:
    await bot.add_cog(Speak(bot, bot.voice_sessions))
