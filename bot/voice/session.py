"""One guild's voice session: the connection, a queue of requests and the player task.

Threading: discord.py's AudioPlayer runs `source.read()` and `after` in its own thread. That thread
touches the loop only through `loop.call_soon_threadsafe(...)` (in `after`, and when the chain source
moves on to the next clip); it only reads `_prefetched` and a clip's `source`, attributes the loop
sets atomically. Everything else here runs on the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable

import discord

from bot import clock, metrics
from bot.audio.chain import ChainSource
from bot.audio.source import StreamingOpusSource
from bot.config import Settings
from bot.errors import FishUnavailable, QueueFull
from bot.tts.synthesizer import Synthesizer
from bot.usage.quotas import Outcome
from bot.voice.clip import Clip
from bot.voice.joining import VoiceChannel
from bot.voice.outcomes import ClipFailed, SessionEnded, StaleSkipped
from bot.voice.request import OnOutcome, SpeakRequest

log = logging.getLogger(__name__)


RECONNECT_POLL_S = 0.05
# Bounds discord.py's whole voice handshake (its own retries included) for one connection.
CONNECT_TIMEOUT_S = 20.0
# A clip whose player keeps dying (not just one reconnect) is given up rather than retried forever.
MAX_PLAYER_RESTARTS = 5


# A new voice client in a channel, within a timeout (SessionManager's; raises TimeoutError).
Connect = Callable[[VoiceChannel, float], Awaitable[discord.VoiceClient]]


class VoiceSession:
    def __init__(
        self,
        voice: discord.VoiceClient,
        *,
        synth: Synthesizer,
        settings: Settings,
        connect: Connect,
        on_closed: Callable[[VoiceSession], Awaitable[None]] | None = None,
    ) -> None:
        self.voice = voice
        self.guild_id = voice.guild.id
        self._guild = voice.guild
        self._synth = synth
        self._settings = settings
        self._connect = connect
        self._on_closed = on_closed
        self._told_outage: int | None = None  # the breaker's outage this session's members heard of
        self.queue: deque[SpeakRequest] = deque()
        self.current: Clip | None = None
        self._prefetched: Clip | None = None
        # Head starts whose request was not next in line (another got in first), by request id:
        # kept fetching for when their turn comes, since Fish already bills them.
        self._early: dict[int, Clip] = {}
        self._wakeup = asyncio.Event()
        # The running player's one source, which carries on with the prefetched clip when the
        # current one ends (no end-of-track silence between queued messages), and its end.
        self._chain: ChainSource | None = None
        self._player_done = asyncio.Event()
        self._player_done.set()
        # The source the loop is waiting on, with the event set when it ends: one per clip, so a
        # late notice about a skipped clip can't end the next one.
        self._clip_end: tuple[discord.AudioSource, asyncio.Event] | None = None
        # Leaves after a delay once nobody is listening: held here and cancelled with the session
        # (`_leaving` once the wait is over and the task is the close itself).
        self._alone_task: asyncio.Task[None] | None = None
        self._leaving = False
        # While a dropped connection is re-established (by discord.py, or afresh if that stalls):
        # resolves True once it is back, False when it is gone for good (removed, or not back in time).
        self._reconnect: asyncio.Future[bool] | None = None
        # The channel the bot itself is moving to (a move to any other is a moderator's).
        self.moving_to: int | None = None
        self._closed = False
        self._end_reason: str | None = None
        self._background: set[asyncio.Task[None]] = set()
        self.clips_played = 0
        self._task = asyncio.create_task(self._run(), name=f"voice-session-{self.guild_id}")

    # --- queue operations (called by the cog) ---------------------------------------------

    @property
    def channel(self) -> VoiceChannel:
        channel = self.voice.channel  # typed by discord.py as any Connectable
        assert isinstance(channel, discord.VoiceChannel | discord.StageChannel)
        return channel

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def prefetched(self) -> Clip | None:
        """The clip being fetched ahead for the next request, if any."""
        return self._prefetched

    @property
    def streams(self) -> int:
        """Clips streaming from Fish or playing now (the current one and the prefetched one)."""
        return (self.current is not None) + (self._prefetched is not None)

    @property
    def reconnecting(self) -> bool:
        return self._reconnect is not None and not self._reconnect.done()

    def enqueue(self, *requests: SpeakRequest, started: Clip | None = None) -> int:
        """Queue requests back to back (nothing else between them); returns how many requests
        are ahead of the first (0 = it plays now). Raises QueueFull unless all of them fit.

        `started`: the first request's clip, already fetching (a cold /speak starts Fish while the
        voice connection is made); it plays as that request's clip, when its turn comes if
        someone else's request got in first (a rare race)."""
        limit = self._settings.speak.queue_limit
        if len(self.queue) + len(requests) > limit:
            raise QueueFull(limit)
        ahead = len(self.queue) + (self.current is not None)
        self.queue.extend(requests)
        if started is not None:
            if self.queue[0] is requests[0] and self._prefetched is None:
                self._prefetched = started
            else:
                self._early[requests[0].id] = started
        self._wakeup.set()
        if self.current is not None and self.current.downloaded:
            self._prefetch_next()
        return ahead

    async def skip(self) -> SpeakRequest | None:
        """Stop the current clip (and its upstream stream) and move on."""
        clip = self.current
        if clip is None:
            return None
        # Its buffer closes, so the player moves on to the next clip, or ends if none is ready.
        await clip.cancel()
        if self._clip_end is not None:
            self._clip_end[1].set()
        return clip.request

    async def stop(self) -> int:
        """Clear the queue and stop the current clip; returns how many requests were dropped."""
        waiting = list(self.queue)
        dropped = len(waiting)
        self.queue.clear()
        await self._finish_dropped(waiting)
        if await self.skip() is not None:
            dropped += 1
        return dropped

    async def remove(self, message_id: int) -> bool:
        """Drop a waiting request by the message it reads (narration deletes)."""
        request = self.waiting(message_id)
        if request is None:
            return False
        # Out of the queue before any await, so the player can't start it meanwhile.
        self.queue.remove(request)
        clip = await self._drop_clip(request)
        if self.current is not None and self.current.downloaded:
            self._prefetch_next()  # the next one in line, so the chain doesn't run dry
        await request.finish(_dropped_outcome(clip))
        return True

    def waiting(self, message_id: int) -> SpeakRequest | None:
        """The queued (not yet playing) request reading this message, if any."""
        return next((r for r in self.queue if r.message_id == message_id), None)

    async def replace_text(self, message_id: int, text: str, *, on_outcome: OnOutcome) -> bool:
        """An edited message is read as edited if it hasn't started playing (a clip prefetched with
        the old text is fetched again). `on_outcome` replaces the request's (the edit's quota);
        the first version's is told how it ended: "spent" if Fish had already been asked for
        it, else "skipped"."""
        request = self.waiting(message_id)
        if request is None:
            return False
        # Changed before any await, so the player can't take the request half-edited.
        request.spec = request.spec.with_text(text)
        previous, request.on_outcome = request.on_outcome, on_outcome
        clip = await self._drop_clip(request)
        if self.current is not None and self.current.downloaded:
            self._prefetch_next()
        if previous is not None:
            await previous(_dropped_outcome(clip))
        return True

    # --- the player task --------------------------------------------------------------------

    async def _next_request(self) -> SpeakRequest | None:
        idle = self._settings.speak.idle_timeout_s
        try:
            async with asyncio.timeout(idle):
                while True:
                    while not self.queue:
                        self._wakeup.clear()
                        await self._wakeup.wait()
                    await self._skip_stale()
                    if self.queue:
                        break
        except TimeoutError:
            return None
        return self.queue.popleft()

    async def _skip_stale(self) -> None:
        """Take out the narrated messages that waited too long to be read (all at once, before the
        next clip), and tell the requester of the latest how many went unread. The one fetched
        ahead stays: the player may already be reading it."""
        now = clock.utc_now()
        ahead = self._prefetched.request if self._prefetched is not None else None
        stale = [r for r in self.queue if r is not ahead and r.stale(now)]
        if not stale:
            return
        for request in stale:
            self.queue.remove(request)
        await self._finish_dropped(stale)
        await self._tell_stale(stale)

    async def _tell_stale(self, stale: list[SpeakRequest]) -> None:
        metrics.NARRATION_STALE.inc(len(stale))
        log.info("guild %s: skipped %d narrated messages that waited too long", self.guild_id, len(stale))
        latest = stale[-1]
        if latest.notify is not None and latest.max_wait_s is not None:
            try:
                await latest.notify(StaleSkipped(len(stale), latest.max_wait_s))
            except discord.HTTPException:
                log.info("could not tell a requester that stale messages were skipped")

    def _new_clip(self, request: SpeakRequest) -> Clip:
        return Clip(request, self._synth, guild_id=self.guild_id)

    def _prefetch_next(self) -> None:
        """Start fetching the head of the queue while the current clip plays (one ahead).

        Called once the current clip's download has finished: Fish generates faster than real
        time, so the next clip is ready before this one ends, and a guild never holds more than
        one of the account's concurrent-request slots."""
        if self._prefetched is None and self.queue and not self._closed:
            head = self.queue[0]
            if head.stale(clock.utc_now()):
                return  # skipped when its turn comes, not paid for now
            self._prefetched = self._early.pop(head.id, None) or self._new_clip(head)
            self._prefetched.start()

    async def _drop_clip(self, request: SpeakRequest) -> Clip | None:
        """Stop fetching ahead for a request leaving the queue unplayed (or edited); returns the
        clip, whose outcome says whether Fish had already billed it."""
        clip = self._early.pop(request.id, None)
        if self._prefetched is not None and self._prefetched.request is request:
            clip, self._prefetched = self._prefetched, None
        if clip is not None:
            await clip.cancel()
        return clip

    async def _finish_dropped(self, requests: Iterable[SpeakRequest]) -> None:
        """Requests taken out of the queue unplayed (stop, teardown): each told its outcome."""
        for request in requests:
            clip = await self._drop_clip(request)
            await request.finish(_dropped_outcome(clip))

    async def _take_clip(self, request: SpeakRequest) -> Clip:
        ahead, self._prefetched = self._prefetched, None
        if ahead is not None and ahead.request is request:
            return ahead
        if ahead is not None:  # fetched for another request (still queued): kept for its turn
            self._early[ahead.request.id] = ahead
        clip = self._early.pop(request.id, None) or self._new_clip(request)
        clip.start()
        return clip

    def _after_callback(self, done: asyncio.Event) -> Callable[[Exception | None], None]:
        loop = asyncio.get_running_loop()

        def after(error: Exception | None) -> None:
            # Runs in the player thread: hand the result to the loop and touch nothing else.
            if error is not None:
                log.warning("voice player stopped with %s", type(error).__name__)
            with contextlib.suppress(RuntimeError):  # the loop is closed at shutdown
                loop.call_soon_threadsafe(done.set)

        return after

    def _next_source(self) -> discord.AudioSource | None:
        """Player thread: the prefetched clip's source, once its first bytes chose one."""
        clip = self._prefetched
        return clip.source if clip is not None else None

    def _switch_callback(self) -> Callable[[discord.AudioSource, discord.AudioSource], None]:
        loop = asyncio.get_running_loop()

        def switched(finished: discord.AudioSource, _started: discord.AudioSource) -> None:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._source_ended, finished)

        return switched

    def _source_ended(self, source: discord.AudioSource) -> None:
        if self._clip_end is not None and self._clip_end[0] is source:
            self._clip_end[1].set()

    async def _play(self, clip: Clip) -> None:
        clip.on_downloaded(self._prefetch_next)
        # Nothing can play before the first bytes anyway; they also tell Opus from other audio.
        await clip.ready.wait()
        source = clip.source
        if source is None:  # failed (reported by the caller) or skipped before any audio
            return
        playing = (self._chain is not None and self._chain.current is source
                   and not self._player_done.is_set())
        if not playing and clip.request.stale(clock.utc_now()):
            # Its audio came after its time (it waited in the account's line): not read late.
            await clip.cancel()
            await self._tell_stale([clip.request])
            return
        ended = asyncio.Event()
        self._clip_end = (source, ended)
        for _attempt in range(MAX_PLAYER_RESTARTS):
            await self._until_connected()
            if _finished(source, clip):
                return
            chained = (self._chain is not None and self._chain.current is source
                       and not self._player_done.is_set())
            if not chained:  # the player had ended, moved on before this clip was ready, or died
                clip.play_at = clip.play_at or time.perf_counter()
                if self._chain is not None:
                    # Its last cleanup (its player's end, or discord.py's AudioSource.__del__) must
                    # not close a source the new player reads on from (a clip resumed after a drop).
                    self._chain.hold = True
                if self.voice.is_playing():
                    self.voice.stop()
                self._player_done = asyncio.Event()
                self._chain = ChainSource(source, self._next_source, self._switch_callback())
                self._chain.hold = self.reconnecting
                self.voice.play(self._chain, after=self._after_callback(self._player_done),
                                application="voip", signal_type="voice")
            clip.played = True
            player_done = self._player_done
            waiters = {asyncio.ensure_future(ended.wait()), asyncio.ensure_future(player_done.wait())}
            try:
                await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiter in waiters:
                    waiter.cancel()
            if ended.is_set() or _finished(source, clip):
                return
            # The player stopped in the middle of this clip: discord.py's player gives up when the
            # voice connection stays down, and the audio is still buffered. Resume it once the
            # connection is back (a new player reads on from where the old one stopped).
            log.info("voice player in guild %s stopped mid-clip; resuming after reconnect",
                     self.guild_id)
            self.connection_lost()

    async def _until_connected(self) -> None:
        """Return once the voice connection is up; raise ConnectionError if it is gone for good."""
        if self.voice.is_connected() and not self.reconnecting:
            return
        self.connection_lost()
        assert self._reconnect is not None
        if not await asyncio.shield(self._reconnect):
            raise ConnectionError("voice connection lost")

    # --- reconnects ---------------------------------------------------------------------------

    def connection_lost(self) -> None:
        """The voice connection dropped (the bot left its channel without asking to, or the
        player found it down). discord.py reconnects by itself after 4006, 4015, 4009, server
        moves...; the session keeps its queue and waits for that, unless discord.py lets go of the
        voice client (a kick, the channel deleted, the bot removed: a real removal). If discord.py's
        reconnect stalls, the session connects afresh."""
        if self._closed or self.reconnecting:
            return
        self._reconnect = asyncio.get_running_loop().create_future()
        if self._chain is not None:
            self._chain.hold = True
        task = asyncio.create_task(self._await_reconnect(self._reconnect),
                                   name=f"voice-reconnect-{self.guild_id}")
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _await_reconnect(self, result: asyncio.Future[bool]) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._settings.speak.reconnect_timeout_s
        stalled_at = loop.time() + self._settings.speak.reconnect_stall_s
        log.info("voice connection in guild %s dropped; waiting for discord.py to reconnect",
                 self.guild_id)
        reason = "reconnect failed"
        # discord.py exposes no event for "reconnected" (its own player polls too): check often.
        while loop.time() < deadline and not self._closed:
            if self._guild.voice_client is not self.voice:
                reason = "removed"  # discord.py disconnected for good and let go of the client
                break
            if self.voice.is_connected():
                log.info("voice connection in guild %s is back", self.guild_id)
                self._reconnected(result)
                return
            if loop.time() >= stalled_at:
                if await self._connect_afresh(deadline):
                    self._reconnected(result)
                    return
                break
            await asyncio.sleep(RECONNECT_POLL_S)
        if not result.done():
            result.set_result(False)
        if self._closed:
            return
        await self._tell_lost(reason)
        self._end_reason = reason
        await self.close()

    def _reconnected(self, result: asyncio.Future[bool]) -> None:
        if self._chain is not None:
            self._chain.hold = False
        result.set_result(True)

    async def _connect_afresh(self, deadline: float) -> bool:
        """discord.py's reconnect did not come back in time (it can stall for good, e.g. waiting
        for an IP discovery reply its socket reader never reads): let go of its voice client and
        connect a new one to the same channel, trying again until `deadline`. The queue and the
        clip's buffer stay; the player task resumes on the new client. True once connected."""
        channel = self.channel
        log.info("voice reconnect in guild %s stalled; connecting afresh", self.guild_id)
        _stop_reconnecting(self.voice)
        await self.voice.disconnect(force=True)
        loop = asyncio.get_running_loop()
        while not self._closed and (left := deadline - loop.time()) > 0:
            try:
                voice = await self._connect(channel, min(left, CONNECT_TIMEOUT_S))
            except TimeoutError:
                log.info("a fresh voice connection in guild %s timed out", self.guild_id)
                continue
            except Exception:
                log.warning("a fresh voice connection in guild %s failed", self.guild_id, exc_info=True)
                return False
            if self._closed:  # ended meanwhile (shutdown, the channel deleted): don't stay behind
                await voice.disconnect(force=True)
                return False
            self.voice = voice
            log.info("voice connection in guild %s is back (a fresh one)", self.guild_id)
            return True
        return False

    async def _tell_lost(self, reason: str) -> None:
        """One notice, to the requester of what was playing (else the next in line)."""
        request = (self.current.request if self.current is not None
                   else self.queue[0] if self.queue else None)
        if request is None or request.notify is None:
            return
        assert reason in ("removed", "reconnect failed")
        ended = SessionEnded("removed" if reason == "removed" else "reconnect failed",
                             getattr(self.voice.channel, "mention", None))
        try:
            await request.notify(ended)
        except discord.HTTPException:
            log.info("could not tell a requester that the voice session in guild %s ended", self.guild_id)

    async def _report(self, clip: Clip) -> None:
        error = clip.error
        if error is None or clip.request.notify is None:
            return
        if isinstance(error, FishUnavailable):
            # Refused while the breaker is open: said once per outage in this session, not per clip.
            if self._told_outage == error.outage:
                return
            self._told_outage = error.outage
        try:
            await clip.request.notify(ClipFailed(error, part_way=clip.broke_part_way))
        except discord.HTTPException:
            log.info("could not tell the requester why clip %s failed", clip.request.id)

    async def _run(self) -> None:
        reason = "idle"
        try:
            while True:
                request = await self._next_request()
                if request is None:
                    break
                clip = await self._take_clip(request)
                self.current = clip
                try:
                    await self._play(clip)
                finally:
                    self.current = None
                    self._clip_end = None
                    await clip.cancel()
                    await request.finish(clip.outcome)
                    _observe(clip)
                await self._report(clip)
                self.clips_played += 1
        except ConnectionError:
            reason = "disconnected"
        except asyncio.CancelledError:
            reason = self._end_reason or "closed"
            raise
        finally:
            await self._teardown(reason)

    # --- lifecycle ----------------------------------------------------------------------------

    def humans_changed(self) -> None:
        """Leave after a delay once no humans remain in the channel; cancel that if one returns."""
        members = getattr(self.voice.channel, "members", [])
        humans = [m for m in members if not m.bot]
        if humans:
            self._cancel_alone_task()
        elif self._alone_task is None and not self._closed:
            self._alone_task = asyncio.create_task(
                self._leave_when_alone(self._settings.speak.alone_leave_delay_s),
                name=f"voice-session-{self.guild_id}-alone",
            )

    async def _leave_when_alone(self, delay: float) -> None:
        await asyncio.sleep(delay)
        self._leaving = True
        await self.close()

    def _cancel_alone_task(self) -> None:
        task = self._alone_task
        if task is not None and not self._leaving:
            self._alone_task = None
            task.cancel()

    async def close(self) -> None:
        """Leave the channel and end the player task (idempotent)."""
        if not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        # Also when the task was cancelled before it ever ran (its `finally` never did).
        await self._teardown("closed")

    async def _teardown(self, reason: str) -> None:
        if self._closed:
            return
        self._closed = True
        self._cancel_alone_task()
        if self._reconnect is not None and not self._reconnect.done():
            self._reconnect.set_result(False)
        waiting = list(self.queue)
        self.queue.clear()
        await self._finish_dropped(waiting)
        for clip in list(self._early.values()):  # none unless their requests went uncounted
            await clip.cancel()
        self._early.clear()
        if self.current is not None:
            await self.current.cancel()
        # Separately: a player that fails to stop must not keep the bot in the channel.
        try:
            self.voice.stop()
        except Exception:
            log.warning("stopping the player in guild %s failed", self.guild_id, exc_info=True)
        try:
            # Also while discord.py is still trying to reconnect, or after it let go of the client.
            _stop_reconnecting(self.voice)
            if self._guild.voice_client is self.voice:
                await self.voice.disconnect(force=True)
        except Exception:
            log.warning("leaving the voice channel in guild %s failed", self.guild_id, exc_info=True)
        log.info("voice session in guild %s ended (%s)", self.guild_id, reason)
        if self._on_closed is not None:
            await self._on_closed(self)


