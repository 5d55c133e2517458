"""What a member can do with a voice from a card (the library, a fresh clone): hear it, or make it
their voice."""

from __future__ import annotations

import functools
import io
import logging

import discord

from bot.errors import UnknownVoice
from bot.i18n import _
from bot.media import download_url
from bot.speech.prepare import Phrase
from bot.speech.service import Bought, SpeechService
from bot.storage.settings import SettingsStore
from bot.storage.voice_owners import VoiceOwners
from bot.storage.voice_prefs import NAMESPACE, VoicePrefs
from bot.ui.speaking import in_voice, send_as_file, speak_in_voice
from bot.ui.views import MemberView

log = logging.getLogger(__name__)
NO_MENTIONS = discord.AllowedMentions.none()
PREVIEW_LIMIT = 200
SAMPLE_MAX_BYTES = 8 * 1024 * 1024
SAMPLE_TYPES = {b"ID3": "mp3", b"\xff\xfb": "mp3", b"\xff\xf3": "mp3", b"OggS": "ogg", b"RIFF": "wav"}


def _sample_name(audio: bytes) -> str:
    return "sample." + next((ext for magic, ext in SAMPLE_TYPES.items() if audio.startswith(magic)), "mp3")


def preview_text(title: str, sample_text: str | None) -> str:
    """What a preview says: the voice's own sample text, else a greeting in the member's language."""
    greeting = _("Hello! This is {title}, a voice on Fish Audio.")
    text = (sample_text or "").strip() or greeting.format(title=title)
    return text[:PREVIEW_LIMIT]


async def use_as_my_voice(store: SettingsStore, owners: VoiceOwners, interaction: discord.Interaction,
                          voice_id: str, title: str) -> None:
    """Save the voice for the member: /voice set, and the "Use as my voice" button on a card."""
    if not await owners.usable_by(voice_id, interaction.user.id):
        raise UnknownVoice(voice_id)  # a card's voice made private by its owner since it was shown
    await store.update_user(interaction.user.id, NAMESPACE,
                                {"voice_id": voice_id, "voice_name": title[:100]}, model=VoicePrefs)
    text = _("Your voice is now **{title}**. `/speak` and narration use it.").format(
        title=discord.utils.escape_markdown(title))
    if interaction.response.is_done():
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
    else:
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)


async def preview_voice(speech: SpeechService, interaction: discord.Interaction, voice_id: str, title: str,
                        sample_text: str | None = None, sample_audio: str | None = None) -> None:
    """The voice's own sample audio, attached, when Fish offers one (free); otherwise speak a sample
    in the member's voice channel through the server's queue, or send it as a file when they are
    not in one (or not in a server). Sample URLs are signed and can expire: TTS is the fallback."""
    name = discord.utils.escape_markdown(title)
    text = preview_text(title, sample_text)
    member = interaction.user
    voice_member = member if isinstance(member, discord.Member) and in_voice(member) else None
    if sample_audio:
        await interaction.response.defer(ephemeral=True, thinking=True)
        audio = await download_url(sample_audio, max_bytes=min(SAMPLE_MAX_BYTES, interaction.filesize_limit))
        if audio is None:
            log.info("the sample of voice %s could not be fetched; previewing with TTS", voice_id)
        elif voice_member is not None:  # the sample itself: no Fish request, no credit
            bought = Bought(speech.spec(text, voice_id=voice_id), audio)
            await speak_in_voice(speech, interaction, voice_member, [bought])
            return
        else:
            sample = discord.File(io.BytesIO(audio), filename=_sample_name(audio))
            await interaction.followup.send(_("**{title}**'s own sample:").format(title=name), file=sample,
                                            ephemeral=True, allowed_mentions=NO_MENTIONS)
            return
    # Said as the server has the bot sound, in exactly this voice; a sample text of cues alone
    # leaves nothing to say, and the greeting is said instead.
    prepare = functools.partial(speech.preparer.prepare, interaction.guild, speaker_id=None, voice=voice_id,
                                as_file=voice_member is None)
    prepared = await prepare(Phrase(text)) or await prepare(Phrase(preview_text(title, None)))
    assert prepared is not None  # the greeting always has words
    if voice_member is not None:
        await speak_in_voice(speech, interaction, voice_member, [prepared.spec])
        return
    await send_as_file(speech, interaction, prepared.spec, ephemeral=True,
                       content=_("A preview of **{title}**:").format(title=name))


class VoiceActions(MemberView):
    """Preview / Use as my voice buttons for one voice."""

    def __init__(self, speech: SpeechService, store: SettingsStore, owners: VoiceOwners, owner_id: int, *,
                 voice_id: str, title: str, sample_text: str | None = None, sample_audio: str | None = None,
                 timeout: float = 600) -> None:
        super().__init__(owner_id, store, timeout=timeout)
        self.speech = speech
        self.owners = owners
        self.voice_id = voice_id
        self.title = title
        self.sample_text = sample_text
        self.sample_audio = sample_audio  # an absolute URL
        self.preview.label = _("Preview")
        self.use.label = _("Use as my voice")

    @discord.ui.button(label="Preview", style=discord.ButtonStyle.primary, custom_id="preview")
    async def preview(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await preview_voice(self.speech, interaction, self.voice_id, self.title, self.sample_text,
                            self.sample_audio)

    @discord.ui.button(label="Use as my voice", style=discord.ButtonStyle.success, custom_id="use")
    async def use(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await use_as_my_voice(self.store, self.owners, interaction, self.voice_id, self.title)
