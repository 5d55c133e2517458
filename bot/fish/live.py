"""Live TTS over WebSocket (`/v1/tts/live`), without the SDK's hangs and exception groups.

httpx-ws runs each socket inside an anyio task group, which (a) wraps any exception leaving
the `async with` in an ExceptionGroup and (b) must be exited by the task that entered it.
So every socket lives in one private worker task that never lets an exception escape the
group; callers talk to it through queues, see plain exceptions, and may close or cancel from
any task.

Protocol notes (what a consumer can rely on):
- client frames: `start{request}`, then any number of `text{text}` / `flush`, then `stop`;
- server frames: `audio{audio}` ... then `finish{reason: stop|error}`; the in-band
  `error{error, ...}` event (e.g. "Concurrency limit exceeded", §0) ends the session with the
  mapped error (a concurrency limit is a RateLimitError, like HTTP 429); other events are ignored.
- The server may keep the socket open after `finish` (§0), so the client closes it itself as
  soon as the session has ended, whatever the server does.
- A socket holds one of the account's concurrency slots (admission gate) from before the upgrade
  until it closes. A refusal for concurrency (429 on the upgrade, or the in-band error) before
  any audio came puts the session back in line, at the front: it reconnects when admitted and
  sends `start` and everything sent so far again. After audio has come it ends the session.
- The server marks neither where one flush's audio ends nor which text it belongs to: audio is
  one continuous stream until `finish`. `LiveSession.audio(idle_timeout=...)` therefore offers
  only a heuristic per-utterance read (stop after a silence gap, session stays open); exact
  boundaries need one session per utterance (send text, `stop()`, read `audio()` to the end).
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import logging
import secrets
from collections.abc import AsyncIterable, AsyncIterator
from types import TracebackType
from typing import Any

import httpx
import ormsgpack
from httpx_ws import (
    AsyncWebSocketSession,
    HTTPXWSException,
    WebSocketDisconnect,
    WebSocketInvalidTypeReceived,
    WebSocketNetworkError,
)

from .admission import MAX_REFUSALS, Slot, current_requester
from .errors import FishError, FishTimeoutError, RateLimitError, WebSocketError, error_from_live_event
from .http import HTTPCore, translate_transport_error
from .models import FlushEvent, TextEvent

log = logging.getLogger(__name__)

LIVE_PATH = "/v1/tts/live"
_END = object()  # terminal queue item: the server finished normally
_STOP = object()  # outgoing queue item: send `stop`


@dataclasses.dataclass(frozen=True, kw_only=True)
class WebSocketOptions:
    """httpx-ws knobs (None keeps its default: 20 s ping interval/timeout, 64 KiB reads, 512 queue)."""

    keepalive_ping_timeout_seconds: float | None = None
    keepalive_ping_interval_seconds: float | None = None
    max_message_size_bytes: int | None = None
    queue_size: int | None = None

    def to_kwargs(self) -> dict[str, Any]:
        return {k: v for k, v in dataclasses.asdict(self).items() if v is not None}


class LiveSession:
    """One live TTS socket: `send_text()` / `flush()` / `stop()` in, `audio()` out.

    `async with client.tts.live(...) as session` connects (a rejected upgrade raises its mapped
    FishAPIError, e.g. AuthenticationError / InsufficientCreditError) and sends `start`; leaving
    the block closes the socket at once, whether or not the audio was read.
    """

    def __init__(
        self, core: HTTPCore, request: dict[str, Any], model: str, ws_options: WebSocketOptions | None
    ) -> None:
        self._core = core
        self._request = request
        self._model = model
        self._ws_kwargs = ws_options.to_kwargs() if ws_options else {}
        self._outgoing: asyncio.Queue[Any] = asyncio.Queue()
        self._incoming: asyncio.Queue[Any] = asyncio.Queue()
        self._closing = asyncio.Event()
        self._terminal: Any = None  # _END or the exception that ended the session
        self._ready: asyncio.Future[None] | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopped = False
        self._requester = current_requester()
        self._slot: Slot | None = None
        # Events sent on this socket before its first audio: sent again on the next socket if
        # Fish refuses this one for concurrency (None once audio came: no going back then).
        self._sent: list[Any] | None = []
        self._refusal: RateLimitError | None = None

    # --- caller side ----------------------------------------------------------------------

    async def __aenter__(self) -> LiveSession:
        await self.connect()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def connect(self) -> None:
        if self._task is not None:
            return
        self._ready = asyncio.get_running_loop().create_future()
        self._task = asyncio.create_task(self._run(), name="fish-live-tts")
        try:
            await self._ready
        except BaseException:
            await self.aclose()
            raise

    def send_text(self, text: str) -> None:
        """Queue text; the server buffers it until `chunk_length` or a flush."""
        self._check_sendable()
        self._outgoing.put_nowait({"event": "text", "text": text})

    def flush(self) -> None:
        """Ask the server to synthesize everything buffered so far."""
        self._check_sendable()
        self._outgoing.put_nowait({"event": "flush"})

    def stop(self) -> None:
        """End the input: the server synthesizes what is left, then sends `finish`."""
        if not self._stopped and self._terminal is None:
            self._stopped = True
            self._outgoing.put_nowait(_STOP)

    def audio(self, *, idle_timeout: float | None = None) -> AsyncIterator[bytes]:
        """Audio chunks as they arrive, until `finish` (or `idle_timeout` s without audio).

        A `finish reason=error`, an unexpected close or a network failure raises WebSocketError;
        silence for the client's `timeout` after `stop()` raises FishTimeoutError.
        """
        return _AudioReader(self, idle_timeout)

    async def aclose(self) -> None:
        """Close the socket now (no `stop`, no waiting for pending audio)."""
        self._closing.set()
        if self._task is not None:
            await asyncio.wait({self._task})

    @property
    def finished(self) -> bool:
        return self._terminal is not None

    def abort(self, error: BaseException) -> None:
        """End the session with `error` (re-raised by `audio()`) and close the socket."""
        self._end(error)
        self._closing.set()

    def _check_sendable(self) -> None:
        if self._task is None:
            raise WebSocketError("the live session is not connected")
        if isinstance(self._terminal, BaseException):
            raise self._terminal
        if self._terminal is not None or self._stopped or self._closing.is_set():
            raise WebSocketError("the live session has ended")

    async def _next_audio(self, idle_timeout: float | None) -> bytes | None:
        try:
            async with asyncio.timeout(idle_timeout):
                item = await self._incoming.get()
        except TimeoutError:
            return None
        if item is _END:
            self._incoming.put_nowait(item)  # every later read sees the same end
            return None
        if isinstance(item, BaseException):
            self._incoming.put_nowait(item)
            raise item
        return item

    def _end(self, item: Any) -> None:
        if self._terminal is None:
            self._terminal = item
            self._incoming.put_nowait(item)
        if self._ready is not None and not self._ready.done():
            if isinstance(item, BaseException):
                self._ready.set_exception(item)
            else:
                self._ready.set_exception(WebSocketError("the live session closed while connecting"))

    # --- worker task ----------------------------------------------------------------------

    async def _run(self) -> None:
        try:
            await self._admitted_sockets()
        except FishError as exc:
            self._end(exc)
        except (httpx.HTTPError, httpx.StreamError, HTTPXWSException, OSError) as exc:
            self._end(translate_transport_error(exc))
        except asyncio.CancelledError:
            self._end(WebSocketError("the live session was cancelled"))
            raise
        except Exception as exc:  # a bug must not leave consumers waiting forever
            log.exception("live TTS worker failed")
            self._end(WebSocketError(f"live TTS failed ({type(exc).__name__})"))
        finally:
            if self._slot is not None:
                self._slot.release()
            # Closed on request: readers just see the end; otherwise the socket went away.
            self._end(_END if self._closing.is_set() else WebSocketError("the live session was closed"))

    async def _admitted_sockets(self) -> None:
        """One socket per admission, again after each refusal for concurrency (see the top)."""
        refusals = 0
        while not self._closing.is_set():
            self._slot = await self._wait_for_slot(front=refusals > 0)
            if self._slot is None:
                return  # closed while waiting in line
            try:
                await self._connect_and_pump()
                refusal, self._refusal = self._refusal, None
            except RateLimitError as exc:  # the upgrade itself was refused
                refusal = exc
            if refusal is None:
                self._slot.accepted()
                return
            slot, self._slot = self._slot, None
            refusals += 1
            if self._sent is None or refusals > MAX_REFUSALS:
                slot.release()
                raise refusal
            await slot.refused(refusal.retry_after)
            self._replay()

    async def _wait_for_slot(self, *, front: bool) -> Slot | None:
        requester = self._requester
        admitted = asyncio.ensure_future(self._core.gate.acquire(
            owner=requester.owner, front=front, on_long_wait=requester.on_long_wait))
        closing = asyncio.ensure_future(self._closing.wait())
        try:
            await asyncio.wait({admitted, closing}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            closing.cancel()
            if not admitted.done():
                admitted.cancel()  # the gate releases a slot handed over meanwhile
            await asyncio.wait({admitted, closing})
        if admitted.cancelled():
            return None
        return admitted.result()

    def _replay(self) -> None:
        """Queue what the refused socket was sent, ahead of what was still to send."""
        pending = [self._outgoing.get_nowait() for _ in range(self._outgoing.qsize())]
        for item in [*(self._sent or []), *pending]:
            self._outgoing.put_nowait(item)
        self._sent = []

    async def _connect_and_pump(self) -> None:
        core = self._core
        headers = core.headers({
            "model": self._model,
            "connection": "upgrade",
            "upgrade": "websocket",
            "sec-websocket-key": base64.b64encode(secrets.token_bytes(16)).decode(),
            "sec-websocket-version": "13",
        })
        # The upgrade is done by hand (as httpx_ws.aconnect_ws does) so that a rejected upgrade's
        # body can be read for the error message before the response is closed.
        async with core.client.stream("GET", core.url(LIVE_PATH), headers=headers,
                                      timeout=core.timeout) as response:
            if response.status_code != 101:
                raise await core.error_for(response)
            session = AsyncWebSocketSession(
                response.extensions["network_stream"], response=response, **self._ws_kwargs
            )
            async with session as ws:
                # Nothing below may raise: an exception leaving this block becomes an ExceptionGroup.
                try:
                    await ws.send_bytes(ormsgpack.packb({"event": "start", "request": self._request}))
                except Exception as exc:
                    self._end(WebSocketError(f"could not start the live session ({type(exc).__name__})"))
                    return
                assert self._ready is not None
                if not self._ready.done():
                    self._ready.set_result(None)
                await self._pump(ws)

    async def _pump(self, ws: AsyncWebSocketSession) -> None:
        send = asyncio.create_task(self._send_loop(ws))
        recv = asyncio.create_task(self._recv_loop(ws))
        closing = asyncio.create_task(self._closing.wait())
        tasks = {send, recv, closing}
        try:
            pending = set(tasks)
            while recv in pending and closing in pending:
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                if send in done and self._terminal is not None:
                    break  # the sender failed
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.wait(tasks)

    async def _send_loop(self, ws: AsyncWebSocketSession) -> None:
        try:
            while True:
                item = await self._outgoing.get()
                if self._sent is not None:  # before sending: a refused socket may drop it
                    self._sent.append(item)
                if item is _STOP:
                    await ws.send_bytes(ormsgpack.packb({"event": "stop"}))
                    return
                await ws.send_bytes(ormsgpack.packb(item))
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self._end(WebSocketError(f"the live TTS connection failed while sending ({type(exc).__name__})"))

    async def _recv_loop(self, ws: AsyncWebSocketSession) -> None:
        # Silence is normal while the caller has more text to send, but once `stop` is out the
        # server owes us audio: `timeout` s without a frame then is a stall, not a pause.
        stall_after = self._core.timeout.read or 30.0
        poll = min(1.0, stall_after)
        loop = asyncio.get_running_loop()
        last_frame = loop.time()
        try:
            while True:
                try:
                    data = await ws.receive_bytes(timeout=poll)
                    last_frame = loop.time()
                    message = ormsgpack.unpackb(data)
                except TimeoutError:
                    if self._stopped and loop.time() - last_frame >= stall_after:
                        self._end(FishTimeoutError(f"Fish Audio sent no live audio for {stall_after:g} s"))
                        return
                    continue
                except (WebSocketInvalidTypeReceived, ormsgpack.MsgpackDecodeError):
                    continue  # not a msgpack frame: not an event we know
                outcome = _server_event(message)
                if isinstance(outcome, bytes):
                    self._sent = None
                    self._incoming.put_nowait(outcome)
                elif outcome is not None:
                    if isinstance(outcome, RateLimitError) and self._sent is not None:
                        self._refusal = outcome  # back in line (_admitted_sockets)
                    else:
                        self._end(outcome)
                    return  # leaving the pump closes the socket: the server may not
        except asyncio.CancelledError:
            raise
        except WebSocketDisconnect as exc:
            self._end(_disconnected(exc))
        except Exception as exc:
            self._end(WebSocketError(f"the live TTS connection failed ({type(exc).__name__})"))


def _server_event(message: Any) -> bytes | BaseException | object | None:
    """What one decoded server frame means: audio bytes; `_END` (a normal `finish`); the error
    that ends the session (an in-band `error` event, `finish reason=error`); None to ignore it
    (an empty chunk, or an event the protocol lets clients ignore)."""
    if not isinstance(message, dict):
        return None
    event = message.get("event")
    if event == "audio":
        audio = message.get("audio")
        return audio if isinstance(audio, bytes) and audio else None
    if event == "error":
        return error_from_live_event(message)
    if event == "finish":
        if message.get("reason") != "error":
            return _END
        detail = message.get("message") or message.get("detail")
        suffix = f": {str(detail)[:200]}" if detail else ""
        return WebSocketError(f"Fish Audio ended the live TTS with an error{suffix}")
    return None


def _disconnected(exc: WebSocketDisconnect) -> WebSocketError:
    return WebSocketError(f"Fish Audio closed the live TTS connection unexpectedly (code {exc.code})")


async def aiter_websocket_audio(ws: AsyncWebSocketSession) -> AsyncIterator[bytes]:
    """The SDK's realtime helper (`fishaudio.resources.realtime.aiter_websocket_audio`): the audio
    chunks arriving on a live TTS socket (from `httpx_ws.aconnect_ws`, after `start` was sent),
    until `finish`. Unknown events and frames are ignored. Raises WebSocketError when the
    connection closes or breaks, or on `finish reason=error`; and, unlike the SDK (which waits
    forever), the mapped error for an in-band `error` event (e.g. a RateLimitError for
    "Concurrency limit exceeded", §0). The socket is the caller's to close (the server may keep
    it open after `finish`)."""
    while True:
        try:
            message = ormsgpack.unpackb(await ws.receive_bytes())
        except WebSocketDisconnect as exc:
            raise _disconnected(exc) from None
        except WebSocketNetworkError as exc:
            raise WebSocketError(f"the live TTS connection failed ({type(exc).__name__})") from None
        except (WebSocketInvalidTypeReceived, ormsgpack.MsgpackDecodeError):
            continue
        outcome = _server_event(message)
        if isinstance(outcome, bytes):
            yield outcome
        elif outcome is _END:
            return
        elif isinstance(outcome, BaseException):
            raise outcome


class _AudioReader:
    """Plain async iterator (not a generator), so abandoning it needs no finalization."""

    def __init__(self, session: LiveSession, idle_timeout: float | None) -> None:
        self._session = session
        self._idle_timeout = idle_timeout

    def __aiter__(self) -> _AudioReader:
        return self

    async def __anext__(self) -> bytes:
        chunk = await self._session._next_audio(self._idle_timeout)
        if chunk is None:
            raise StopAsyncIteration
        return chunk


async def _feed(session: LiveSession, text_stream: AsyncIterable[str | TextEvent | FlushEvent]) -> None:
    try:
        async for item in text_stream:
            if isinstance(item, str):
                session.send_text(item)
            elif isinstance(item, FlushEvent) or getattr(item, "event", None) == "flush":
                session.flush()
            else:  # TextEvent, or the SDK's TextEvent (duck-typed)
                session.send_text(item.text)
        session.stop()
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        # The SDK hangs here; instead end the session so the audio side raises this at once.
        session.abort(exc)


async def stream_websocket(
    session: LiveSession, text_stream: AsyncIterable[str | TextEvent | FlushEvent]
) -> AsyncIterator[bytes]:
    """Drive `session` from `text_stream` and yield its audio (the SDK's `stream_websocket`)."""
    async with session:
        feeder = asyncio.create_task(_feed(session, text_stream), name="fish-live-tts-feed")
        try:
            async for chunk in session.audio():
                yield chunk
        finally:
            feeder.cancel()
            # asyncio.wait, not `await feeder`: a cancellation of *this* task must not be swallowed.
            await asyncio.wait({feeder})
