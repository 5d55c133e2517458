"""Narration: read a text channel aloud in voice, each member in their own voice."""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands
from discord.ext import commands
from pydantic import BaseModel

from bot.errors import FishUnavailable, QueueFull, UserFacingError
from bot.i18n import _, ngettext, pgettext, using_language
from bot.i18n.formatting import duration, listing, number
from bot.i18n.resolve import guild_language
from bot.member_data import Deleted, Held, server_name
from bot.narration import phrases
from bot.narration.access import may_read
from bot.narration.announcer import Announcer, Last
from bot.narration.notices import Notices
from bot.narration.reading import forwarded, message_language, spoken_name, words_of
from bot.narration.settings import (
    NAMESPACE,
    NICKNAMES,
    NarrationSettings,
    Nicknames,
    check_name_template,
)
from bot.narration.spoken import for_model
from bot.permissions import require_permissions, speak_refusal
from bot.speech.access import usable_voice
from bot.speech.voices import default_style, resolve_voice
from bot.storage.voice_owners import VoiceOwners
from bot.storage.voice_prefs import NAMESPACE as VOICE_NAMESPACE
from bot.storage.voice_prefs import VoicePrefs
from bot.ui.voice_autocomplete import voice_autocomplete
from bot.usage import QuotaExceeded
from bot.voice.session import VoiceSession

if TYPE_CHECKING:
    from bot.client import FishBot

log = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()
REMEMBERED_MESSAGES = 2000
IGNORE_LIMIT = 100  # members, and roles, per server
PRESENCE_EVERY_S = 30.0
OnOff = Literal["skip", "name"]


@dataclass
class Queued:
    """A message narration queued: who wrote it and the "Alice said: " it is read with."""

    author_id: int
    prefix: str
    message: discord.Message
    before: Last  # the announcer's state before it, in case it is dropped unspoken


def _on(value: bool) -> str:
    return pgettext("setting value", "on") if value else pgettext("setting value", "off")


def _listed(mentions: list[str], limit: int = 1000) -> str:
    """Mentions for an embed field (at most `limit` characters); "none" when empty."""
    shown = ""
    for i, mention in enumerate(mentions):
        if len(shown) + len(mention) + 1 > limit:
            more = len(mentions) - i
            return ngettext("{shown} and {count} more", "{shown} and {count} more", more).format(
                shown=shown, count=number(more))
        shown = f"{shown} {mention}".strip()
    return shown or pgettext("setting value", "none")


