"""Preparing speech: from what a member wrote in a server (or what the bot says there itself) to
the spec Fish is asked for, the same way for /speak, narration, "Speak this message", /scene, the
join/leave announcements and the voice previews.

    prepared = await preparer.prepare(guild, text, speaker_id=member.id, default_style=True)
    if prepared is None: ...  # nothing left to say
    await speech.queue(member, [prepared.spec], tell)

In order: the server's speech settings; the language of what the bot says around the words (the
text's own, else the server's); the words cleaned of Discord's markup (mentions said as names,
fetched when the bot hasn't seen the member) by the server's cleaning settings, or a message's
words by narration's rules; cues written for the model (the member's style, or neutralised where
the server doesn't allow cues) and the server's dictionary; "Alice said:" before them where that
is asked for; the voice (the option's, else the member's, else the server's, else the operator's:
`resolve_voice`); the server's volume and loudness. What the bot says itself (`Phrase`) is not
cleaned: it has no markup of a member's.
"""

from __future__ import annotations

from dataclasses import dataclass

import discord

from bot.config import Settings
from bot.expressive.cues import check_style
from bot.fish import FishClient
from bot.i18n.resolve import guild_language
from bot.speech.access import usable_voice
from bot.speech.mentions import MentionedMembers
from bot.speech.voices import ResolvedVoice, default_style, resolve_voice
from bot.spoken import phrases
from bot.spoken.cleaning import clean
from bot.spoken.dictionaries import Dictionaries, for_model
from bot.spoken.language import detect
from bot.spoken.reading import clean_options, forwarded, message_language, names_in, spoken_name, words_of
from bot.spoken.settings import NAMESPACE, NICKNAMES, Nicknames, ServerSpeech
from bot.storage.settings import SettingsStore
from bot.storage.voice_owners import VoiceOwners
from bot.tts.spec import SpeechSpec


@dataclass(frozen=True)
class Phrase:
    """Words the bot says itself (an announcement, a preview): already in the language meant, with
    no markup of a member's to clean; cues are still neutralised and the dictionary applied."""

    text: str


Said = str | discord.Message | Phrase


@dataclass(frozen=True)
class Prepared:
    """What to ask Fish for: `spec.text` is `intro` + `words`."""

    spec: SpeechSpec
    words: str  # the words as Fish gets them
    intro: str  # "Alice said: " before them, or ""


