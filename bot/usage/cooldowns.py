"""Per-member cooldowns for the commands that spend Fish credits: one definition for every cog.

    @expensive_cooldown("clone")
    @app_commands.command(...)
    async def clone(...): ...

FishTree.on_error already answers CommandOnCooldown with the time left. Bot owners are exempt
(the bot's one owner check, `is_bot_owner`: configured owners, else the application's).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, Protocol, TypeVar, runtime_checkable

import discord
from discord import app_commands

T = TypeVar("T")

Expensive = Literal["speak", "clone", "transcribe", "design", "scene"]

# (uses, per seconds): generous for conversation, tight for what is slow and costly.
COOLDOWNS: dict[Expensive, tuple[int, float]] = {
    "speak": (5, 15.0),
    "clone": (1, 60.0),
    "transcribe": (2, 30.0),
    "design": (2, 30.0),
    "scene": (2, 30.0),
}


@runtime_checkable
class KnowsOwners(Protocol):
    async def is_bot_owner(self, user: discord.abc.Snowflake) -> bool: ...


async def _is_owner(interaction: discord.Interaction) -> bool:
    client = interaction.client
    return isinstance(client, KnowsOwners) and await client.is_bot_owner(interaction.user)


def member_cooldown(rate: int, per: float) -> Callable[[T], T]:
    """`rate` uses per `per` seconds for each member (across servers); owners are exempt."""

    async def factory(interaction: discord.Interaction) -> app_commands.Cooldown | None:
        return None if await _is_owner(interaction) else app_commands.Cooldown(rate, per)

    return app_commands.checks.dynamic_cooldown(factory, key=lambda i: i.user.id)


def expensive_cooldown(command: Expensive) -> Callable[[T], T]:
    """The project's cooldown for one of the credit-spending commands (a fresh bucket per use)."""
    rate, per = COOLDOWNS[command]
    return member_cooldown(rate, per)
