"""Names for the members a typed text mentions. A slash command's string option carries only
`<@id>`, with no member data, and without the privileged members intent the bot knows only the
members it has seen: the others are fetched from Discord (GET /guilds/{id}/members/{id}), a few per
text, and remembered for a while, so "/speak Hi @Rosalind" says her name, not "someone"."""

from __future__ import annotations

import logging

import discord
from cachetools import TTLCache

from bot.spoken.cleaning import mentioned_users

log = logging.getLogger(__name__)

# At most this many members fetched for one text (the rest are said as "someone"): a text full of
# mentions must not spend the bot's REST rate limit.
MAX_FETCHED = 5
REMEMBERED = 2048  # (server, member) names kept
REMEMBERED_S = 600.0  # a renamed member is said by the new name within ten minutes


class MentionedMembers:
    """The display names of mentioned members the bot has not cached, from Discord (one owner:
    built once, handed to the preparer)."""

    def __init__(self, size: int = REMEMBERED, ttl: float = REMEMBERED_S) -> None:
        # (guild id, user id) → display name, or "": not a member of that server.
        self._names: TTLCache[tuple[int, int], str] = TTLCache(size, ttl)

    async def names(self, guild: discord.Guild, text: str) -> dict[int, str]:
        """Names for the mentions in `text` that `guild`'s cache can't name. A member Discord
        doesn't know there, or a failed request, gets no name (said as "someone")."""
        unknown = [user_id for user_id in mentioned_users(text) if guild.get_member(user_id) is None]
        names: dict[int, str] = {}
        for user_id in unknown[:MAX_FETCHED]:
            name = await self._name(guild, user_id)
            if name:
                names[user_id] = name
        return names

    async def _name(self, guild: discord.Guild, user_id: int) -> str:
        key = (guild.id, user_id)
        name = self._names.get(key)
        if name is not None:
            return name
        try:
            name = (await guild.fetch_member(user_id)).display_name
        except discord.NotFound:
            name = ""
        except discord.HTTPException as exc:  # not remembered: the next text asks again
            log.info("could not fetch mentioned member %s in guild %s: %s", user_id, guild.id, exc)
            return ""
        self._names[key] = name
        return name
