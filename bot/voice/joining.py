"""Before joining a voice channel: name what is missing instead of joining and staying silent."""

from __future__ import annotations

import discord

from bot import clock
from bot.errors import BotCannotSpeak, ChannelFull, Missing, Refusal, TimedOutMember

VoiceChannel = discord.VoiceChannel | discord.StageChannel


def join_problem(channel: VoiceChannel, member: discord.Member) -> Refusal | None:
    """Why the bot can't usefully speak in `channel` for `member`, or None when it can."""
    until = member.timed_out_until  # judged by the bot's clock, not discord.py's
    if until is not None and until > clock.utc_now():
        return TimedOutMember()
    me = channel.guild.me
    perms = channel.permissions_for(me)
    missing = Missing(
        view_channel=not perms.view_channel, connect=not perms.connect, speak=not perms.speak,
        # Without stage-moderator rights the bot joins as a listener and can only ask to speak.
        stage_speaker=isinstance(channel, discord.StageChannel) and not perms.mute_members,
    )
    if missing:
        return BotCannotSpeak(channel.mention, missing)
    already_in = me.voice is not None and me.voice.channel == channel
    if (
        not already_in
        and channel.user_limit
        and len(channel.members) >= channel.user_limit
        and not perms.move_members
    ):
        return ChannelFull(channel.mention, channel.user_limit)
    return None
