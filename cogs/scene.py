"""/scene: a short script ("Speaker: line" per line) read by several voices, in one multi-speaker
request where the model can take it, else as consecutive clips played back to back."""

from __future__ import annotations

import dataclasses
import functools
import io
import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import UnknownSpeakers, UserFacingError
from bot.expressive.scene import (
    build_parts,
    consecutive_clips,
    mention_id,
    multi_speaker_request,
    one_request,
    parse_script,
    speaker_key,
    speakers_of,
)
from bot.i18n import N_, _, ngettext
from bot.i18n.formatting import listing, number
from bot.media.join import JoinFailed, join_clips
from bot.permissions import require_speaker
from bot.speech.service import Placement
from bot.speech.voices import resolve_voice
from bot.storage.voice_prefs import NAMESPACE as VOICE_NAMESPACE
from bot.storage.voice_prefs import VoicePrefs
from bot.tts.spec import SpeechSpec
from bot.ui.fish_line import line_notice
from bot.ui.speaking import FILE_TYPES, in_voice, speak_in_voice
from bot.ui.views import AnsweredModal
from bot.usage import expensive_cooldown
from cogs.speak import checked_model, model_choices

if TYPE_CHECKING:
    from bot.client import FishBot

log = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()
PLACEHOLDER = N_("Ann: Did you hear that?\nBob: [whispering] Stay quiet.\nNarrator: Nobody moved.")


class _Private(Exception):
    pass


class SceneModal(AnsweredModal):
    def __init__(self, cog: Scene, model: str | None, as_file: bool) -> None:
        # Built while the command is answered: in the member's language.
        super().__init__(cog.bot.store, title=_("A scene with several voices"), timeout=900)
        self.script: discord.ui.TextInput[SceneModal] = discord.ui.TextInput(
            label=_("One line per turn: “Speaker: what they say”"), style=discord.TextStyle.paragraph,
            max_length=4000, custom_id="script", placeholder=_(PLACEHOLDER),
        )
        self.add_item(self.script)
        self.cog = cog
        self.model = model
        self.as_file = as_file

    async def submitted(self, interaction: discord.Interaction) -> None:
        await self.cog.perform(interaction, self.script.value, model=self.model, as_file=self.as_file)


