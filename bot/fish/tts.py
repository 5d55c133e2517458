"""HTTP text-to-speech: `POST /v1/tts` streamed chunk by chunk as the bytes arrive.

The SDK's `stream()` reads the whole body before returning (first chunk only when the last one
arrives); here the response is opened with `send(stream=True)` and read with `aiter_bytes`.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Generator
from types import AsyncGeneratorType, TracebackType
from typing import Any, Unpack

import httpx
import ormsgpack

from .admission import Slot, current_requester
from .errors import BlankAudioError, FishStreamError
from .http import HTTPCore, translate_transport_error
from .live import LiveSession, WebSocketOptions, stream_websocket
from .models import (
    DEFAULT_MODEL,
    FlushEvent,
    TextEvent,
    TTSOptions,
    build_tts_request,
    check_model,
    tts_payload,
)

log = logging.getLogger("bot.fish")

# A known Fish fault answers 200 with a blank clip of about 417 bytes (fish-audio-python#128).
# Real speech is far larger: even "ok" at Fish's lowest bitrate (24 kbps Opus) is about 1 KB, and
# any format spends well over 8 bytes per character of text. Below this, the clip is blank.
BLANK_FLOOR_BYTES = 600
BLANK_BYTES_PER_CHAR = 8


def min_plausible_bytes(text: str) -> int:
    """The fewest bytes a genuine clip of `text` can have (0: no check for blank text)."""
    return max(BLANK_FLOOR_BYTES, BLANK_BYTES_PER_CHAR * len(text)) if text.strip() else 0


Opened = tuple[httpx.Response, Slot]  # the response, and the account's slot it holds
OpenResponse = Callable[[Slot | None, float | None], Awaitable[Opened]]


class AudioStream:
    """Audio of one TTS request.

    `await` it to send the request (a non-2xx status raises its mapped FishAPIError here, with
    the error body read); then `async for chunk in stream`, `await stream.collect()`, and
    `await stream.aclose()` / `async with stream:`. Iterating an un-awaited stream opens it.
    Cancelling the iterating task or closing the stream drops the connection at once.

    The request holds one of the account's concurrency slots from its admission until the stream
    is closed. Opening waits in the admission gate's line first (`await stream.admit()` waits
    there without sending); `await stream.start(answer_timeout=s)` raises TimeoutError when Fish
    has not answered `s` seconds after an admission: time in line never counts as Fish's silence.
    """

    def __init__(self, open_response: OpenResponse, *, min_bytes: int = 0,
                 admit: Callable[[], Awaitable[Slot]] | None = None) -> None:
        self._open_response = open_response
        self._admit = admit
        self._slot: Slot | None = None
        self._response: httpx.Response | None = None
        self._chunks: AsyncIterator[bytes] | None = None
        self._closed = False
        self._min_bytes = min_bytes
        self.received = 0  # audio bytes handed out so far

    async def admit(self) -> AudioStream:
        """Wait for the account's slot (in the requester's turn) without sending the request."""
        if self._slot is None and self._response is None and not self._closed and self._admit:
            self._slot = await self._admit()
            if self._closed:  # closed from another task meanwhile
                self._slot.release()
        return self

    async def start(self, *, answer_timeout: float | None = None) -> AudioStream:
        if self._response is None and not self._closed:
            # send_admitted owns the slot until it returns (it releases it on any failure).
            slot, self._slot = self._slot, None
            response, slot = await self._open_response(slot, answer_timeout)
            if self._closed:  # closed from another task while it was opening
                slot.release()
                await response.aclose()
                return self
            self._response, self._slot = response, slot
            self._chunks = response.aiter_bytes()
        return self

    def __await__(self) -> Generator[Any, None, AudioStream]:
        return self.start().__await__()

    async def __aenter__(self) -> AudioStream:
        return await self.start()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    def __aiter__(self) -> AudioStream:
        return self

    async def __anext__(self) -> bytes:
        await self.start()
        while self._chunks is not None and not self._closed:
            try:
                chunk = await self._chunks.__anext__()
            except StopAsyncIteration:
                await self.aclose()
                if self.received < self._min_bytes:
                    # A complete answer this small is the blank-clip fault, not speech: an error,
                    # so it is never played as silence nor cached.
                    log.warning(
                        "Fish Audio sent a blank clip: %d bytes where at least %d were expected",
                        self.received, self._min_bytes,
                    )
                    raise BlankAudioError(self.received, self._min_bytes) from None
                raise
            except (httpx.HTTPError, httpx.StreamError) as exc:
                closed_by_us = self._closed
                await self.aclose()
                if closed_by_us:  # aclose() from another task interrupted this read
                    raise StopAsyncIteration from None
                if isinstance(exc, httpx.TimeoutException):
                    raise translate_transport_error(exc) from None
                # Fish had answered 200 and this body was under way: a break, not "unreachable".
                raise FishStreamError(f"Fish Audio's answer broke off ({type(exc).__name__})") from None
            except BaseException:  # cancellation: release the connection before unwinding
                await self.aclose()
                raise
            if chunk:
                self.received += len(chunk)
                return chunk
        raise StopAsyncIteration

    async def collect(self) -> bytes:
        """All remaining audio as one bytes object (closes the stream)."""
        async with self:
            return b"".join([chunk async for chunk in self])

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        chunks, self._chunks = self._chunks, None
        # httpx's iterator is an async generator; one still running belongs to the reading task.
        try:
            if isinstance(chunks, AsyncGeneratorType) and not chunks.ag_running:
                await chunks.aclose()
            if self._response is not None:
                await self._response.aclose()
        finally:
            if self._slot is not None:
                self._slot.release()

    @property
    def closed(self) -> bool:
        return self._closed


class TTS:
    """`client.tts`: HTTP streaming, one-shot conversion and live (WebSocket) sessions.

    Every method takes the same options (`TTSOptions`: reference_id, references, format, latency,
    speed, config, model), as keywords like the SDK's."""

    def __init__(self, core: HTTPCore) -> None:
        self._core = core

    def stream(self, *, text: str, **options: Unpack[TTSOptions]) -> AudioStream:
        body = ormsgpack.packb(tts_payload(build_tts_request(text, options)))
        headers = {"content-type": "application/msgpack", "model": _model(options)}
        requester = current_requester()  # whose turn: the context the stream was asked for in
        gate = self._core.gate

        async def admit() -> Slot:
            return await gate.acquire(owner=requester.owner, on_long_wait=requester.on_long_wait)

        async def open_response(slot: Slot | None, answer_timeout: float | None) -> Opened:
            # Retrying is safe here: an error status arrives before any audio was handed out.
            return await self._core.send_admitted(
                "POST", "/v1/tts", retry=True, requester=requester, slot=slot,
                answer_timeout=answer_timeout, stream=True, content=body, headers=headers,
            )

        return AudioStream(open_response, min_bytes=min_plausible_bytes(text), admit=admit)

    async def convert(self, *, text: str, **options: Unpack[TTSOptions]) -> bytes:
        return await self.stream(text=text, **options).collect()

    def live(
        self, *, ws_options: WebSocketOptions | None = None, **options: Unpack[TTSOptions]
    ) -> LiveSession:
        """A live session on one socket: `async with client.tts.live(...) as session:`."""
        request = build_tts_request("", options)
        return LiveSession(self._core, tts_payload(request), _model(options), ws_options)

    def stream_websocket(
        self,
        text_stream: AsyncIterable[str | TextEvent | FlushEvent],
        *,
        ws_options: WebSocketOptions | None = None,
        **options: Unpack[TTSOptions],
    ) -> AsyncIterator[bytes]:
        """Audio for text fed over WebSocket. Use with `async for`; `aclose()` it if you stop early."""
        return stream_websocket(self.live(ws_options=ws_options, **options), text_stream)


def _model(options: TTSOptions) -> str:
    """Always a model header, and always one the bot knows (Fish bills anything else as s2.1-pro)."""
    return check_model(options.get("model") or DEFAULT_MODEL)
