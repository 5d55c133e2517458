"""Saved voices that may no longer be spoken with.

A member's or server's saved voice can be deleted (or made private) on Fish's side at any time;
Fish then answers TTS with 400 "Reference not found" (and GET /model/{id} with 404, or 403 for
another account's private voice). Users of other TTS bots report this silently breaking saved
choices. A voice cloned through the bot can also be made private again by the member who cloned
it (`/voices edit`): Fish still speaks with it (every clone is on the operator's account), but the
members and servers that had saved it may not any more. Here the first such answer — or, for a
withdrawn voice, the next use — clears the stored preference naming that voice (every one, for a
voice gone from Fish; only the member's or server's that may no longer use it, for a withdrawn
one), the clip is spoken with the next voice in the chain (member → server → configured default
→ Fish's default), and the member is told once, in plain words, which voice went missing
(remembered in their settings, so a restart doesn't tell again; /forget-me deletes it with the
rest). A withdrawn voice is told exactly as a deleted one: another member's private voice looks
like a missing one. Later requests naming a voice known to be gone skip Fish's refusal.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from bot.config import Settings
from bot.storage.settings import SettingsStore
from bot.storage.voice_owners import VoiceOwners
from bot.storage.voice_prefs import NAMESPACE, VoicePrefs

log = logging.getLogger(__name__)

TOLD_NAMESPACE = "voices_gone"
MAX_TOLD = 50  # the voices a member is remembered to have been told about (the latest)


class ToldGone(BaseModel):
    """The gone voices a member has been told about."""

    voices: list[str] = []


@dataclass(frozen=True)
class VoiceGoneNotice:
    """What the member is told (worded by bot.wording.notices): whose voice went missing
    ("voice": the one asked for, "server": the server's default, "member": theirs), its name or
    None, the id, and what was used instead ("server", "bot" or "fish": the defaults)."""

    whose: str
    name: str | None
    missing: str
    instead: str


@dataclass(frozen=True)
class Replacement:
    """The voice to use instead (None: Fish's default) and what to tell the member (None: they
    were already told about this voice)."""

    voice_id: str | None
    notice: VoiceGoneNotice | None


class StaleVoices:
    def __init__(self, store: SettingsStore, settings: Settings, owners: VoiceOwners) -> None:
        self._store = store
        self._settings = settings
        self._owners = owners
        self._gone: set[str] = set()

    def is_gone(self, voice_id: str | None) -> bool:
        return voice_id is not None and voice_id in self._gone

    async def _saved(self, user_id: int, guild_id: int | None) -> tuple[VoicePrefs, VoicePrefs]:
        member = await self._store.get_user(user_id, NAMESPACE, VoicePrefs)
        server = (await self._store.get_guild(guild_id, NAMESPACE, VoicePrefs)
                  if guild_id is not None else VoicePrefs())
        return member, server

    async def _withdrawn(self, voice_id: str, member: VoicePrefs, server: VoicePrefs,
                         user_id: int) -> tuple[bool, bool]:
        """Whether `voice_id`, where it is saved as the member's voice / as the server's default,
        may no longer be used there (bot/storage/voice_owners.py)."""
        return await self._owners.withdrawn(user_id, member.voice_id if member.voice_id == voice_id else None,
                                            server.voice_id if server.voice_id == voice_id else None)

    async def withdrawn(self, user_id: int, guild_id: int | None) -> list[str]:
        """The voices saved for this member and server that may no longer be used there: the
        member may not use theirs (its owner made it private again), not every member may use the
        server's, or a stored id is no voice id. `resolve_voice` already passes over them; here
        they are found to be forgotten and told about."""
        member, server = await self._saved(user_id, guild_id)
        mine, servers = await self._owners.withdrawn(user_id, member.voice_id, server.voice_id)
        found = [member.voice_id] if mine and member.voice_id else []
        if servers and server.voice_id and server.voice_id not in found:
            found.append(server.voice_id)
        return found

    async def unusable(self, voice_id: str, *, user_id: int, guild_id: int | None) -> bool:
        """Whether `voice_id` is gone from Fish, or saved for this member or server although it
        may no longer be used there."""
        return voice_id in self._gone or voice_id in await self.withdrawn(user_id, guild_id)

    async def replace(self, missing: str, *, user_id: int, guild_id: int | None) -> Replacement:
        """Forget `missing` wherever it is saved for this member and server (only where it is
        withdrawn, if it is: then it is not gone from Fish); the next voice."""
        member, server = await self._saved(user_id, guild_id)
        mine, servers = await self._withdrawn(missing, member, server, user_id)
        withdrawn = mine or servers
        if not withdrawn:
            self._gone.add(missing)
            mine, servers = member.voice_id == missing, server.voice_id == missing
        name, whose = None, "voice"
        if servers and guild_id is not None:
            name, whose = server.voice_name, "server"
            await self._store.update_guild(guild_id, NAMESPACE, {"voice_id": None, "voice_name": None},
                                           model=VoicePrefs)
            server = VoicePrefs()
        if mine:
            name, whose = member.voice_name or name, "member"
            await self._store.update_user(user_id, NAMESPACE, {"voice_id": None, "voice_name": None},
                                          model=VoicePrefs)
            member = VoicePrefs()
        if self._settings.fish.default_voice == missing and not withdrawn:
            log.warning("the configured fish.default_voice %s no longer exists on Fish Audio", missing)
        log.info("voice %s is %s; cleared it for member %s / guild %s", missing,
                 "withdrawn by its owner" if withdrawn else "gone from Fish Audio", user_id, guild_id)
        chain = (member.voice_id, server.voice_id, self._settings.fish.default_voice)
        voice_id = next((v for v in chain if v and v != missing and v not in self._gone), None)
        notice = None
        if await self._first_telling(user_id, missing):
            instead = ("server" if voice_id and voice_id == server.voice_id
                       else "bot" if voice_id else "fish")
            notice = VoiceGoneNotice(whose, name, missing, instead)
        return Replacement(voice_id, notice)

    async def _first_telling(self, user_id: int, missing: str) -> bool:
        """Whether `user_id` is yet to be told that `missing` is gone; records that they are."""
        if missing in (await self._store.get_user(user_id, TOLD_NAMESPACE, ToldGone)).voices:
            return False
        first = False

        def mark(told: ToldGone) -> dict[str, Any]:
            nonlocal first  # decided under the row lock: two clips at once tell once
            first = missing not in told.voices
            return {"voices": [*told.voices, missing][-MAX_TOLD:]} if first else {}

        await self._store.edit_user(user_id, TOLD_NAMESPACE, ToldGone, mark)
        return first
