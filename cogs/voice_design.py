"""/voices design: Fish's voice design makes up to four candidate voices from a description; the
member listens to them (the attached WAVs, or played in their voice channel through the server's
queue, which asks Fish for nothing more) and may save one as their own Fish voice. Part of the
voices extension (cogs/voices.py registers the command).

Costs: each design request reserves one "voice_designs" from the member's and the server's daily
quotas and is recorded in the usage ledger; saving a candidate is a voice creation and counts as a
clone, with the same ownership and visibility rules as /clone. A synthetic voice needs no consent
step. Nothing is created on Fish's side unless the member saves a candidate.
"""

from __future__ import annotations

import io
import logging
import re
from typing import TYPE_CHECKING

import discord

from bot.cloning import check_title
from bot.errors import UserFacingError
from bot.fish import FishAPIError, FishError, ValidationError, Visibility, VoiceDesignCandidate
from bot.fish.admission import requested_by
from bot.fish.errors import first_detail_message
from bot.fish.voice_design import INSTRUCTION_LIMIT, REFERENCE_TEXT_LIMIT
from bot.i18n import N_, _, ngettext
from bot.i18n.formatting import number
from bot.speech.service import Bought, Placement
from bot.ui.fish_line import line_notice
from bot.ui.speaking import speak_in_voice
from bot.ui.views import AnsweredModal, MemberView
from bot.ui.voice_actions import VoiceActions
from bot.wording import describe_error
from bot.wording.cloning import visibility_name

if TYPE_CHECKING:
    from bot.client import FishBot

log = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()
CANDIDATES = 4  # Fish's maximum; a request costs the same whatever the number
DESCRIPTION_KEPT = 500  # the voice's description on Fish (the clone limit)
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})?$")
# A public voice needs a cover image, which a button cannot ask for: /voices edit can add both.
DESIGN_VISIBILITY: dict[Visibility, str] = {
    "private": N_("private (only you)"),
    "unlist": N_("unlisted (anyone with the id)"),
}


def check_request(description: str, language: str | None, sample_text: str | None) -> tuple[
        str, str | None, str | None]:
    """The description, language and sample text as Fish will get them, or a refusal (before
    anything is spent)."""
    description = description.strip()
    if not description:
        raise UserFacingError(_("Describe the voice you want, e.g. “a calm, low-pitched narrator”."))
    if len(description) > INSTRUCTION_LIMIT:
        raise UserFacingError(_("The description is {length} characters; Fish takes at most {limit}.").format(
            length=number(len(description)), limit=number(INSTRUCTION_LIMIT)))
    language = language.strip() if language else None
    if language and not _LANGUAGE.match(language):
        raise UserFacingError(_("Give the language as a code such as `en`, `ja` or `pt-BR`."))
    sample_text = " ".join(sample_text.split()) if sample_text else None
    if sample_text and len(sample_text) > REFERENCE_TEXT_LIMIT:
        raise UserFacingError(_("The sample text is {length} characters; Fish takes at most {limit}.").format(
            length=number(len(sample_text)), limit=number(REFERENCE_TEXT_LIMIT)))
    return description, language, sample_text or None


def candidate_file(candidate: VoiceDesignCandidate) -> discord.File:
    return discord.File(io.BytesIO(candidate.audio), filename=f"candidate-{candidate.index + 1}.wav")


async def design_voice(bot: FishBot, interaction: discord.Interaction, *, description: str,
                       language: str | None, sample_text: str | None) -> None:
    description, language, sample_text = check_request(description, language, sample_text)
    user_id, guild_id = interaction.user.id, interaction.guild_id
    async with bot.usage.reserve(kind="voice_designs", amount=1, user_id=user_id, guild_id=guild_id):
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            in_line = line_notice(interaction.edit_original_response)
            with requested_by(guild_id, user_id, on_long_wait=in_line):
                candidates = await bot.fish.voice_design.create(
                    description, reference_text=sample_text, language=language, n=CANDIDATES
                )
        except FishAPIError as exc:
            if exc.status not in (400, 422):
                raise
            # Fish refused the request's fields: the description, as too long by its count, or else.
            listed = first_detail_message(exc.detail) if isinstance(exc, ValidationError) else None
            detail = " ".join((listed or exc.message).split())[:200]
            raise UserFacingError(_("Fish Audio refused that description ({detail}). Nothing was spent: "
                                    "shorten or reword it and try again.").format(detail=detail)) from None
    if not candidates:
        raise UserFacingError(_("Fish Audio made no candidates for that description. Try other words."))
    view = DesignView(bot, user_id, candidates, description=description)
    view.message = await interaction.followup.send(
        view.summary(), files=[candidate_file(c) for c in candidates], view=view, ephemeral=True,
        allowed_mentions=NO_MENTIONS, wait=True,
    )


