"""/settings: everything a server sets for the bot, in one group (narration, the ignore lists,
the default voice, the language). Manage Server is needed for all of it."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import discord
from discord import app_commands
from discord.ext import commands
from pydantic import BaseModel

from bot.errors import UserFacingError
from bot.i18n import LANGUAGES, _, ngettext, pgettext
from bot.i18n.formatting import duration, listing, number
from bot.i18n.resolve import NAMESPACE as LANGUAGE_NAMESPACE
from bot.i18n.resolve import LanguageSettings, guild_language
from bot.permissions import require_permissions
from bot.speech.access import usable_voice
from bot.spoken.settings import NAMESPACE, ServerSpeech, check_name_template
from bot.storage.voice_prefs import NAMESPACE as VOICE_NAMESPACE
from bot.storage.voice_prefs import VoicePrefs
from bot.ui.voice_autocomplete import VoiceOptions

if TYPE_CHECKING:
    from bot.client import FishBot

NO_MENTIONS = discord.AllowedMentions.none()
IGNORE_LIMIT = 100  # members, and roles, per server
OnOff = Literal["skip", "name"]
AUTO = "auto"
# Each language by its own name, the way members look for it.
LANGUAGE_CHOICES = [app_commands.Choice(name=name, value=code) for code, name in LANGUAGES.items()]
LANGUAGE_CHOICES.append(app_commands.Choice(name="Discord server locale", value=AUTO))


@dataclass(frozen=True)
class Option:
    """One option of /settings narration: its name and type as Discord shows them, its
    description, and the ServerSpeech field it sets (by default the one of the same name)."""

    name: str
    type: Any
    description: str
    field: str = ""

    @property
    def sets(self) -> str:
        return self.field or self.name


# The one list of /settings narration's options: the command's signature is built from it, and
# each chosen value is stored in the field its row names.
NARRATION_OPTIONS: tuple[Option, ...] = (
    Option("announce_names", bool, "Say who is speaking (again when the author changes or after a minute)"),
    Option("same_channel", bool, "Only read members who are in the bot's voice channel"),
    Option("read_bots", bool, "Read messages of bots and webhooks"),
    Option("required_role", discord.Role, "Only read members with this role"),  # stored as its id
    Option("any_role", bool, "Remove the required role", field="required_role"),  # True: None
    Option("auto_join", bool, "Join the author's voice channel when they write"),
    Option("ignore_prefix", app_commands.Range[str, 0, 10],
           "Messages starting with this are not read (empty: read everything)"),
    Option("max_length", app_commands.Range[int, 1, 4000],
           "Longest message read, in characters (longer ones are cut)"),
    Option("max_seconds", app_commands.Range[float, 1, 600], "Longest time one message may speak"),
    Option("max_wait", app_commands.Range[int, 0, 600],
           "Skip messages still unread after this many seconds (0: never)", field="max_wait_s"),
    Option("custom_emoji", OnOff, "Say custom emoji by name, or skip them"),
    Option("unicode_emoji", OnOff, "Say emoji by name, or skip them"),
    Option("repeat_cap", app_commands.Range[int, 0, 100],
           "Longest run of one character (3: \"sooooo\" → \"sooo\"); 0: no cap, else 2 to 100",
           field="max_repeat"),
    Option("expressive_cues", bool,
           "Let [bracket] cues and <tags> in messages change the delivery (off: read as words)"),
    Option("read_everyone", bool, "Say @everyone and @here as \"everyone\" and \"here\" (off: skip them)"),
    Option("read_silent", bool, "Read @silent messages (sent without notifications)"),
    Option("required_prefix", app_commands.Range[str, 0, 10],
           "Only read messages starting with this, without it (empty: no prefix needed)"),
    Option("read_audience", bool, "In a stage channel, read members in the audience too"),
    Option("voice_chat", bool, "Read the text chat of the voice channel I'm in, without /narrate start"),
    Option("name_template", app_commands.Range[str, 1, 100],
           "How a new speaker is announced; must contain {name} (e.g. \"{name} says\")"),
    Option("announce_joins", bool, "Say \"Alice joined\" / \"Alice left\" in my voice channel"),
)
_ROLE_OPTIONS = ("required_role", "any_role")

F = TypeVar("F", bound=Callable[..., Any])


def with_options(options: Sequence[Option]) -> Callable[[F], F]:
    """Give a callback that takes `**chosen` one optional keyword parameter per option, described:
    discord.py reads a command's options from its callback's signature."""

    def decorate(callback: F) -> F:
        signature = inspect.signature(callback)
        fixed = [p for p in signature.parameters.values() if p.kind is not inspect.Parameter.VAR_KEYWORD]
        added = [inspect.Parameter(o.name, inspect.Parameter.KEYWORD_ONLY, default=None,
                                   annotation=o.type | None) for o in options]
        callback.__signature__ = signature.replace(parameters=[*fixed, *added])  # type: ignore[attr-defined]
        return app_commands.describe(**{o.name: o.description for o in options})(callback)

    return decorate


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


class ServerSettings(VoiceOptions, commands.Cog):
    settings_group = app_commands.Group(name="settings", description="This server's narration settings",
                                        guild_only=True,
                                        default_permissions=discord.Permissions(manage_guild=True))

    ignore_group = app_commands.Group(name="ignore", description="Members and roles never read aloud",
                                      parent=settings_group)

    def __init__(self, bot: FishBot) -> None:
        self.bot = bot
        self.voice_choices = bot.voice_choices

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        # default_permissions only hides the commands; this enforces Manage Server on every
        # command of the cog (all of them configure the server).
        require_permissions(interaction, manage_guild=True)
        return True

    async def _config(self, guild_id: int) -> ServerSpeech:
        return await self.bot.store.get_guild(guild_id, NAMESPACE, ServerSpeech)

    # --- /settings narration -------------------------------------------------------------------

    @settings_group.command(name="narration", description="How messages are read aloud here")
    @with_options(NARRATION_OPTIONS)
    async def settings_narration(self, interaction: discord.Interaction, **chosen: Any) -> None:
        assert interaction.guild_id is not None
        if chosen["repeat_cap"] == 1:
            raise UserFacingError(_("The repeated-character cap is 0 (off) or 2 to 100."))
        if chosen["name_template"] is not None:
            chosen["name_template"] = check_name_template(chosen["name_template"])
        changes: dict[str, object] = {
            option.sets: chosen[option.name] for option in NARRATION_OPTIONS
            if option.name not in _ROLE_OPTIONS and chosen[option.name] is not None
        }
        role: discord.Role | None = chosen["required_role"]
        if role is not None:
            changes["required_role"] = role.id
        elif chosen["any_role"]:
            changes["required_role"] = None
        await self._save_and_show(interaction, NAMESPACE, changes, ServerSpeech)

    # --- /settings ignore ----------------------------------------------------------------------

    async def _ignore(self, interaction: discord.Interaction, member: discord.Member | None,
                      role: discord.Role | None, add: bool) -> None:
        assert interaction.guild_id is not None
        if member is None and role is None:
            raise UserFacingError(_("Choose a member, a role, or both."))
        done: list[str] = []

        def edit(config: ServerSpeech) -> dict[str, object]:
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

        await self.bot.store.edit_guild(interaction.guild_id, NAMESPACE, ServerSpeech, edit)
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

    # --- /settings voice, show, language ---------------------------------------------------------

    @settings_group.command(name="voice", description="The server's default voice, speed and loudness")
    @app_commands.describe(
        voice="The default voice (type to search)", speed="The default speed, 0.5 to 2.0",
        volume="Louder or quieter, in dB (-20 to 20; 0 is Fish's level), for all speech here",
        normalize_loudness="Even out loudness between voices (Fish's S2 models; on by default)",
    )
    @app_commands.autocomplete(voice=VoiceOptions.voice_autocomplete)
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
                                              model=ServerSpeech)
        changes: dict[str, object] = {}
        if voice is not None:
            found = await usable_voice(self.bot.fish, self.bot.voice_owners, interaction.user.id, voice)
            if not await self.bot.voice_owners.usable_by(found.id, None):
                raise UserFacingError(_(
                    "A server's default voice speaks for every member, so it must be a library voice or "
                    "a public one. Make yours public with `/voices edit` first."))
            changes.update(voice_id=found.id, voice_name=found.title[:100])
        if speed is not None:
            changes["speed"] = speed
        await self._save_and_show(interaction, VOICE_NAMESPACE, changes, VoicePrefs)

    @settings_group.command(name="show", description="This server's narration settings")
    async def settings_show(self, interaction: discord.Interaction) -> None:
        await self._save_and_show(interaction, NAMESPACE, {}, ServerSpeech)

    @settings_group.command(name="language",
                            description="The language of the bot's notices and narration in this server")
    @app_commands.describe(language="Leave out to see the current one")
    @app_commands.choices(language=LANGUAGE_CHOICES)
    async def settings_language(self, interaction: discord.Interaction,
                                language: app_commands.Choice[str] | None = None) -> None:
        guild = interaction.guild
        assert guild is not None
        store = self.bot.store
        if language is not None:
            chosen = None if language.value == AUTO else language.value
            await store.update_guild(guild.id, LANGUAGE_NAMESPACE, {"language": chosen},
                                     model=LanguageSettings)
        current = await guild_language(store, guild)
        text = _("This server's language is {language}: narration, its notices and alerts use it. "
                 "Replies to a member follow their own Discord language when the bot speaks it.")
        await interaction.response.send_message(text.format(language=LANGUAGES[current]), ephemeral=True)

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
        never = pgettext("setting value", "never")
        embed.add_field(name=_("Skipped when unread after"),
                        value=duration(config.max_wait_s) if config.max_wait_s else never)
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


async def setup(bot: FishBot) -> None:
    await bot.add_cog(ServerSettings(bot))
