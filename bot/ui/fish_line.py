"""Telling a member that their Fish request waits for one of the account's concurrency slots
(bot/fish/admission): only when the wait is long, with their place in line; never "try again"."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import discord

from bot.fish.admission import LongWait
from bot.wording.notices import place_in_line

log = logging.getLogger(__name__)


def line_notice(edit: Callable[..., Awaitable[object]]) -> LongWait:
    """A long-wait notice that edits the member's reply with `edit(content=…)` (e.g.
    `interaction.edit_original_response`, `message.edit`) to show their place in line. Told once:
    not again when a refused request goes back in line, nor for the next request it is given to
    (a scene's clips rendered in turn)."""
    told = False

    async def notice(place: int) -> None:
        nonlocal told
        if told:
            return
        told = True
        try:
            await edit(content=place_in_line(place))
        except discord.HTTPException:
            log.info("could not show the Fish line notice", exc_info=True)

    return notice
