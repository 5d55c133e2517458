"""Each member's own voice, speed and spoken name: /voice set|speed|show|reset and /nick set|reset."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import UserFacingError
from bot.expressive.cues import check_style
from bot.fish import FishError, NotFoundError, PermissionDeniedError, parse_voice_id
from bot.i18n import _, pgettext
from bot.i18n.formatting import number
from bot.permissions import require_permissions
from bot.speech.access import usable_voice
from bot.speech.voices import resolve_voice
from bot.spoken.cleaning import clean
from bot.spoken.settings import NICK_LIMIT, NICKNAMES, OPT_OUT, Nicknames, OptOut
from bot.storage.voice_prefs import NAMESPACE, VoicePrefs
from bot.ui.cue_autocomplete import StyleOptions
from bot.ui.voice_actions import use_as_my_voice
from bot.ui.voice_autocomplete import VoiceOptions
from bot.wording.notices import gone_notice

if TYPE_CHECKING:
    from bot.client import FishBot

NO_MENTIONS = discord.AllowedMentions.none()
_MENTION = re.compile(r"<[@#][!&]?\d+>|@(everyone|here)\b")


class MemberVoice(VoiceOptions, StyleOptions, commands.Cog):
    voice = app_commands.Group(name="voice", description="The voice the bot uses for you")
    nick = app_commands.Group(name="nick", description="How the bot says your name", guild_only=True)

    def __init__(self, bot: FishBot) -> None:
        self.bot = bot
        self.voice_choices = bot.voice_choices
        self.default_model = bot.settings.fish.model

    async def _reply(self, interaction: discord.Interaction, text: str) -> None:
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)

    # --- /voice --------------------------------------------------------------------------------

    @voice.command(name="set", description="Speak with this voice (in /speak and narration)")
    @app_commands.describe(voice="The voice (type to search)")
    @app_commands.autocomplete(voice=VoiceOptions.voice_autocomplete)
    async def voice_set(self, interaction: discord.Interaction, voice: str) -> None:
        found = await usable_voice(self.bot.fish, self.bot.voice_owners, interaction.user.id, voice)
        await use_as_my_voice(self.bot.store, self.bot.voice_owners, interaction, found.id, found.title)

    @voice.command(name="speed", description="How fast your voice speaks")
    @app_commands.describe(speed="0.5 (slow) to 2.0 (fast); 1.0 is normal")
    async def voice_speed(self, interaction: discord.Interaction,
                          speed: app_commands.Range[float, 0.5, 2.0]) -> None:
        await self.bot.store.update_user(interaction.user.id, NAMESPACE, {"speed": speed}, model=VoicePrefs)
        await self._reply(interaction, _("Your speed is now {speed}.").format(speed=number(speed)))

    @voice.command(name="show", description="The voice and speed the bot uses for you")
    async def voice_show(self, interaction: discord.Interaction) -> None:
        user_id, guild_id = interaction.user.id, interaction.guild_id
        mine = await self.bot.store.get_user(user_id, NAMESPACE, VoicePrefs)
        gone = ""
        if mine.voice_id and await self._still_usable(mine.voice_id, user_id, guild_id) is False:
            replaced = await self.bot.speech.stale.replace(mine.voice_id, user_id=user_id, guild_id=guild_id)
            gone = f"{gone_notice(replaced.notice)}\n" if replaced.notice else ""
            mine = VoicePrefs(speed=mine.speed)
        used = await resolve_voice(self.bot.store, self.bot.settings, self.bot.voice_owners,
                                   user_id=interaction.user.id, guild_id=interaction.guild_id)
        if mine.voice_id:
            voice = _("{voice} (your choice)").format(
                voice=f"**{discord.utils.escape_markdown(mine.voice_name or mine.voice_id)}**")
        elif used.voice_id:
            voice = _("{voice} (the server's or the bot's default)").format(voice=f"`{used.voice_id}`")
        else:
            voice = _("Fish Audio's default voice")
        speed = number(used.speed) if used.speed else pgettext("speed", "normal")
        shown = _("Voice: {voice}\nSpeed: {speed}").format(voice=voice, speed=speed)
        await self._reply(interaction, f"{gone}{shown}")

    async def _still_usable(self, voice_id: str, user_id: int, guild_id: int | None) -> bool | None:
        """Whether a saved voice may still be spoken with: withdrawn by its owner or gone from Fish
        (404; 403 for another account's private voice) is False; None when Fish can't tell now."""
        if await self.bot.speech.stale.unusable(voice_id, user_id=user_id, guild_id=guild_id):
            return False
        parsed = parse_voice_id(voice_id)
        if parsed is None:
            return False
        try:
            await self.bot.fish.voices.get(parsed)
        except (NotFoundError, PermissionDeniedError):
            return False
        except FishError:
            return None  # Fish unreachable: show the saved choice unchecked
        return True

    @voice.command(name="style", description="How your text is said by default, e.g. whispering")
    @app_commands.describe(style="A style for the bot's model (leave out to stop using one)")
    @app_commands.autocomplete(style=StyleOptions.style_autocomplete)
    async def voice_style(self, interaction: discord.Interaction,
                          style: app_commands.Range[str, 1, 100] | None = None) -> None:
        if style is not None:
            style = check_style(style, self.bot.settings.fish.model)
        await self.bot.store.update_user(interaction.user.id, NAMESPACE, {"style": style}, model=VoicePrefs)
        if style is None:
            await self._reply(interaction, _("You have no default style now."))
            return
        await self._reply(interaction, _(
            "Your default style is now “{style}”. It is used by `/speak` and narration in servers that "
            "allow expressive cues (`/speak style:` overrides it).").format(
                style=discord.utils.escape_markdown(style)))

    @voice.command(name="reset", description="Go back to the server's default voice and speed")
    async def voice_reset(self, interaction: discord.Interaction) -> None:
        await self.bot.store.delete_user(interaction.user.id, NAMESPACE)
        await self._reply(interaction, _("Your voice and speed are back to the defaults."))

    async def _opt_out(self, interaction: discord.Interaction, muted: bool) -> None:
        guild_id = interaction.guild_id
        if guild_id is None:
            raise UserFacingError(_("This only works in a server."))
        current = await self.bot.store.get_user(interaction.user.id, OPT_OUT, OptOut)
        guilds = sorted({*current.guilds, guild_id} if muted else set(current.guilds) - {guild_id})
        await self.bot.store.update_user(interaction.user.id, OPT_OUT, {"guilds": guilds}, model=OptOut)
        await self._reply(interaction, _("Your messages won't be read aloud in this server. "
                                         "`/voice unmute-me` undoes it.") if muted else
                          _("Your messages will be read aloud in this server again."))

    @voice.command(name="mute-me", description="Don't read my messages aloud in this server")
    async def mute_me(self, interaction: discord.Interaction) -> None:
        await self._opt_out(interaction, True)

    @voice.command(name="unmute-me", description="Read my messages aloud in this server again")
    async def unmute_me(self, interaction: discord.Interaction) -> None:
        await self._opt_out(interaction, False)

    # --- /nick ---------------------------------------------------------------------------------

    async def _target(self, interaction: discord.Interaction, member: discord.Member | None) -> int:
        if member is None or member.id == interaction.user.id:
            return interaction.user.id
        require_permissions(interaction, manage_nicknames=True)
        return member.id

    @nick.command(name="set", description="How the bot says a name when reading messages aloud")
    @app_commands.describe(name="The name as it should be spoken",
                           member="Someone else (needs Manage Nicknames)")
    async def nick_set(self, interaction: discord.Interaction, name: app_commands.Range[str, 1, NICK_LIMIT],
                       member: discord.Member | None = None) -> None:
        if _MENTION.search(name):
            raise UserFacingError(_("A spoken name can't contain mentions."))
        spoken = clean(name)
        if not spoken or len(spoken) > NICK_LIMIT:
            raise UserFacingError(_("Give a name of 1 to {limit} characters that can be spoken.").format(
                limit=number(NICK_LIMIT)))
        target = await self._target(interaction, member)
        assert interaction.guild_id is not None
        current = await self.bot.store.get_user(target, NICKNAMES, Nicknames)
        names = {**current.names, str(interaction.guild_id): spoken}
        await self.bot.store.update_user(target, NICKNAMES, {"names": names}, model=Nicknames)
        if target == interaction.user.id:
            done = _("Your name will be read as “{name}” here.").format(name=spoken)
        else:
            done = _("{member}'s name will be read as “{name}” here.").format(member=f"<@{target}>",
                                                                              name=spoken)
        await self._reply(interaction, done)

    @nick.command(name="reset", description="Read the display name again")
    @app_commands.describe(member="Someone else (needs Manage Nicknames)")
    async def nick_reset(self, interaction: discord.Interaction,
                         member: discord.Member | None = None) -> None:
        target = await self._target(interaction, member)
        assert interaction.guild_id is not None
        current = await self.bot.store.get_user(target, NICKNAMES, Nicknames)
        names = {k: v for k, v in current.names.items() if k != str(interaction.guild_id)}
        await self.bot.store.update_user(target, NICKNAMES, {"names": names}, model=Nicknames)
        await self._reply(interaction, _("The display name will be read again."))


async def setup(bot: FishBot) -> None:
    await bot.add_cog(MemberVoice(bot))
