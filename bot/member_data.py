"""What the bot stores about a member, feature by feature, for /forget-me.

Red's pattern (`red_delete_data_for_user`): each feature that keeps something about members lists
and deletes its own part, so a new feature's data cannot be forgotten by a central registry. The
bot (bot/client.py) asks every loaded cog that implements `MemberData`, after its own services.
Lines are written for the member, in their language.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import discord

from bot.fish import FishClient, FishError, NotFoundError, parse_voice_id
from bot.i18n import N_, _, ngettext
from bot.i18n.formatting import listing, number
from bot.spoken.settings import NICKNAMES, OPT_OUT
from bot.storage.models import VoiceOwnership
from bot.storage.settings import SettingsStore
from bot.storage.voice_owners import VoiceOwners
from bot.storage.voice_prefs import NAMESPACE as VOICE_NAMESPACE
from bot.tts.gone import TOLD_NAMESPACE
from bot.usage import UsageLedger
from bot.usage.cooldowns import SharedCooldowns

log = logging.getLogger(__name__)

# How each member setting (a SettingsStore user namespace) is named to the member.
SETTINGS = {
    VOICE_NAMESPACE: N_("your voice, speed and style"),
    NICKNAMES: N_("how your name is spoken"),
    OPT_OUT: N_("the servers where your messages aren't read aloud"),
    TOLD_NAMESPACE: N_("which missing voices you were told about"),
}
MAX_LISTED = 10  # titles or words named in one line; the rest are counted


@dataclass
class Held:
    """What a feature holds about a member: what /forget-me will delete, and what it will keep
    (with the reason)."""

    deletes: list[str] = field(default_factory=list)
    keeps: list[str] = field(default_factory=list)

    def add(self, other: Held) -> None:
        self.deletes += other.deletes
        self.keeps += other.keeps


@dataclass
class Deleted:
    """What a deletion did: how many stored records went, and what could not be deleted now."""

    records: int = 0
    remaining: list[str] = field(default_factory=list)

    def add(self, other: Deleted) -> None:
        self.records += other.records
        self.remaining += other.remaining


@runtime_checkable
class MemberData(Protocol):
    """A cog that stores data about members implements this; /forget-me calls it."""

    async def member_data(self, user_id: int) -> Held:
        """What this feature holds about `user_id`, for the confirmation question."""
        ...

    async def delete_member_data(self, user_id: int) -> Deleted:
        """Delete what this feature stores about `user_id`."""
        ...


def named(items: list[str]) -> str:
    """Bold names (already escaped), at most MAX_LISTED of them, then how many more."""
    shown = [f"**{item}**" for item in items[:MAX_LISTED]]
    if len(items) > MAX_LISTED:
        more = len(items) - MAX_LISTED
        shown.append(ngettext("{count} more", "{count} more", more).format(count=number(more)))
    return listing(shown)


def _titles(records: list[VoiceOwnership]) -> str:
    return named([discord.utils.escape_markdown(record.title) or record.voice_id for record in records])


def server_name(client: discord.Client, guild_id: int) -> str:
    """A server as the member is shown it: its name (escaped), or its id when the bot isn't in it."""
    guild = client.get_guild(guild_id)
    return f"**{discord.utils.escape_markdown(guild.name)}**" if guild is not None else f"`{guild_id}`"


class CoreMemberData:
    """The member data the bot's shared services keep, whichever cogs are loaded: the voices the
    member cloned (clone and design both make them) with their ownership records, their settings,
    the usage ledger and the cooldowns."""

    def __init__(self, *, fish: FishClient, owners: VoiceOwners, store: SettingsStore,
                 usage: UsageLedger, cooldowns: SharedCooldowns) -> None:
        self._fish = fish
        self._owners = owners
        self._store = store
        self._usage = usage
        self._cooldowns = cooldowns

    async def member_data(self, user_id: int) -> Held:
        held = Held()
        voices = await self._owners.of_user(user_id)
        if voices:
            held.deletes.append(_("Your cloned voices, deleted from Fish Audio too: {voices}").format(
                voices=_titles(voices)))
        namespaces = await self._store.user_namespaces(user_id)
        if namespaces:
            labels = list(dict.fromkeys(
                _(SETTINGS[n]) if n in SETTINGS else _("other settings") for n in namespaces))
            held.deletes.append(_("Your settings: {settings}").format(settings=listing(labels)))
        if await self._usage.has_events(user_id):
            held.keeps.append(_("The record of what you used (how much, in which server, when) stays for "
                                "the operator's accounting, without your id."))
        return held

    async def delete_member_data(self, user_id: int) -> Deleted:
        """The voices on Fish first, each record only once its voice is gone there, then the rest."""
        deleted = await self._delete_voices(user_id)
        deleted.records += await self._store.delete_user(user_id)
        deleted.records += await self._usage.forget_user(user_id)
        deleted.records += await self._cooldowns.delete_user(user_id)
        return deleted

    async def _delete_voices(self, user_id: int) -> Deleted:
        deleted = Deleted()
        records = await self._owners.of_user(user_id)
        for index, record in enumerate(records):
            voice_id = parse_voice_id(record.voice_id)
            if voice_id is not None:
                try:
                    await self._fish.voices.delete(voice_id)
                except NotFoundError:
                    log.info("voice %s was already gone from Fish", voice_id)
                except FishError as exc:
                    # Fish can't be reached or refused: this voice and the rest stay on Fish, so
                    # their records stay too and keep guarding them.
                    log.warning("could not delete voice %s of a forgotten member: %s", voice_id, exc)
                    deleted.remaining.append(_(
                        "These cloned voices couldn't be deleted from Fish Audio just now: {voices}. They "
                        "stay there and stay yours: nobody else can change or delete them, or use them "
                        "unless you made them public. Try `/forget-me` again later.").format(
                        voices=_titles(records[index:])))
                    break
            await self._owners.remove(record.voice_id)
            deleted.records += 1
        return deleted