class SaveModal(AnsweredModal):
    def __init__(self, view: DesignView, candidate: VoiceDesignCandidate) -> None:
        # Built while the button's interaction is answered: in the member's language.
        super().__init__(view.bot.store, title=_("Save this voice"), timeout=600)
        self.voice_title: discord.ui.TextInput[SaveModal] = discord.ui.TextInput(
            label=_("Title of the new voice"), max_length=64, custom_id="title"
        )
        self.add_item(self.voice_title)
        self.view = view
        self.candidate = candidate

    async def submitted(self, interaction: discord.Interaction) -> None:
        await self.view.save(interaction, self.candidate, self.voice_title.value)


class SaveButton(discord.ui.Button["DesignView"]):
    def __init__(self, candidate: VoiceDesignCandidate) -> None:
        super().__init__(label=_("Save {number}").format(number=number(candidate.index + 1)),
                         style=discord.ButtonStyle.success, custom_id=f"save-{candidate.index}", row=1)
        self.candidate = candidate

    async def callback(self, interaction: discord.Interaction) -> None:
        assert self.view is not None
        await self.view.ask_title(interaction, self.candidate)


class PlayButton(discord.ui.Button["DesignView"]):
    def __init__(self, candidate: VoiceDesignCandidate) -> None:
        super().__init__(label=_("Play {number} in voice").format(number=number(candidate.index + 1)),
                         style=discord.ButtonStyle.secondary, custom_id=f"play-{candidate.index}", row=2)
        self.candidate = candidate

    async def callback(self, interaction: discord.Interaction) -> None:
        assert self.view is not None
        await self.view.play(interaction, self.candidate)


class VisibilitySelect(discord.ui.Select["DesignView"]):
    def __init__(self) -> None:
        options = [discord.SelectOption(label=_(label), value=value, default=value == "private")
                   for value, label in DESIGN_VISIBILITY.items()]
        super().__init__(custom_id="visibility", options=options,
                         placeholder=_("Who may use the saved voice"), row=0)

    async def callback(self, interaction: discord.Interaction) -> None:
        assert self.view is not None
        await self.view.choose_visibility(interaction, self.values[0])