class Narration(commands.Cog):
    narrate = app_commands.Group(name="narrate", description="Read a text channel aloud in voice",
                                 guild_only=True, default_permissions=discord.Permissions(manage_guild=True))
    settings_group = app_commands.Group(name="settings", description="This server's narration settings",
                                        guild_only=True,
                                        default_permissions=discord.Permissions(manage_guild=True))

    ignore_group = app_commands.Group(name="ignore", description="Members and roles never read aloud",
                                      parent=settings_group)

    def __init__(self, bot: FishBot) -> None:
        self.bot = bot
        self.announcer = Announcer()
        self.notices = Notices()
        self.presence = Notices(every=PRESENCE_EVERY_S)  # join/leave announcements per member
        self._locks: dict[int, asyncio.Lock] = {}
        # The session each server's announcements belong to (a new session starts afresh).
        self._session_of: weakref.WeakValueDictionary[int, VoiceSession] = weakref.WeakValueDictionary()
        # Recently queued messages, so deletes and edits know their author and name prefix.
        self._queued: OrderedDict[int, Queued] = OrderedDict()

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        # default_permissions only hides the commands; this enforces Manage Server on every
        # command of the cog (all of them configure the server).
        require_permissions(interaction, manage_guild=True)
        return True

    async def _config(self, guild_id: int) -> NarrationSettings:
        return await self.bot.store.get_guild(guild_id, NAMESPACE, NarrationSettings)

    # --- /forget-me --------------------------------------------------------------------------------

    async def member_data(self, user_id: int) -> Held:
        """A server's ignore list is its moderation, not the member's data: it stays (deleting
        one's data is no way around a server's decision, as it is none around a quota)."""
        stored = await self.bot.store.guilds_mentioning(NAMESPACE, NarrationSettings, user_id)
        servers = [server_name(self.bot, guild_id) for guild_id, config in stored.items()
                   if user_id in config.ignored_members]
        if not servers:
            return Held()
        return Held(keeps=[_("You stay on the ignore lists of {servers}: that is the server's decision, "
                             "which its admins can change.").format(servers=listing(servers))])

    async def delete_member_data(self, user_id: int) -> Deleted:
        return Deleted()  # nicknames and opt-outs are member settings: the bot deletes those

    def _require_enabled(self) -> None:
        if not self.bot.settings.narration.enabled:
            raise UserFacingError(_(
                "Narration is switched off for this bot by its operator (`narration.enabled`; it needs "
                "the Message Content intent)."
            ))

    # --- /narrate ------------------------------------------------------------------------------

    @narrate.command(name="start", description="Read a text channel aloud in the bot's voice channel")
    @app_commands.describe(channel="The text channel to read (default: this one)")
    async def narrate_start(self, interaction: discord.Interaction,
                            channel: discord.TextChannel | discord.VoiceChannel | None = None) -> None:
        self._require_enabled()
        assert interaction.guild_id is not None
        channel_id = channel.id if channel else interaction.channel_id
        assert channel_id is not None
        config = await self._config(interaction.guild_id)
        channels = sorted({*config.channels, channel_id})
        await self.bot.store.update_guild(interaction.guild_id, NAMESPACE, {"channels": channels},
                                          model=NarrationSettings)
        if self.bot.voice_sessions.get(interaction.guild_id) is not None:
            reading = _("Reading {channel} aloud. I'm already in voice.")
        elif config.auto_join:
            reading = _("Reading {channel} aloud. I'll join a member's voice channel when they write.")
        else:
            reading = _("Reading {channel} aloud. Bring me into voice with `/join`.")
        await interaction.response.send_message(reading.format(channel=f"<#{channel_id}>"), ephemeral=True)

    @narrate.command(name="stop", description="Stop reading a text channel aloud")
    @app_commands.describe(channel="The channel (default: this one)")
    async def narrate_stop(self, interaction: discord.Interaction,
                           channel: discord.TextChannel | discord.VoiceChannel | None = None) -> None:
        assert interaction.guild_id is not None
        channel_id = channel.id if channel else interaction.channel_id
        config = await self._config(interaction.guild_id)
        if channel_id not in config.channels:
            raise UserFacingError(_("I'm not reading {channel}.").format(channel=f"<#{channel_id}>"))
        channels = [c for c in config.channels if c != channel_id]
        await self.bot.store.update_guild(interaction.guild_id, NAMESPACE, {"channels": channels},
                                          model=NarrationSettings)
        await interaction.response.send_message(
            _("Stopped reading {channel}.").format(channel=f"<#{channel_id}>"), ephemeral=True)

    # --- /settings -----------------------------------------------------------------------------

    @settings_group.command(name="narration", description="How messages are read aloud here")
    @app_commands.describe(
        announce_names="Say who is speaking (again when the author changes or after a minute)",
        same_channel="Only read members who are in the bot's voice channel",
        read_bots="Read messages of bots and webhooks",
        required_role="Only read members with this role",
        any_role="Remove the required role",
        auto_join="Join the author's voice channel when they write",
        ignore_prefix="Messages starting with this are not read (empty: read everything)",
        max_length="Longest message read, in characters (longer ones are cut)",
        max_seconds="Longest time one message may speak",
        custom_emoji="Say custom emoji by name, or skip them",
        unicode_emoji="Say emoji by name, or skip them",
        repeat_cap="Longest run of one character (3: \"sooooo\" → \"sooo\"); 0: no cap, else 2 to 100",
        expressive_cues="Let [bracket] cues and <tags> in messages change the delivery (off: read as words)",
        read_everyone="Say @everyone and @here as \"everyone\" and \"here\" (off: skip them)",
        read_silent="Read @silent messages (sent without notifications)",
        required_prefix="Only read messages starting with this, without it (empty: no prefix needed)",
        read_audience="In a stage channel, read members in the audience too",
        voice_chat="Read the text chat of the voice channel I'm in, without /narrate start",
        name_template="How a new speaker is announced; must contain {name} (e.g. \"{name} says\")",
        announce_joins="Say \"Alice joined\" / \"Alice left\" in my voice channel",
    )
    async def settings_narration(
        self,
        interaction: discord.Interaction,
        announce_names: bool | None = None,
        same_channel: bool | None = None,
        read_bots: bool | None = None,
        required_role: discord.Role | None = None,
        any_role: bool | None = None,
        auto_join: bool | None = None,
        ignore_prefix: app_commands.Range[str, 0, 10] | None = None,
        max_length: app_commands.Range[int, 1, 4000] | None = None,
        max_seconds: app_commands.Range[float, 1, 600] | None = None,
        custom_emoji: OnOff | None = None,
        unicode_emoji: OnOff | None = None,
        repeat_cap: app_commands.Range[int, 0, 100] | None = None,
        expressive_cues: bool | None = None,
        read_everyone: bool | None = None,
        read_silent: bool | None = None,
        required_prefix: app_commands.Range[str, 0, 10] | None = None,
        read_audience: bool | None = None,
        voice_chat: bool | None = None,
        name_template: app_commands.Range[str, 1, 100] | None = None,
        announce_joins: bool | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        if repeat_cap == 1:
            raise UserFacingError(_("The repeated-character cap is 0 (off) or 2 to 100."))
        if name_template is not None:
            try:
                name_template = check_name_template(name_template)
            except ValueError as exc:
                raise UserFacingError(str(exc)) from None
        changes: dict[str, object] = {
            key: value for key, value in {
                "announce_names": announce_names, "same_channel": same_channel, "read_bots": read_bots,
                "auto_join": auto_join, "ignore_prefix": ignore_prefix, "max_length": max_length,
                "max_seconds": max_seconds, "custom_emoji": custom_emoji, "unicode_emoji": unicode_emoji,
                "max_repeat": repeat_cap, "expressive_cues": expressive_cues,
                "read_everyone": read_everyone, "read_silent": read_silent,
                "required_prefix": required_prefix, "read_audience": read_audience, "voice_chat": voice_chat,
                "name_template": name_template, "announce_joins": announce_joins,
            }.items() if value is not None
        }
        if required_role is not None:
            changes["required_role"] = required_role.id
        elif any_role:
            changes["required_role"] = None
        await self._save_and_show(interaction, NAMESPACE, changes, NarrationSettings)

    # --- /settings ignore ----------------------------------------------------------------------

    async def _ignore(self, interaction: discord.Interaction, member: discord.Member | None,
                      role: discord.Role | None, add: bool) -> None:
        assert interaction.guild_id is not None
        if member is None and role is None:
            raise UserFacingError(_("Choose a member, a role, or both."))
        done: list[str] = []

        def edit(config: NarrationSettings) -> dict[str, object]:
            # Called with the stored lists under the store's row lock: edits at the same instant
            # each see the other's result.
            changes: dict[str, object] = {}
            done.clear()
            for field, current, target, mention in (
                ("ignored_members", config.ignored_members, member, lambda i: f"<@{i}>"),
                ("ignored_roles", config.ignored_roles, role, lambda i: f"<@&{i}>"),
            ):
                if target is None:
                    continue
                if add and target.id not in current:
                    if len(current) >= IGNORE_LIMIT:
                        raise UserFacingError(_("At most {count} members and {count} roles can be "
                                                "ignored.").format(count=number(IGNORE_LIMIT)))
                    changes[field] = [*current, target.id]
                elif not add and target.id in current:
                    changes[field] = [i for i in current if i != target.id]
                else:
                    refusal = _("{who} is already ignored.") if add else _("{who} is not ignored.")
                    raise UserFacingError(refusal.format(who=mention(target.id)))
                done.append(mention(target.id))
            return changes

        await self.bot.store.edit_guild(interaction.guild_id, NAMESPACE, NarrationSettings, edit)
        outcome = _("{who} won't be read aloud any more.") if add else _("{who} will be read aloud again.")
        await interaction.response.send_message(outcome.format(who=listing(done)), ephemeral=True,
                                                allowed_mentions=NO_MENTIONS)

    @ignore_group.command(name="add", description="Never read this member's (or role's) messages aloud")
    @app_commands.describe(member="A member to ignore", role="A role whose members are ignored")
    async def ignore_add(self, interaction: discord.Interaction, member: discord.Member | None = None,
                         role: discord.Role | None = None) -> None:
        await self._ignore(interaction, member, role, add=True)

    @ignore_group.command(name="remove", description="Read this member's (or role's) messages again")
    @app_commands.describe(member="A member to read again", role="A role to read again")
    async def ignore_remove(self, interaction: discord.Interaction, member: discord.Member | None = None,
                            role: discord.Role | None = None) -> None:
        await self._ignore(interaction, member, role, add=False)

    @ignore_group.command(name="list", description="Members and roles whose messages are not read")
    async def ignore_list(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        config = await self._config(interaction.guild_id)
        embed = discord.Embed(title=_("Not read aloud"), colour=discord.Colour.blurple())
        members = _listed([f"<@{m}>" for m in config.ignored_members])
        embed.add_field(name=_("Members"), value=members, inline=False)
        embed.add_field(name=_("Roles"), value=_listed([f"<@&{r}>" for r in config.ignored_roles]),
                        inline=False)
        await interaction.response.send_message(embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS)

    @settings_group.command(name="voice", description="The server's default voice, speed and loudness")
    @app_commands.describe(
        voice="The default voice (type to search)", speed="The default speed, 0.5 to 2.0",
        volume="Louder or quieter, in dB (-20 to 20; 0 is Fish's level), for all speech here",
        normalize_loudness="Even out loudness between voices (Fish's S2 models; on by default)",
    )
    @app_commands.autocomplete(voice=voice_autocomplete)
    async def settings_voice(self, interaction: discord.Interaction, voice: str | None = None,
                             speed: app_commands.Range[float, 0.5, 2.0] | None = None,
                             volume: app_commands.Range[float, -20.0, 20.0] | None = None,
                             normalize_loudness: bool | None = None) -> None:
        assert interaction.guild_id is not None
        loudness = {key: value for key, value in (("volume", volume),
                                                  ("normalize_loudness", normalize_loudness))
                    if value is not None}
        if loudness:
            await self.bot.store.update_guild(interaction.guild_id, NAMESPACE, loudness,
                                              model=NarrationSettings)
        changes: dict[str, object] = {}
        if voice is not None:
            found = await usable_voice(self.bot.fish, self.bot.db, interaction.user.id, voice)
            if not await VoiceOwners(self.bot.db).usable_by(found.id, None):
                raise UserFacingError(_(
                    "A server's default voice speaks for every member, so it must be a library voice or "
                    "a public one. Make yours public with `/voices edit` first."))
            changes.update(voice_id=found.id, voice_name=found.title[:100])
        if speed is not None:
            changes["speed"] = speed
        await self._save_and_show(interaction, VOICE_NAMESPACE, changes, VoicePrefs)

    @settings_group.command(name="show", description="This server's narration settings")
    async def settings_show(self, interaction: discord.Interaction) -> None:
        await self._save_and_show(interaction, NAMESPACE, {}, NarrationSettings)

    async def _save_and_show(self, interaction: discord.Interaction, namespace: str,
                             changes: dict[str, object], model: type[BaseModel]) -> None:
        assert interaction.guild_id is not None
        if changes:
            await self.bot.store.update_guild(interaction.guild_id, namespace, changes, model=model)
        await interaction.response.send_message(embed=await self._settings_embed(interaction.guild_id),
                                                ephemeral=True)

    async def _settings_embed(self, guild_id: int) -> discord.Embed:
        config = await self._config(guild_id)
        voice = await self.bot.store.get_guild(guild_id, VOICE_NAMESPACE, VoicePrefs)
        operator = self.bot.settings.narration
        embed = discord.Embed(title=_("Narration settings"), colour=discord.Colour.blurple())
        none = pgettext("setting value", "none")
        read, not_read = pgettext("setting value", "read"), pgettext("setting value", "not read")
        said, skipped = pgettext("setting value", "said"), pgettext("setting value", "skipped")
        emoji = {"skip": skipped, "name": pgettext("setting value", "said by name")}
        embed.add_field(name=_("Channels"), value=" ".join(f"<#{c}>" for c in config.channels) or none)
        embed.add_field(name=_("Announce names"), value=_on(config.announce_names))
        embed.add_field(name=_("Same voice channel only"), value=_on(config.same_channel))
        embed.add_field(name=_("Read bots and webhooks"), value=_on(config.read_bots))
        embed.add_field(name=_("Required role"),
                        value=f"<@&{config.required_role}>" if config.required_role else none)
        embed.add_field(name=_("Auto-join"), value=_on(config.auto_join))
        embed.add_field(name=_("Ignore prefix"),
                        value=f"`{config.ignore_prefix}`" if config.ignore_prefix else none)
        max_length = config.max_length or operator.max_message_length
        embed.add_field(name=_("Max length"), value=ngettext("{count} character", "{count} characters",
                                                             max_length).format(count=number(max_length)))
        embed.add_field(name=_("Max time"), value=duration(config.max_seconds or operator.max_spoken_seconds))
        embed.add_field(name=_("Emoji"), value=_("custom: {custom}, other: {other}").format(
            custom=emoji[config.custom_emoji], other=emoji[config.unicode_emoji]))
        embed.add_field(name=_("Repeated characters"),
                        value=_("capped at {count}").format(count=number(config.max_repeat))
                        if config.max_repeat else _("not capped"))
        embed.add_field(name=_("Expressive cues"), value=_on(config.expressive_cues))
        embed.add_field(name=_("@everyone / @here"),
                        value=said if config.read_everyone else skipped)
        embed.add_field(name=_("@silent messages"), value=read if config.read_silent else not_read)
        embed.add_field(name=_("Required prefix"),
                        value=f"`{config.required_prefix}`" if config.required_prefix else none)
        embed.add_field(name=_("Stage audience"), value=read if config.read_audience else not_read)
        embed.add_field(name=_("Voice channel chat"), value=_on(config.voice_chat))
        embed.add_field(name=_("Name announcement"), value=f"“{config.name_template}”")  # the server's words
        embed.add_field(name=_("Join/leave announcements"), value=_on(config.announce_joins))
        ignored = [f"<@{m}>" for m in config.ignored_members] + [f"<@&{r}>" for r in config.ignored_roles]
        embed.add_field(name=_("Ignored"), value=_listed(ignored))
        embed.add_field(name=_("Default voice"),
                        value=voice.voice_name or voice.voice_id or _("the bot's default"))
        embed.add_field(name=_("Default speed"),
                        value=number(voice.speed) if voice.speed else pgettext("speed", "normal"))
        volume = config.volume
        embed.add_field(name=_("Volume"), value=_("{volume} dB").format(
            volume=("+" if volume > 0 else "") + number(volume)) if volume else _("Fish's level"))
        embed.add_field(name=_("Loudness normalisation"), value=_on(config.normalize_loudness))
        if not operator.enabled:
            embed.set_footer(text=_("Narration is switched off for this bot by its operator."))
        return embed

    # --- reading messages ----------------------------------------------------------------------
    # discord.py runs each event's listener in a task of its own. One lock per server makes them
    # take turns in arrival order: messages are queued in the order they were sent, and a delete
    # or edit waits until its message has been queued.

    def _lock(self, guild_id: int) -> asyncio.Lock:
        return self._locks.setdefault(guild_id, asyncio.Lock())

    async def _session_for(self, member: discord.Member | None, config: NarrationSettings,
                           guild: discord.Guild) -> VoiceSession | None:
        session = self.bot.voice_sessions.get(guild.id)
        if session is not None or not config.auto_join or member is None or member.voice is None:
            return session
        try:
            return await self.bot.voice_sessions.join(member)
        except UserFacingError as exc:
            log.info("narration could not auto-join in guild %s: %s", guild.id, exc)
            return None

    async def _for_fish(self, guild_id: int, text: str, config: NarrationSettings,
                        author_id: int | None = None) -> str:
        """Cleaned words as Fish gets them: cues written for the model (or neutralised when the
        server doesn't allow them), the author's default style where it does, the dictionary."""
        model = self.bot.settings.fish.model
        style = None
        if author_id is not None and config.expressive_cues:
            style = await default_style(self.bot.store, author_id, model)
        return for_model(text, model=model, dictionary=await self.bot.dictionaries.get(guild_id),
                         expressive_cues=config.expressive_cues, style=style)

    async def _nickname(self, user_id: int, guild_id: int) -> str | None:
        names = await self.bot.store.get_user(user_id, NICKNAMES, Nicknames)
        return names.names.get(str(guild_id))

    async def _tell(self, message: discord.Message, text: str) -> None:
        """Why a message wasn't read: a reply, at most one per member and server every few minutes
        (a busy channel must not fill with the bot's notices); never a ping."""
        assert message.guild is not None
        if not self.notices.due(message.guild.id, message.author.id):
            return
        # Posted in the channel for everyone there: in the server's language. (Called from the
        # voice session's task too, so the language is set here, not inherited.)
        with using_language(await guild_language(self.bot.store, message.guild)):
            text = _("I couldn't read this aloud: {reason}").format(reason=text)
        try:
            await message.reply(text, mention_author=False, allowed_mentions=NO_MENTIONS)
        except discord.HTTPException:
            log.info("could not tell member %s why message %s wasn't read", message.author.id, message.id)

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        guild = message.guild
        if not self.bot.settings.narration.enabled or guild is None or message.is_system():
            return
        if not (message.content or message.attachments or message.stickers or message.message_snapshots):
            return
        if self.bot.user is not None and message.author.id == self.bot.user.id:
            return
        async with self._lock(guild.id):
            await self._consider(message, guild)

    async def _consider(self, message: discord.Message, guild: discord.Guild) -> None:
        config = await self._config(guild.id)
        if message.channel.id not in config.channels and not self._voice_chat(message, config, guild):
            return
        automated = message.author.bot or message.webhook_id is not None
        if automated and not config.read_bots:
            return
        if message.flags.suppress_notifications and not config.read_silent:
            return
        member = message.author if isinstance(message.author, discord.Member) else None
        if not await self._may_read(message.author, member, config, guild.id, automated):
            return
        session = await self._session_for(member, config, guild)
        if session is None:
            return
        if not automated and member is not None:
            # The channel as the guild has it now (its permission overwrites up to date).
            channel = guild.get_channel(session.channel.id)
            if not isinstance(channel, discord.VoiceChannel | discord.StageChannel):
                channel = session.channel
            if speak_refusal(member, channel, audience=config.read_audience) is not None:
                return  # server-muted, in a stage's audience, or without Speak in the bot's channel
        if config.same_channel and not automated and (
            member is None or member.voice is None or member.voice.channel != session.channel
        ):
            return
        # What is worded while queueing (quota refusals, later notices about the clip) is posted
        # in the channel: in the server's language.
        with using_language(await guild_language(self.bot.store, guild)):
            await self._queue(message, config, session)

    def _voice_chat(self, message: discord.Message, config: NarrationSettings, guild: discord.Guild) -> bool:
        """A message in the text chat of the voice channel the bot is in (read without a binding)."""
        session = self.bot.voice_sessions.get(guild.id)
        return config.voice_chat and session is not None and session.channel.id == message.channel.id

    async def _may_read(self, author: discord.abc.User, member: discord.Member | None,
                        config: NarrationSettings, guild_id: int, automated: bool) -> bool:
        return await may_read(self.bot.store, author, member, config, guild_id, automated=automated)

    async def _queue(self, message: discord.Message, config: NarrationSettings,
                     session: VoiceSession) -> None:
        operator = self.bot.settings.narration
        guild = message.guild
        assert guild is not None
        # What the bot says around the words (stand-ins, the name) is in the message's language.
        language = message_language(message, await guild_language(self.bot.store, guild))
        words = words_of(message, config, max_length=config.max_length or operator.max_message_length,
                         language=language)
        words = await self._for_fish(guild.id, words, config, message.author.id)
        if not words:
            return
        if self._session_of.get(guild.id) is not session:  # a new session: say the first name again
            self.announcer.forget(guild.id)
            self._session_of[guild.id] = session
        author = message.author
        prefix = ""
        if forwarded(message) is not None:  # always says who forwarded it
            name = spoken_name(author.display_name, await self._nickname(author.id, guild.id), language)
            prefix = phrases.introducing(await self._for_fish(guild.id, phrases.forwarded(name, language),
                                                              config))
        elif config.announce_names and self.announcer.should_announce(guild.id, author.id):
            name = spoken_name(author.display_name, await self._nickname(author.id, guild.id), language)
            prefix = phrases.introducing(await self._for_fish(
                guild.id, phrases.said(config.name_template, name, language), config))
        text = prefix + words
        voice = await resolve_voice(self.bot.store, self.bot.settings, user_id=author.id, guild_id=guild.id)
        speech = self.bot.speech

        async def notify(reason: str) -> None:
            await self._tell(message, reason)

        async def notice(text: str) -> None:  # the message is still read: no "couldn't read this"
            await message.reply(text, mention_author=False, allowed_mentions=NO_MENTIONS)

        try:
            await speech.queue(
                author, [speech.spec(text, voice_id=voice.voice_id, speed=voice.speed,
                                     volume=config.spec_volume,
                                     normalize_loudness=config.spec_normalize_loudness)], notify,
                into=session, message_id=message.id, channel_id=message.channel.id,
                max_seconds=config.max_seconds or operator.max_spoken_seconds, notice=notice,
            )
        except QuotaExceeded as exc:
            await self._tell(message, str(exc))
            return
        except QueueFull:
            await self._tell(message, _("too many messages are waiting to be spoken."))
            return
        except FishUnavailable:
            # Dropped, not queued: reading it in a minute would be reading it out of place.
            await self._tell(message, _("Fish Audio isn't responding right now, so messages aren't read "
                                        "for a moment."))
            return
        before = self.announcer.queued(guild.id, author.id)
        self._queued[message.id] = Queued(author.id, prefix, message, before)
        while len(self._queued) > REMEMBERED_MESSAGES:
            self._queued.popitem(last=False)

    async def _drop(self, session: VoiceSession, guild_id: int, message_id: int) -> None:
        """Take a message out of the queue, and keep the announcements right: if it was the last
        one queued, as if it had never come; if its author's name was to be said with it, say it
        with their next queued message instead (changed before the drop lets that one be fetched
        ahead, so Fish isn't asked for it twice)."""
        queued = self._queued.pop(message_id, None)
        if session.waiting(message_id) is None:
            return
        if queued is not None:
            await self._pass_on(session, guild_id, message_id, queued)
        await session.remove(message_id)

    async def _pass_on(self, session: VoiceSession, guild_id: int, message_id: int, queued: Queued) -> None:
        later = [r for r in session.queue
                 if r.message_id is not None and r.message_id > message_id and r.message_id in self._queued]
        if not later:
            self.announcer.restore(guild_id, queued.before)
            return
        next_id = later[0].message_id
        assert next_id is not None  # only requests reading a message were kept above
        following = self._queued[next_id]
        if queued.prefix and following.author_id == queued.author_id and not following.prefix:
            try:  # paid like an edit: the name is part of what Fish is asked to say
                moved = await self.bot.speech.replace_text(session, next_id, queued.prefix + later[0].text,
                                                           user_id=following.author_id)
            except QuotaExceeded:
                return  # read without the name rather than not at all
            if moved:
                following.prefix = queued.prefix

    # --- join/leave announcements ----------------------------------------------------------------

    @commands.Cog.listener()
    async def on_voice_state_update(self, member: discord.Member, before: discord.VoiceState,
                                    after: discord.VoiceState) -> None:
        if member.bot or before.channel == after.channel or not self.bot.settings.narration.enabled:
            return
        session = self.bot.voice_sessions.get(member.guild.id)
        if session is None:
            return
        if after.channel == session.channel:
            verb, say = "joined", phrases.joined
        elif before.channel == session.channel:
            verb, say = "left", phrases.left
        else:
            return
        async with self._lock(member.guild.id):
            config = await self._config(member.guild.id)
            if not config.announce_joins or not await self._may_read(member, member, config,
                                                                     member.guild.id, False):
                return
            if not self.presence.due(member.guild.id, member.id):
                return  # a flapping connection: once per member every PRESENCE_EVERY_S
            language = await guild_language(self.bot.store, member.guild)  # no message: the server's
            nickname = await self._nickname(member.id, member.guild.id)
            name = spoken_name(member.display_name, nickname, language)
            text = await self._for_fish(member.guild.id, say(name, language), config)
            # In the server's voice (the bot has no voice of its own), paid from the member's quota.
            me = self.bot.user.id if self.bot.user is not None else 0
            voice = await resolve_voice(self.bot.store, self.bot.settings, user_id=me,
                                        guild_id=member.guild.id)
            speech = self.bot.speech
            try:
                spec = speech.spec(text, voice_id=voice.voice_id, speed=voice.speed,
                                   volume=config.spec_volume,
                                   normalize_loudness=config.spec_normalize_loudness)
                await speech.queue(member, [spec], None, into=session)
            except (QuotaExceeded, QueueFull, FishUnavailable) as exc:
                log.info("no %s announcement in guild %s: %s", verb, member.guild.id, exc)

    @commands.Cog.listener()
    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        await self._deleted(payload.guild_id, [payload.message_id])

    @commands.Cog.listener()
    async def on_raw_bulk_message_delete(self, payload: discord.RawBulkMessageDeleteEvent) -> None:
        await self._deleted(payload.guild_id, sorted(payload.message_ids))

    async def _deleted(self, guild_id: int | None, message_ids: list[int]) -> None:
        if guild_id is None:
            return
        async with self._lock(guild_id):
            session = self.bot.voice_sessions.get(guild_id)
            if session is None:
                return
            playing = session.current.request.message_id if session.current is not None else None
            if playing is not None and playing in message_ids:
                await session.skip()  # taken back (or removed by a moderator) while being read
            for message_id in message_ids:
                await self._drop(session, guild_id, message_id)

    @commands.Cog.listener()
    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        if payload.guild_id is None:
            return
        async with self._lock(payload.guild_id):
            await self._edited(payload.guild_id, payload.message)

    async def _edited(self, guild_id: int, message: discord.Message) -> None:
        session = self.bot.voice_sessions.get(guild_id)
        queued = self._queued.get(message.id)
        request = session.waiting(message.id) if session is not None else None
        if session is None or queued is None or request is None:
            return  # already spoken (or being spoken), or never queued
        config = await self._config(guild_id)
        max_length = config.max_length or self.bot.settings.narration.max_message_length
        language = message_language(message, await guild_language(self.bot.store, message.guild))
        words = words_of(message, config, max_length=max_length, language=language)
        words = await self._for_fish(guild_id, words, config, message.author.id)
        if not words:  # edited down to nothing, or to the ignore prefix
            await self._drop(session, guild_id, message.id)
            return
        text = queued.prefix + words
        if text == request.text:
            return  # an embed or link preview arrived; the words didn't change
        try:
            guild = queued.message.guild
            with using_language(await guild_language(self.bot.store, guild)):  # a refusal is posted
                await self.bot.speech.replace_text(session, message.id, text, user_id=message.author.id)
        except QuotaExceeded as exc:
            await self._drop(session, guild_id, message.id)
            await self._tell(queued.message, str(exc))


async def setup(bot: FishBot) -> None:
    await bot.add_cog(Narration(bot))
