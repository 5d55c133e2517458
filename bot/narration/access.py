"""Whose messages may be read aloud in a server: its ignore lists and required role, and each
member's own opt-out. Shared by narration and the "Speak this message" menu."""

from __future__ import annotations

import discord

from bot.spoken.settings import OPT_OUT, OptOut, ServerSpeech
from bot.storage.settings import SettingsStore


async def may_read(store: SettingsStore, author: discord.abc.User, member: discord.Member | None,
                   config: ServerSpeech, guild_id: int, *, automated: bool = False) -> bool:
    """Whether `author` (`member` when Discord gave one, for the roles) may be read in the guild.
    Bots and webhooks (`automated`) are only subject to the ignore lists."""
    if author.id in config.ignored_members:
        return False
    roles = {role.id for role in member.roles} if member is not None else set()
    if roles & set(config.ignored_roles):
        return False
    if automated:
        return True
    if config.required_role and config.required_role not in roles:
        return False
    opted_out = await store.get_user(author.id, OPT_OUT, OptOut)
    return guild_id not in opted_out.guilds