def _stop_reconnecting(voice: discord.VoiceClient) -> None:
    """Cancel discord.py's own reconnect of `voice`, before letting go of the client.

    The one place fishbot touches discord.py's private voice state, as no public API does this:
    discord.py 2.7.1's `VoiceClient.disconnect` leaves the connection's reconnect task running.
    Stuck in IP discovery, that task gives up at its connect timeout, finds its websocket closed and
    "disconnects" once more: it tells the gateway to leave the channel and unregisters the guild's
    voice client, by then a fresh one (this session's, or the next session's)."""
    state = voice._connection
    for task in (state._runner, state._connector):
        if task is not None and task is not asyncio.current_task():
            task.cancel()


def _observe(clip: Clip) -> None:
    """A clip ended: its figures into the metrics (on the loop, once per clip)."""
    metrics.CLIPS.labels(outcome=clip.outcome).inc()
    source = clip.source
    if isinstance(source, StreamingOpusSource):
        metrics.FRAMES.inc(source.frames)
        metrics.LATE_FRAMES.inc(source.late_frames)
    if clip.requested_at is not None and clip.first_byte_at is not None:
        metrics.FISH_TTFB.observe(clip.first_byte_at - clip.requested_at)
    first_packet = getattr(source, "first_packet_at", None)
    if clip.play_at is not None and clip.first_byte_at is not None and first_packet is not None:
        metrics.OVERHEAD.observe(max(first_packet - max(clip.first_byte_at, clip.play_at), 0.0))


def _finished(source: discord.AudioSource, clip: Clip) -> bool:
    """Nothing more of this clip will play: its track ended, or it was skipped or cancelled."""
    return bool(getattr(source, "ended", False)) or clip.buffer.closed


def _dropped_outcome(clip: Clip | None) -> Outcome:
    """How a request dropped before it played ended: as its clip fetched ahead says ("spent" once
    Fish had been asked, since Fish bills it), else "skipped" (never asked: the quota goes back)."""
    return clip.outcome if clip is not None else "skipped"
