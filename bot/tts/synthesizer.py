"""`Synthesizer`: the only way the bot reaches Fish Audio for speech.

    async with synth.stream(spec, guild_id=..., voice_gone=hook) as speech:   # a voice clip
        async for chunk in speech.chunks: ...                                   # stall-guarded
    audio = await synth.convert(spec, guild_id=..., voice_gone=hook)           # a file

Both go through the breaker (refused at once while Fish is down; bot/tts/breaker.py) and replace a
voice Fish says is gone (`voice_gone`, bot/tts/gone.py) before any audio. The TTS cache of short
clips is the synthesizer's too (`cached`, `keep`). Every request to Fish opens in `_request`, which
names whose turn it takes in the account-wide admission gate (bot/fish/admission: the Fish client
holds a concurrency slot for every request; the line lets servers take turns, so one server's
narration backlog cannot starve another's /speak).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from bot.errors import ClipStalled, FishUnavailable
from bot.fish import FishClient, ReferenceNotFoundError
from bot.fish.admission import LongWait, requested_by
from bot.fish.tts import AudioStream
from bot.tts.breaker import FishBreaker
from bot.tts.cache import TTSCache
from bot.tts.spec import SpeechSpec

# Called with a voice id Fish says no longer exists; returns the voice to use instead (None: Fish's
# default). See bot/tts/gone.py.
VoiceGone = Callable[[str], Awaitable[str | None]]
# member → server → configured default → Fish's default: at most three saved voices can be gone.
MAX_VOICE_REPLACEMENTS = 3


async def stall_guard(chunks: AsyncIterator[bytes], seconds: float) -> AsyncIterator[bytes]:
    """Re-yield chunks, raising ClipStalled when the next one takes longer than `seconds`."""
    iterator = aiter(chunks)
    while True:
        try:
            async with asyncio.timeout(seconds):
                chunk = await anext(iterator)
        except StopAsyncIteration:
            return
        except TimeoutError:
            raise ClipStalled(f"no audio for {seconds:g} s") from None
        yield chunk


@dataclass
class Speech:
    """An open TTS stream: the spec it was asked with (its voice replaced if Fish had lost the
    one asked for) and its audio, chunk by chunk."""

    spec: SpeechSpec
    chunks: AsyncIterator[bytes]


class Synthesizer:
    def __init__(self, fish: FishClient, *, stall_timeout: float, cache: TTSCache | None = None,
                 breaker: FishBreaker | None = None) -> None:
        self._fish = fish
        self.stall_timeout = stall_timeout
        self.cache = cache
        self.breaker = breaker

    # --- the cache of short clips -------------------------------------------------------------

    def cached(self, spec: SpeechSpec) -> bytes | None:
        return self.cache.get(spec) if self.cache is not None else None

    def cacheable(self, spec: SpeechSpec) -> bool:
        return self.cache is not None and self.cache.cacheable(spec.text)

    def keep(self, spec: SpeechSpec, audio: bytes) -> bool:
        """Keep a complete clip for the next time `spec` is asked for."""
        return self.cache is not None and self.cache.put(spec, audio)

    # --- Fish ------------------------------------------------------------------------------

    def refuse_if_open(self) -> None:
        """Before queueing new speech: FishUnavailable while the breaker's cool-off runs."""
        if self.breaker is not None:
            self.breaker.refuse_if_open()

    async def warm(self) -> None:
        """Pre-connect to Fish (start-up, a voice session starting)."""
        await self._fish.warm()

    @contextlib.asynccontextmanager
    async def _request(self, spec: SpeechSpec, *, guild_id: int | None, user_id: int | None,
                       timeout: float | None, on_long_wait: LongWait | None) -> AsyncIterator[AudioStream]:
        """The one place a Fish TTS request is opened and held until its audio is read. It waits
        for one of the account's slots in `guild_id`'s turn (`user_id`'s, in DMs), calling
        `on_long_wait(place)` if that wait is long; `timeout` bounds Fish's answer once admitted
        (time in line does not count)."""
        # The stream takes the turn it was asked in.
        with requested_by(guild_id, user_id, on_long_wait=on_long_wait):
            stream = self._fish.tts.stream(text=spec.text, **spec.tts_options())
        try:
            await stream.start(answer_timeout=timeout)
        except TimeoutError:
            await stream.aclose()
            raise ClipStalled(f"Fish sent nothing for {timeout:g} s") from None
        async with stream:
            yield stream

    @contextlib.asynccontextmanager
    async def _guarded(self) -> AsyncIterator[None]:
        """One attempt under the breaker: refused while open, its outcome counted."""
        breaker = self.breaker
        if breaker is None:
            yield
            return
        probe = breaker.check()
        try:
            yield
        except asyncio.CancelledError:
            if probe:
                breaker.abandon()
            raise
        except Exception as exc:
            if not isinstance(exc, FishUnavailable):
                breaker.failure(exc)
            raise
        breaker.success()

    @contextlib.asynccontextmanager
    async def stream(self, spec: SpeechSpec, *, guild_id: int | None, user_id: int | None = None,
                     voice_gone: VoiceGone | None = None, sent: Callable[[], None] | None = None,
                     on_long_wait: LongWait | None = None) -> AsyncIterator[Speech]:
        """Stream `spec` from Fish. `sent()` is called as each request goes out (Fish bills from
        then on); `on_long_wait(place)` when one waits long in the account's line. The body
        reading `speech.chunks` is part of the attempt the breaker counts; the chunks stop with
        ClipStalled when Fish goes quiet for the stall timeout."""
        for replaced in range(MAX_VOICE_REPLACEMENTS + 1):
            answered = False
            try:
                async with self._guarded():
                    if sent is not None:
                        sent()
                    async with self._request(spec, guild_id=guild_id, user_id=user_id,
                                             timeout=self.stall_timeout,
                                             on_long_wait=on_long_wait) as audio:
                        answered = True
                        yield Speech(spec, stall_guard(audio, self.stall_timeout))
                return
            except ReferenceNotFoundError as exc:
                if answered:  # raised by the body: not Fish's answer to this request
                    raise
                spec = await self._replacement(spec, voice_gone, replaced, exc)

    async def convert(self, spec: SpeechSpec, *, guild_id: int | None, user_id: int | None = None,
                      voice_gone: VoiceGone | None = None, on_long_wait: LongWait | None = None) -> bytes:
        """The whole clip of `spec` in `spec.format` from Fish (not looked up in the cache: see
        `cached`), kept in the cache for next time. `on_long_wait` as in `stream`."""
        for replaced in range(MAX_VOICE_REPLACEMENTS + 1):
            try:
                async with self._guarded(), self._request(spec, guild_id=guild_id, user_id=user_id,
                                                          timeout=None, on_long_wait=on_long_wait) as stream:
                    audio = await stream.collect()
                self.keep(spec, audio)
                return audio
            except ReferenceNotFoundError as exc:
                spec = await self._replacement(spec, voice_gone, replaced, exc)
        raise AssertionError("unreachable")  # the last attempt returns or raises

    @staticmethod
    async def _replacement(spec: SpeechSpec, voice_gone: VoiceGone | None, replaced: int,
                           error: ReferenceNotFoundError) -> SpeechSpec:
        """Fish says `spec`'s voice is gone: the spec with the next voice, or `error` again."""
        if spec.voice_id is None or voice_gone is None or replaced >= MAX_VOICE_REPLACEMENTS:
            raise error
        return dataclasses.replace(spec, voice_id=await voice_gone(spec.voice_id))
