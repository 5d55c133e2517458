"""Per-member cooldowns for the commands that spend Fish credits: one definition for every cog.

    class Clone(commands.Cog):
        def __init__(self, bot):
            expensive_cooldown(bot.cooldowns, "clone", self.clone)

The allowance is kept in the database (``command_cooldowns``), so it holds across servers and
across every process sharing a PostgreSQL database, not once per process. Each use is one atomic
upsert of one row (GCRA: the row holds the time at which the member's allowance is full again),
so racing requests can't both take the last use. FishTree.on_error answers CommandOnCooldown
with the time left. Bot owners are exempt: the bot hands in its one owner check (`is_bot_owner`:
configured owners, else the application's) as `exempt`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Literal

import discord
from discord import app_commands
from sqlalchemy import Table, case, select
from sqlalchemy.dialects import postgresql, sqlite

from bot import clock as bot_clock
from bot.storage.db import Database, affected_rows
from bot.storage.models import CommandCooldown

Expensive = Literal["speak", "clone", "transcribe", "design", "scene"]

# (uses, per seconds): generous for conversation, tight for what is slow and costly.
COOLDOWNS: dict[Expensive, tuple[int, float]] = {
    "speak": (5, 15.0),
    "clone": (1, 60.0),
    "transcribe": (2, 30.0),
    "design": (2, 30.0),
    "scene": (2, 30.0),
}


def wall_seconds() -> float:
    """The bot's clock in seconds: a wall clock, shared by processes (on different hosts, via NTP)."""
    return bot_clock.utc_now().timestamp()


async def _nobody(user: discord.abc.Snowflake) -> bool:
    return False


class SharedCooldowns:
    """`rate` uses per `per` seconds per member and command, one use coming back every
    `per / rate` seconds (a burst of `rate` is allowed after a quiet spell)."""

    def __init__(self, db: Database, *, exempt: Callable[[discord.abc.Snowflake], Awaitable[bool]] = _nobody,
                 clock: Callable[[], float] = wall_seconds) -> None:
        self.db = db
        self.exempt = exempt  # the bot's owners
        self._clock = clock

    async def spend(self, user_id: int, command: str, rate: int, per: float) -> float:
        """Take one use; returns 0.0 when allowed, else the seconds until the next use."""
        now = self._clock()
        interval = per / rate
        table = CommandCooldown.__table__
        assert isinstance(table, Table)
        insert = postgresql.insert if self.db.dialect == "postgresql" else sqlite.insert
        # The allowance is full again at `ready_at`; each use pushes it `interval` further.
        start = case((table.c.ready_at > now, table.c.ready_at), else_=now)
        upsert = insert(table).values(user_id=user_id, command=command, ready_at=now + interval)
        stmt = upsert.on_conflict_do_update(
            index_elements=["user_id", "command"],
            set_={"ready_at": start + interval},
            where=start <= now + per - interval,
        ).returning(table.c.ready_at)
        async with self.db.session() as session:
            if (await session.execute(stmt)).first() is not None:
                return 0.0
            ready_at = await session.scalar(
                select(table.c.ready_at).where(
                    table.c.user_id == user_id, table.c.command == command
                )
            )
        return max((ready_at or now) - (now + per - interval), 0.01)

    async def delete_user(self, user_id: int) -> int:
        """Data deletion: the member's rows, except a cooldown still running (deleting data must
        not reset a limit; it ends within a minute and holds nothing but a time)."""
        table = CommandCooldown.__table__
        assert isinstance(table, Table)
        async with self.db.session() as session:
            result = await session.execute(
                table.delete().where(table.c.user_id == user_id, table.c.ready_at <= self._clock())
            )
        return affected_rows(result)


def expensive_cooldown(cooldowns: SharedCooldowns, command: Expensive,
                       limited: app_commands.Command[Any, ..., Any] | app_commands.ContextMenu) -> None:
    """Put `limited` (a cog's own copy of a command, or its context menu) under the project's
    cooldown for one of the credit-spending commands: `rate` uses per `per` seconds per member,
    everywhere; the members `cooldowns` exempts are not limited."""
    rate, per = COOLDOWNS[command]

    async def predicate(interaction: discord.Interaction) -> bool:
        if await cooldowns.exempt(interaction.user):
            return True
        retry_after = await cooldowns.spend(interaction.user.id, command, rate, per)
        if retry_after > 0:
            raise app_commands.CommandOnCooldown(app_commands.Cooldown(rate, per), retry_after)
        return True

    # A new list: a cog's copy of a command shares its checks list with the class's command.
    limited.checks = [*limited.checks, predicate]