class Scene(commands.Cog):
    def __init__(self, bot: FishBot) -> None:
        self.bot = bot
        expensive_cooldown(bot.cooldowns, "scene", self.scene)

    @app_commands.command(name="scene", description="Read a short script with several voices")
    @app_commands.describe(model="The Fish Audio model (S2 and drama-3 read a scene in one go)",
                           as_file="Send it as a file even when you're in a voice channel")
    @app_commands.guild_only()
    async def scene(self, interaction: discord.Interaction, model: str | None = None,
                    as_file: bool = False) -> None:
        chosen = checked_model(model, self.bot.speech.today())
        if not as_file and isinstance(interaction.user, discord.Member):
            require_speaker(interaction.user)  # before the script is written, not after
        await interaction.response.send_modal(SceneModal(self, chosen, as_file))

    @scene.autocomplete("model")
    async def _model_autocomplete(self, interaction: discord.Interaction,
                                  current: str) -> list[app_commands.Choice[str]]:
        return model_choices(self.bot.speech.today(), current)

    # --- who speaks with which voice --------------------------------------------------------------

    @staticmethod
    def _member_named(guild: discord.Guild, key: str) -> discord.Member | None:
        for member in guild.members:
            if key in (speaker_key(member.display_name), speaker_key(member.name)):
                return member
        return None

    async def _allowed(self, requester_id: int, voice_id: str) -> bool:
        """The private-voice rule: another member's private or unlisted voice is not usable."""
        return await self.bot.voice_owners.usable_by(voice_id, requester_id)

    async def _voice_named(self, requester: discord.Member, label: str) -> str | None:
        key = speaker_key(label)
        for record in await self.bot.voice_owners.of_user(requester.id):
            if speaker_key(record.title) == key:
                return record.voice_id
        server = await self.bot.store.get_guild(requester.guild.id, VOICE_NAMESPACE, VoicePrefs)
        if (server.voice_id and speaker_key(server.voice_name or "") == key
                and await self._allowed(requester.id, server.voice_id)):
            return server.voice_id
        page = await self.bot.fish.voices.list(title=" ".join(label.split()), page_size=20)
        for voice in page.items:
            if speaker_key(voice.title) == key and await self._allowed(requester.id, voice.id):
                return voice.id
        return None

    async def _voice_of(self, requester: discord.Member, label: str) -> str | None:
        """The voice for a speaker: a member's own voice (else the server's or the bot's default),
        or a voice named by its title. Raises LookupError when nobody is found by that name."""
        guild = requester.guild
        # Without the privileged members intent the bot only knows the members it has seen (those
        # in voice channels, the requester): a name finds them, a mention finds anyone.
        target_id = mention_id(label)
        if target_id is None:
            key = speaker_key(label)
            mine = key in (speaker_key(requester.display_name), speaker_key(requester.name))
            named = requester if mine else self._member_named(guild, key)
            target_id = named.id if named is not None else None
        if target_id is not None:
            chosen = await resolve_voice(self.bot.store, self.bot.settings, self.bot.voice_owners,
                                         user_id=target_id, guild_id=guild.id)
            if chosen.voice_id and not await self._allowed(requester.id, chosen.voice_id):
                member = guild.get_member(target_id)
                raise _Private(member.display_name if member is not None else label)
            return chosen.voice_id
        found = await self._voice_named(requester, label)
        if found is None:
            raise LookupError(label)
        return found

    # --- the scene ------------------------------------------------------------------------------

    async def perform(self, interaction: discord.Interaction, script: str, *, model: str | None,
                      as_file: bool) -> None:
        requester = interaction.user
        if not isinstance(requester, discord.Member):
            raise UserFacingError(_("This only works in a server."))
        settings = self.bot.settings
        model = model or settings.fish.model
        lines = parse_script(script, max_speakers=settings.scene.max_speakers,
                             max_chars=settings.scene.max_chars)
        voices: dict[str, str | None] = {}
        unknown: list[str] = []
        private: list[str] = []
        for key, label in speakers_of(lines).items():
            try:
                voices[key] = await self._voice_of(requester, label)
            except LookupError:
                unknown.append(label)
            except _Private as exc:
                private.append(str(exc))
        if unknown:
            raise UnknownSpeakers(unknown)
        if private:
            names = listing([f"**{discord.utils.escape_markdown(n)}**" for n in private])
            raise UserFacingError(ngettext(
                "The voice of {names} is private to its owner, so it can't be used in your scene. "
                "Nothing was spent.",
                "The voices of {names} are private to their owners, so they can't be used in your scene. "
                "Nothing was spent.",
                len(private),
            ).format(names=names))
        guild = requester.guild
        preparer = self.bot.speech.preparer
        server = await preparer.server(guild.id)
        # Each line as /speak says it (its stand-ins, "a link", in that line's language).
        said = {line.text: await preparer.words(guild, line.text, server=server, model=model)
                for line in lines}
        parts = build_parts(lines, voices, model, cues_allowed=server.expressive_cues,
                            render=said.__getitem__)
        to_file = as_file or not in_voice(requester)
        together = one_request(parts, model)
        clips = [] if together else consecutive_clips(parts)
        # Clips to be joined into one file are fetched as Ogg Opus, whose headers say exactly where
        # each one's audio starts and ends (MP3 pads every clip with silence), then encoded once.
        joined = to_file and len(clips) > 1
        make = functools.partial(preparer.spec, server=server, model=model, as_file=to_file and not joined)
        if together:
            request = multi_speaker_request(parts)
            specs = [dataclasses.replace(make(request.text), speakers=tuple(request.voices))]
        else:
            specs = [make(part.text, voice_id=part.voice_id) for part in clips]
        if specs[0].speakers:
            how = ngettext("{count} voice in one request", "{count} voices in one request",
                           len(voices)).format(count=number(len(voices)))
        else:
            how = ngettext("{count} clip", "{count} clips back to back",
                           len(specs)).format(count=number(len(specs)))
        if to_file:
            await self._send_files(interaction, specs, how)
        else:
            await self._play(interaction, requester, specs, how)

    async def _play(self, interaction: discord.Interaction, requester: discord.Member,
                    specs: list[SpeechSpec], how: str) -> None:
        def reply(placed: Placement, channel: str) -> str:
            if placed.ahead == 0:
                return _("Playing the scene now in {channel} ({how}).").format(channel=channel, how=how)
            return _("The scene is queued at #{position} in {channel} ({how}).").format(
                position=number(placed.position), channel=channel, how=how)

        await speak_in_voice(self.bot.speech, interaction, requester, list(specs), reply=reply)

    async def _send_files(self, interaction: discord.Interaction, specs: list[SpeechSpec], how: str) -> None:
        async def defer() -> None:
            if not interaction.response.is_done():
                await interaction.response.defer(thinking=True)

        clips = []
        in_line = line_notice(interaction.edit_original_response)  # told once for the scene
        for spec in specs:  # in turn: the first one defers the interaction
            clips.append(await self.bot.speech.render(spec, user_id=interaction.user.id,
                                                      guild_id=interaction.guild_id, accepted=defer,
                                                      in_line=in_line))
        file_format = self.bot.settings.speak.file_format
        if len(clips) == 1:  # already in the file format
            audio = clips[0]
        else:
            try:
                audio = await join_clips(clips, fmt=file_format)
            except JoinFailed as exc:
                log.error("joining the %d clips of a scene failed: %s", len(clips), exc)
                raise UserFacingError(_("I couldn't put the scene's clips together into one file. "
                                        "Try again, or play it in a voice channel.")) from None
        if len(audio) > interaction.filesize_limit:
            raise UserFacingError(
                _("That scene is larger than Discord lets me upload here. Try a shorter one."))
        extension, _mime = FILE_TYPES[file_format]
        await interaction.followup.send(_("Here is your scene ({how}).").format(how=how),
                                        file=discord.File(io.BytesIO(audio), filename=f"scene.{extension}"),
                                        allowed_mentions=NO_MENTIONS)


async def setup(bot: FishBot) -> None:
    await bot.add_cog(Scene(bot))
