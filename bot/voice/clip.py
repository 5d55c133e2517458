"""One queued request being synthesised: a producer task streaming Fish Opus into a packet buffer
that discord.py's player thread reads."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable

import discord

from bot.audio.buffer import PacketBuffer
from bot.audio.pcm import pump_pcm
from bot.audio.pipeline import pump_opus, sniff
from bot.audio.source import StreamingOpusSource, StreamingPCMSource
from bot.errors import ClipStalled, FishUnavailable
from bot.fish import FishConnectError, FishError, FishNetworkError
from bot.tts.spec import SpeechSpec
from bot.tts.synthesizer import Speech, Synthesizer
from bot.usage.quotas import Outcome
from bot.voice.outcomes import InLine
from bot.voice.request import SpeakRequest

log = logging.getLogger(__name__)

# 60 s of 20 ms Opus packets (~200 KB at Fish's bitrates): a prefetched clip can download well
# ahead while another plays, so the upstream connection never idles long; beyond that,
# back-pressure. PCM frames are 3,840 bytes each, so the PCM path buffers 10 s.
BUFFER_PACKETS = 3000
BUFFER_PCM_FRAMES = 500
class Clip:
    """Lazily started: `start()` opens the TTS stream; `cancel()` closes it at once."""

    def __init__(self, request: SpeakRequest, synth: Synthesizer, *, guild_id: int | None = None) -> None:
        self.request = request
        self._max_frames = None if request.max_seconds is None else round(request.max_seconds * 50)
        self._synth = synth
        self._guild_id = guild_id
        self.buffer = PacketBuffer(max_packets=BUFFER_PACKETS)
        # Chosen once the first bytes show the container: Opus pass-through, or PCM via ffmpeg.
        self.source: discord.AudioSource | None = None
        self.ready = asyncio.Event()  # set when `source` is chosen, or the clip failed
        self.task: asyncio.Task[None] | None = None
        self.error: BaseException | None = None
        self.first_byte_at: float | None = None
        self.requested_at: float | None = None  # perf_counter when the TTS request went out
        self.play_at: float | None = None  # when the session started an idle player with it
        self._kept: list[bytes] | None = None  # the Ogg bytes of a cacheable clip, as they arrive
        self._complete = False  # Fish's stream ended normally (not cut by a skip)
        self.cached = False  # served from the TTS cache, without calling Fish
        self.played = False  # the session started playing it
        self.retried = False  # a stream that broke before any audio was asked for again
        # Fish was asked: it bills the text it accepts, played or not (and whether it had when the
        # request is cancelled can't be known, so from here the ledger counts it).
        self.billed = False

    @property
    def outcome(self) -> Outcome:
        """How the request ended, for its quota reservation."""
        if self.error is not None:
            return "partial" if self.played and self.buffer.packets_in > 0 else "failed"
        if not self.played:
            return "spent" if self.billed else "skipped"
        return "cached" if self.cached else "ok"

    @property
    def started(self) -> bool:
        return self.task is not None

    @property
    def downloaded(self) -> bool:
        """The upstream request is over (all audio buffered, or it failed)."""
        return self.task is not None and self.task.done()

    def on_downloaded(self, callback: Callable[[], None]) -> None:
        """Call `callback` once the download has ended by itself (all audio in, or failed); not
        when it was cut short (a skip, a closing session), which must not ask Fish for more."""
        if self.task is not None:
            self.task.add_done_callback(lambda task: None if task.cancelled() else callback())

    def start(self) -> None:
        if self.task is None:
            self.task = asyncio.create_task(self._produce(), name=f"tts-clip-{self.request.id}")

    async def _chunks(self, stream: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        async for chunk in stream:
            if self.first_byte_at is None:
                self.first_byte_at = time.perf_counter()
            if self._kept is not None:
                self._kept.append(chunk)
            yield chunk
        self._complete = True

    async def _pump(self, chunks: AsyncIterator[bytes]) -> None:
        """Choose the source from the container the first bytes show, then stream into the buffer."""
        audio = await sniff(chunks)
        if audio.opus:
            self.source = StreamingOpusSource(self.buffer, max_frames=self._max_frames)
            self.ready.set()
            await pump_opus(audio, self.buffer)
            return
        # Not Opus (Fish answered in another format, or given audio is WAV): decode it to PCM.
        if self.request.audio is None:
            log.warning("clip %s: Fish sent non-Opus audio; using the PCM path", self.request.id)
        self.buffer.max_packets = BUFFER_PCM_FRAMES
        self.buffer.low_water = BUFFER_PCM_FRAMES // 2
        self.source = StreamingPCMSource(self.buffer, max_frames=self._max_frames)
        self.ready.set()
        await pump_pcm(audio.chunks, self.buffer)

    async def _replay(self, audio: bytes) -> None:
        async def chunks() -> AsyncIterator[bytes]:
            yield audio

        try:
            await self._pump(chunks())
        except Exception as exc:
            self._failed(exc)

    async def _produce(self) -> None:
        # Read once: an edit may give the queued request a new spec, not this clip.
        spec = self.request.spec
        if self.request.audio is not None:
            await self._replay(self.request.audio)
            return
        synth = self._synth
        audio = synth.cached(spec)
        if audio is not None:
            self.cached = True
            await self._replay(audio)
            return
        if synth.cacheable(spec):
            self._kept = []
        while True:
            try:
                spec = await self._fetch(spec)
            except asyncio.CancelledError:
                self.buffer.close()
                self.ready.set()
                raise
            except Exception as exc:
                if not self.retried and self._may_retry(exc):
                    log.info("clip %s: Fish's stream broke before any audio (%s); asking again",
                             self.request.id, type(exc).__name__)
                    self.retried = True
                    continue
                self._failed(exc)
                return
            break
        if self._kept is not None and self._complete:
            synth.keep(spec, b"".join(self._kept))
        self._kept = None

    def _may_retry(self, exc: Exception) -> bool:
        """Once, when a stream Fish had opened broke before its first byte: nothing was played or
        buffered, so asking again can't repeat audio. Not for a connection that couldn't be made
        (the client already retried that) nor a time-out (the member has waited long enough)."""
        return (self.first_byte_at is None and isinstance(exc, FishNetworkError)
                and not isinstance(exc, FishConnectError))

    def _sent(self) -> None:
        self.requested_at = time.perf_counter()  # per attempt: TTFB of the one that answered
        self.billed = True  # an error answer instead makes the outcome "failed", given back

    async def _fetch(self, spec: SpeechSpec) -> SpeechSpec:
        """One request for the clip's audio; returns the spec Fish spoke (its voice replaced if the
        one asked for is gone)."""
        speech: Speech
        request = self.request
        async with self._synth.stream(spec, guild_id=self._guild_id, voice_gone=request.voice_gone,
                                      sent=self._sent,
                                      on_long_wait=self._in_line if request.tell_place else None) as speech:
            if speech.spec is not spec:  # a gone voice replaced: what the request now speaks with
                self.request.spec = speech.spec
            await self._pump(self._chunks(speech.chunks))
        return speech.spec

    async def _in_line(self, place: int) -> None:
        """Its request waits long for one of the account's Fish slots: reported to the requester."""
        notify = self.request.notify
        if notify is None:
            return
        try:
            await notify(InLine(place))
        except discord.HTTPException:
            log.info("could not tell the requester of clip %s its place in line", self.request.id)

    @property
    def broke_part_way(self) -> bool:
        """It failed after some of its audio had arrived (that part played, or will)."""
        return self.error is not None and self.buffer.packets_in > 0

    def _failed(self, exc: BaseException) -> None:
        self.error = exc
        self.buffer.fail(exc)
        self.ready.set()
        if isinstance(exc, FishError | ClipStalled | FishUnavailable):  # expected: the member is told
            log.info("clip %s failed: %s", self.request.id, type(exc).__name__)
        else:  # a bug or an unforeseen fault: keep the traceback for the operator
            log.error("clip %s failed unexpectedly", self.request.id, exc_info=exc)

    async def cancel(self) -> None:
        """Stop fetching now (closing the upstream connection) and release the buffer."""
        self.buffer.close()
        self.ready.set()
        if self.task is not None and not self.task.done():
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