class DesignView(MemberView):
    """A visibility choice, and one Save and one Play-in-voice button per candidate."""

    def __init__(self, bot: FishBot, owner_id: int, candidates: list[VoiceDesignCandidate], *,
                 description: str, timeout: float = 900) -> None:
        super().__init__(owner_id, bot.store, timeout=timeout)
        self.bot = bot
        self.candidates = candidates
        self.description = description
        self.visibility: Visibility = "private"
        self.saved: str | None = None  # the voice id, once one candidate is saved
        # A save under way: a second quick Save waits for nothing and creates nothing.
        self.saving = False
        self.visibility_select = VisibilitySelect()
        self.add_item(self.visibility_select)
        for candidate in candidates:
            self.add_item(SaveButton(candidate))
        for candidate in candidates:
            self.add_item(PlayButton(candidate))

    def summary(self) -> str:
        count = len(self.candidates)
        text = ngettext(
            "Here is {count} voice for “{description}”. Listen to the file (or play it in your voice "
            "channel), then save it as your own voice if you like it (you'll be asked for a title). "
            "Nothing is kept unless you save one.",
            "Here are {count} voices for “{description}”. Listen to the files (or play them in your voice "
            "channel), then save the one you like as your own voice (you'll be asked for a title). "
            "Nothing is kept unless you save one.",
            count,
        )
        description = discord.utils.escape_markdown(self.description[:200])
        return text.format(count=number(count), description=description)

    async def choose_visibility(self, interaction: discord.Interaction, value: str) -> None:
        self.visibility = "unlist" if value == "unlist" else "private"
        for option in self.visibility_select.options:
            option.default = option.value == self.visibility
        await interaction.response.defer()
        await interaction.edit_original_response(content=self.summary(), view=self)

    async def play(self, interaction: discord.Interaction, candidate: VoiceDesignCandidate) -> None:
        """Play the candidate's WAV in the member's voice channel through the server's queue. It
        was bought with the design: no Fish request, nothing charged."""
        member = interaction.user
        if not isinstance(member, discord.Member) or member.voice is None or member.voice.channel is None:
            raise UserFacingError(_("Join a voice channel to hear a candidate there; the files above "
                                    "play anywhere."))
        speech = self.bot.speech
        shown = number(candidate.index + 1)

        def reply(placed: Placement, channel: str) -> str:
            if placed.ahead == 0:
                return _("Playing candidate {number} now in {channel}.").format(number=shown, channel=channel)
            return _("Candidate {number} is queued at #{position} in {channel}.").format(
                number=shown, position=number(placed.position), channel=channel)

        # What /queue shows for it: the words the candidate says.
        bought = Bought(speech.spec(candidate.text or self.description[:200]), candidate.audio)
        await speak_in_voice(speech, interaction, member, [bought], reply=reply)

    async def ask_title(self, interaction: discord.Interaction, candidate: VoiceDesignCandidate) -> None:
        if self.saved is not None:
            raise UserFacingError(_("You already saved a voice from these candidates."))
        if self.saving:
            raise UserFacingError(_("A voice from these candidates is being saved already."))
        await interaction.response.send_modal(SaveModal(self, candidate))

    async def save(self, interaction: discord.Interaction, candidate: VoiceDesignCandidate,
                   title: str) -> None:
        """Create the Fish voice from the candidate's audio, as /clone would (quota, ownership).
        Once per view: two quick submissions create one voice."""
        if self.saved is not None:
            raise UserFacingError(_("You already saved a voice from these candidates."))
        if self.saving:
            raise UserFacingError(_("A voice from these candidates is being saved already."))
        title = check_title(title)
        visibility = self.visibility
        user_id, guild_id = interaction.user.id, interaction.guild_id
        self.saving = True  # before the first await: the second submission sees it
        try:
            async with self.bot.usage.reserve(kind="clones", amount=1, user_id=user_id, guild_id=guild_id):
                await interaction.response.defer(ephemeral=True, thinking=True)
                in_line = line_notice(interaction.edit_original_response)
                try:
                    with requested_by(guild_id, user_id, on_long_wait=in_line):
                        voice = await self.bot.fish.voices.create(
                            title=title, voices=[candidate.audio],
                            texts=[candidate.text] if candidate.text else None,
                            description=self.description[:DESCRIPTION_KEPT], visibility=visibility,
                            train_mode="fast", enhance_audio_quality=False,  # synthetic audio is clean
                        )
                except FishError as exc:
                    text, _unexpected = describe_error(exc)
                    raise UserFacingError(_("Nothing was saved: {reason}").format(reason=text)) from None
            self.saved = voice.id
        finally:
            self.saving = False
        await self.bot.voice_owners.record(voice_id=voice.id, user_id=user_id, guild_id=guild_id,
                                              title=title, visibility=visibility)
        log.info("user %s saved designed voice %s", user_id, voice.id)
        self.disable_all()
        if self.message is not None:
            try:
                await self.message.edit(view=self)
            except discord.HTTPException:
                log.info("could not disable the design buttons (message gone)")
        embed = discord.Embed(title=_("Voice ready: {title}").format(title=title),
                              description=_("Use it with `/speak voice:` or make it your voice below."),
                              colour=discord.Colour.green())
        embed.add_field(name=_("Voice id"), value=f"`{voice.id}`")
        embed.add_field(name=_("Visibility"), value=visibility_name(visibility))
        made_from = _("candidate {number}").format(number=number(candidate.index + 1))
        embed.add_field(name=_("Made from"), value=made_from)
        actions = VoiceActions(self.bot.speech, self.bot.store, self.bot.voice_owners, user_id,
                               voice_id=voice.id, title=title)
        actions.message = await interaction.followup.send(embed=embed, view=actions, ephemeral=True,
                                                          allowed_mentions=NO_MENTIONS, wait=True)
