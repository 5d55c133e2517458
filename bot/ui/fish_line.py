"""Telling a member that their Fish request waits for one of the account's concurrency slots
(bot/fish/admission): only when the wait is long, with their place in line; never "try again"."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import discord

from bot.fish.admission import LongWait
from bot.i18n import _
from bot.i18n.formatting import number

log = logging.getLogger(__name__)


def line_notice(edit: Callable[..., Awaitable[object]]) -> LongWait:
    """A long-wait notice that edits the member's reply with `edit(content=…)` (e.g.
    `interaction.edit_original_response`, `message.edit`) to show their place in line."""

    async def notice(place: int) -> None:
        text = _("Fish Audio is busy with this bot's other requests: yours is number {place} in "
                 "line and starts as soon as it's its turn.").format(place=number(place))
        try:
            await edit(content=text)
        except discord.HTTPException:
            log.info("could not show the Fish line notice", exc_info=True)

    return notice
