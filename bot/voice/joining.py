"""Before joining a voice channel: name what is missing instead of joining and staying silent."""

from __future__ import annotations

import discord

VoiceChannel = discord.VoiceChannel | discord.StageChannel


def join_problem(channel: VoiceChannel, member: discord.Member) -> str | None:
    """Why the bot can't usefully speak in `channel` for `member`, or None when it can."""
    if member.is_timed_out():
        return "You're timed out in this server, so I can't speak for you right now."
    me = channel.guild.me
    perms = channel.permissions_for(me)
    missing = [
        name
        for name, granted in (
            ("View Channel", perms.view_channel),
            ("Connect", perms.connect),
            ("Speak", perms.speak),
        )
        if not granted
    ]
    if isinstance(channel, discord.StageChannel) and not perms.mute_members:
        # Without stage-moderator rights the bot joins as a listener and can only ask to speak.
        missing.append("Mute Members (to become a stage speaker)")
    if missing:
        return f"I can't speak in {channel.mention}: I'm missing {', '.join(missing)} there."
    already_in = me.voice is not None and me.voice.channel == channel
    if (
        not already_in
        and channel.user_limit
        and len(channel.members) >= channel.user_limit
        and not perms.move_members
    ):
        return f"{channel.mention} is full ({channel.user_limit} members)."
    return None