class Preparer:
    """The one way from a member's text in a server to a speech spec (one owner: built with the
    bot's services, handed to everything that speaks)."""

    def __init__(self, *, settings: Settings, store: SettingsStore, fish: FishClient, owners: VoiceOwners,
                 dictionaries: Dictionaries, members: MentionedMembers) -> None:
        self.settings = settings
        self.store = store
        self.fish = fish
        self.owners = owners
        self.dictionaries = dictionaries
        self.members = members

    async def server(self, guild_id: int) -> ServerSpeech:
        """The server's speech settings."""
        return await self.store.get_guild(guild_id, NAMESPACE, ServerSpeech)

    async def prepare(
        self,
        guild: discord.Guild | None,
        said: Said,
        *,
        speaker_id: int | None,
        server: ServerSpeech | None = None,
        voice: str | None = None,
        typed_voice: str | None = None,
        speed: float | None = None,
        model: str | None = None,
        style: str | None = None,
        saved_style: bool = False,
        announce: bool = False,
        asked: bool = False,
        as_file: bool = False,
    ) -> Prepared | None:
        """`said` in `guild` as Fish should be asked for it, or None when nothing is left to say.

        `speaker_id`: whose voice and speed it is said in (None: exactly `voice` and `speed`).
        `voice` is a voice id already checked; `typed_voice` one a member typed, checked here (the
        refusal: `UnknownVoice`). `model`: None for the operator's. `style`: the member's for the
        whole text (checked for the model: a refusal); `saved_style`: else the speaker's saved
        style where the server allows cues. `announce`: "Alice said:" before a message's words (a
        forward always says who forwarded it). `asked`: a member asked to hear this message (see
        `words_of`). `as_file`: in the operator's file format, else Opus for voice."""
        server = server or (await self.server(guild.id) if guild is not None else ServerSpeech())
        model_name = model or self.settings.fish.model
        if style is not None:
            style = check_style(style, model_name)
        elif saved_style and server.expressive_cues and speaker_id is not None:
            style = await default_style(self.store, speaker_id, model_name)
        language = await self.language(guild, said)
        words = await self.words(guild, said, server=server, model=model_name, style=style, asked=asked,
                                 language=language)
        if not words:
            return None
        intro = ""
        if isinstance(said, discord.Message):
            intro = await self._intro(guild, said, server, model_name, language, announce=announce)
        if typed_voice is not None:
            voice = (await usable_voice(self.fish, self.owners, speaker_id, typed_voice)).id
        if speaker_id is not None:
            chosen = await resolve_voice(self.store, self.settings, self.owners, user_id=speaker_id,
                                         guild_id=guild.id if guild is not None else None,
                                         voice_id=voice, speed=speed)
        else:
            chosen = ResolvedVoice(voice, speed)
        spec = self.spec(intro + words, server, voice_id=chosen.voice_id, speed=chosen.speed, model=model,
                         as_file=as_file)
        return Prepared(spec=spec, words=words, intro=intro)

    async def words(self, guild: discord.Guild | None, said: Said, *, server: ServerSpeech, model: str,
                    style: str | None = None, asked: bool = False, language: str | None = None) -> str:
        """The words of `said` as Fish gets them on `model` ("" when nothing is left): cleaned,
        cues written for the model (or neutralised), the dictionary applied. `language`: what
        the bot says in place of things is in (default: `said`'s own, `language()`)."""
        if isinstance(said, Phrase):
            words = said.text
        else:
            language = language or await self.language(guild, said)
            if isinstance(said, discord.Message):
                limit = server.max_length or self.settings.narration.max_message_length
                words = words_of(said, server, max_length=limit, asked=asked, language=language)
            else:
                mentioned = await self.members.names(guild, said) if guild is not None else {}
                words = clean(said, names=names_in(guild, mentioned), options=clean_options(server),
                              language=language)
        return await self._for_model(guild, words, server, model, style)

    def spec(self, text: str, server: ServerSpeech, *, voice_id: str | None = None,
             speed: float | None = None, model: str | None = None, as_file: bool = False) -> SpeechSpec:
        """A spec for `text` as the server has the bot sound: its volume and loudness."""
        return SpeechSpec.build(self.settings, text, voice_id=voice_id, speed=speed, model=model,
                                format=self.settings.speak.file_format if as_file else "opus",
                                volume=server.spec_volume, normalize_loudness=server.spec_normalize_loudness)

    async def name(self, user: discord.abc.User, guild_id: int, language: str) -> str:
        """How the bot says a member's name: the nickname they chose there, else their display name."""
        nicknames = await self.store.get_user(user.id, NICKNAMES, Nicknames)
        return spoken_name(user.display_name, nicknames.names.get(str(guild_id)), language)

    async def language(self, guild: discord.Guild | None, said: Said) -> str:
        """What the bot says around the words (stand-ins, the name) is in their language; around
        its own words, in the server's."""
        server_language = await guild_language(self.store, guild)
        if isinstance(said, discord.Message):
            return message_language(said, server_language)
        return detect(said, server_language) if isinstance(said, str) else server_language

    async def _for_model(self, guild: discord.Guild | None, words: str, server: ServerSpeech, model: str,
                         style: str | None) -> str:
        dictionary = await self.dictionaries.get(guild.id if guild is not None else None)
        return for_model(words, model=model, dictionary=dictionary, expressive_cues=server.expressive_cues,
                         style=style)

    async def _intro(self, guild: discord.Guild | None, message: discord.Message, server: ServerSpeech,
                     model: str, language: str, *, announce: bool) -> str:
        """"Alice said: " (where announced) or "Alice forwarded: " (always), for the model."""
        is_forward = forwarded(message) is not None
        if guild is None or not (is_forward or announce):
            return ""
        name = await self.name(message.author, guild.id, language)
        intro = phrases.forwarded(name, language) if is_forward else phrases.said(server.name_template, name,
                                                                                  language)
        return phrases.introducing(await self._for_model(guild, intro, server, model, None))
