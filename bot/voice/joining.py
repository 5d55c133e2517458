"""Before joining a voice channel: name what is missing instead of joining and staying silent."""

from __future__ import annotations

import discord

from bot import clock
from bot.i18n import N_, _
from bot.i18n.formatting import listing, number

VoiceChannel = discord.VoiceChannel | discord.StageChannel


def join_problem(channel: VoiceChannel, member: discord.Member) -> str | None:
    """Why the bot can't usefully speak in `channel` for `member`, or None when it can."""
    until = member.timed_out_until  # judged by the bot's clock, not discord.py's
    if until is not None and until > clock.utc_now():
        return _("You're timed out in this server, so I can't speak for you right now.")
    me = channel.guild.me
    perms = channel.permissions_for(me)
    missing = [
        _(name)
        for name, granted in (
            (N_("View Channels"), perms.view_channel),
            (N_("Connect"), perms.connect),
            (N_("Speak"), perms.speak),
        )
        if not granted
    ]
    if isinstance(channel, discord.StageChannel) and not perms.mute_members:
        # Without stage-moderator rights the bot joins as a listener and can only ask to speak.
        missing.append(_("Mute Members (to become a stage speaker)"))
    if missing:
        return _("I can't speak in {channel}: I'm missing {permissions} there.").format(
            channel=channel.mention, permissions=listing(missing))
    already_in = me.voice is not None and me.voice.channel == channel
    if (
        not already_in
        and channel.user_limit
        and len(channel.members) >= channel.user_limit
        and not perms.move_members
    ):
        return _("{channel} is full ({count} members).").format(
            channel=channel.mention, count=number(channel.user_limit))
    return None
