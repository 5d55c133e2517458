"""The one way cogs check a member's Discord permissions: `requires(...)` on a command, or
`require_permissions(...)` where the need depends on the arguments (e.g. acting for another
member). Administrators pass every check; a refusal is `MissingPermissions`, which FishTree words.
`speak_refusal` is the one rule for who may make the bot speak in a voice channel, `can_read` for
whose eyes a channel's messages are."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import discord
from discord import app_commands

from bot.errors import SpeakerRefused

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


def speak_refusal(member: discord.Member, channel: discord.VoiceChannel | discord.StageChannel, *,
                  audience: bool = False) -> SpeakerRefused | None:
    """Why `member` may not make the bot speak in `channel`, or None when they may. A member who
    can't speak there themselves (server-muted, in a stage's audience, without the Speak
    permission) can't through the bot either: /speak, the menus, /scene, previews and narration
    alike. `audience`: a server whose narration reads its stage audience too."""
    state = member.voice
    if state is not None and state.mute:
        return SpeakerRefused(channel.mention, "muted")
    if (not audience and state is not None and state.suppress
            and isinstance(state.channel, discord.StageChannel)):
        return SpeakerRefused(channel.mention, "audience")
    if not channel.permissions_for(member).speak:
        return SpeakerRefused(channel.mention, "no_speak")
    return None


def require_speaker(member: discord.Member) -> None:
    """Refuse (SpeakerRefused) a member who may not speak in the voice channel they are in."""
    state = member.voice
    if state is not None and state.channel is not None:
        refusal = speak_refusal(member, state.channel)
        if refusal is not None:
            raise refusal


def can_read(member: discord.Member, channel: discord.abc.GuildChannel | discord.Thread) -> bool:
    """Whether `member` can read the messages of `channel` (a text channel, a thread, a voice
    channel's chat)."""
    try:
        perms = channel.permissions_for(member)
    except discord.ClientException:  # a thread whose parent isn't cached
        return False
    if not perms.view_channel:
        return False
    if isinstance(channel, discord.Thread) and channel.is_private():
        # Its members aren't known without the members intent: its owner and moderators only.
        return channel.owner_id == member.id or perms.manage_threads
    return True
