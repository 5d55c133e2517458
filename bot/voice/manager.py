"""Voice sessions by guild: connecting, repairing desyncs, and reacting to voice-state changes."""

from __future__ import annotations

import asyncio
import logging

import discord

from bot import metrics
from bot.config import Settings
from bot.errors import ConnectTimedOut, JoinFailed, NotInVoice, SpeakingElsewhere
from bot.tts.synthesizer import Synthesizer
from bot.voice.clip import Clip
from bot.voice.joining import VoiceChannel, join_problem
from bot.voice.request import SpeakRequest
from bot.voice.session import CONNECT_TIMEOUT_S, VoiceSession

log = logging.getLogger(__name__)


class SessionManager:
    def __init__(
        self,
        synth: Synthesizer,
        settings: Settings,
        *,
        voice_client_cls: type[discord.VoiceClient] = discord.VoiceClient,
    ) -> None:
        self.synth = synth
        self._settings = settings
        # Tests and the benchmark pass a stand-in that records packets instead of sending them.
        self.voice_client_cls = voice_client_cls
        self.sessions: dict[int, VoiceSession] = {}
        # One join at a time per server: two at once would each connect, and the second would
        # take the first's fresh voice client for a leftover and disconnect it.
        self._joining: dict[int, asyncio.Lock] = {}
        self._background: set[asyncio.Task[None]] = set()
        metrics.watch(self)

    def get(self, guild_id: int) -> VoiceSession | None:
        session = self.sessions.get(guild_id)
        return session if session is not None and not session.closed else None

    async def _forget(self, session: VoiceSession) -> None:
        if self.sessions.get(session.guild_id) is session:
            del self.sessions[session.guild_id]

    def _busy(self, session: VoiceSession) -> bool:
        # A reconnecting session stays where it is: its connection is being re-established there.
        return session.current is not None or bool(session.queue) or session.reconnecting

    def joinable(self, member: discord.Member) -> VoiceChannel:
        """The member's voice channel if the bot can join it; a refusal naming what's missing
        otherwise (no I/O: checked before anything is spent)."""
        if member.voice is None or member.voice.channel is None:
            raise NotInVoice()
        channel: VoiceChannel = member.voice.channel
        problem = join_problem(channel, member)
        if problem is not None:
            raise problem
        return channel

    def head_start(self, request: SpeakRequest, guild_id: int) -> Clip:
        """Start fetching `request`'s audio now, before it has a session (a cold /speak: Fish
        works while the voice connection is made). Hand the clip to `VoiceSession.enqueue`, or
        cancel it."""
        clip = Clip(request, self.synth, guild_id=guild_id)
        clip.start()
        return clip

    async def join(
        self, member: discord.Member, *, move_if_idle: bool = True, warm: bool = True
    ) -> VoiceSession:
        """The guild's session in the member's channel, connecting or moving as needed.
        `warm=False`: a Fish request is already on its way (no need to pre-connect)."""
        async with self._joining.setdefault(member.guild.id, asyncio.Lock()):
            return await self._join(member, move_if_idle=move_if_idle, warm=warm)

    async def _join(self, member: discord.Member, *, move_if_idle: bool, warm: bool) -> VoiceSession:
        channel = self.joinable(member)
        guild = member.guild
        session = self.get(guild.id)
        voice = guild.voice_client
        if session is not None and not session.reconnecting and voice is not session.voice:
            # discord.py let go of the session's connection (a forced disconnect we missed).
            # (Not while reconnecting: the session may be swapping in a fresh voice client.)
            log.info("repairing a stale voice session in guild %s", guild.id)
            await session.close()
            session = None
        elif session is not None and not session.voice.is_connected():
            # Dropped, and discord.py is reconnecting (or will let go): the session waits for
            # that, and what is queued now plays once the connection is back.
            session.connection_lost()
        if session is None and isinstance(voice, discord.VoiceClient):
            # A voice client without a session: left over from a crash or a desync.
            await voice.disconnect(force=True)
        if session is not None:
            if session.channel == channel:
                return session
            if self._busy(session) or not move_if_idle:
                raise SpeakingElsewhere(session.channel.mention)
            session.moving_to = channel.id
            await session.voice.move_to(channel)
            session.humans_changed()
            return session
        # While the voice handshake runs, open the connection to Fish the first clip will use.
        if warm:
            self.warm_fish()
        try:
            voice = await self._connect(channel, CONNECT_TIMEOUT_S)
        except TimeoutError:
            raise ConnectTimedOut(channel.mention) from None
        except discord.ClientException as exc:
            raise JoinFailed(channel.mention, str(exc)) from None
        session = VoiceSession(voice, synth=self.synth, settings=self._settings, connect=self._connect,
                               on_closed=self._forget)
        self.sessions[guild.id] = session
        return session

    async def _connect(self, channel: VoiceChannel, timeout: float) -> discord.VoiceClient:
        """A new voice client in `channel` (joining a session, or replacing a stalled connection).
        Raises TimeoutError, discord.ClientException."""
        voice = await channel.connect(cls=self.voice_client_cls, self_deaf=True, timeout=timeout)
        if isinstance(channel, discord.StageChannel):
            await channel.guild.me.edit(suppress=False)  # become a speaker (join_problem checked rights)
        return voice

    def warm_fish(self) -> None:
        """Pre-connect to Fish in the background (start-up, a session starting)."""
        task = asyncio.create_task(self.synth.warm(), name="fish-warm")
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def on_voice_state_update(
        self, member: discord.Member, before: discord.VoiceState, after: discord.VoiceState
    ) -> None:
        session = self.get(member.guild.id)
        if session is None:
            return
        if member.id == member.guild.me.id:
            if after.channel is None:
                # A kick, or discord.py leaving and rejoining to reconnect (4006 and other closes
                # it handles): the session keeps its queue until discord.py says which.
                session.connection_lost()
                return
            moved = before.channel is not None and before.channel.id != after.channel.id
            if moved and session.moving_to != after.channel.id:
                log.info("moved out of the voice channel by someone else in guild %s", member.guild.id)
                await session.close()
                return
        session.humans_changed()

    async def on_channel_delete(self, channel: discord.abc.GuildChannel) -> None:
        session = self.get(channel.guild.id)
        if session is not None and session.channel.id == channel.id:
            await session.close()

    async def on_guild_remove(self, guild: discord.Guild) -> None:
        """The bot was removed from the server (or it was deleted)."""
        self._joining.pop(guild.id, None)
        session = self.get(guild.id)
        if session is not None:
            await session.close()

    async def close_all(self) -> None:
        # Together: each disconnect waits on Discord, and shutdown has a deadline.
        await asyncio.gather(*(session.close() for session in list(self.sessions.values())))
        for task in list(self._background):
            task.cancel()
