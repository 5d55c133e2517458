"""The one way cogs check a member's Discord permissions: `requires(...)` on a command, or
`require_permissions(...)` where the need depends on the arguments (e.g. acting for another
member). Administrators pass every check; a refusal is `MissingPermissions`, which FishTree words."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import discord
from discord import app_commands

T = TypeVar("T")


def has_permissions(interaction: discord.Interaction, **perms: bool) -> bool:
    granted = interaction.permissions
    return granted.administrator or all(getattr(granted, name) for name, wanted in perms.items() if wanted)


def require_permissions(interaction: discord.Interaction, **perms: bool) -> None:
    """Raise MissingPermissions unless the member has every permission named."""
    if not has_permissions(interaction, **perms):
        granted = interaction.permissions
        raise app_commands.MissingPermissions([name for name, wanted in perms.items()
                                               if wanted and not getattr(granted, name)])


def requires(**perms: bool) -> Callable[[T], T]:
    """A command check: the member needs these permissions where the command is used."""

    def predicate(interaction: discord.Interaction) -> bool:
        require_permissions(interaction, **perms)
        return True

    return app_commands.check(predicate)
