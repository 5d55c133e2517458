"""WS /v1/tts/live: binary msgpack events, one session per connection (doc §4).

Client → server: `start{request}` first (the SDK sends a full model_dump with nils), then
`text{text}`, `flush`, `stop`; unknown events are ignored. Text is buffered and synthesised on
`flush`, on `stop`, and as soon as the buffer reaches `chunk_length` characters.
Server → client: `audio{audio}` chunks (one continuous stream in the requested format: Ogg
headers / WAV header once, at the start), then `finish{reason}`.

As the real server may (§0), the socket is **not** closed after `finish`: it stays open until the
client closes it, and a further `start` begins a new session on it. Each record notes whether the
client closed it (`client_closed`).

Handshake failures (401 bad key, 402 no credit for every model but s2.1-pro-free, injected
statuses) reject the upgrade with an HTTP response. A `start` whose `reference_id` names no voice
gets the in-band `{"event":"error","error":"Reference not found","status":400}` then
`finish reason=error` (what the HTTP API says with a 400; the live wording is not documented, so
the client must also cope with a bare `finish reason=error`). Bad parameters in `start` likewise
get an `error` event with the 400 message, then `finish reason=error`.
Faults: `ws_error` → `finish reason=error` after the first audio; `ws_concurrency` → the
documented in-band `{"event":"error","error":"Concurrency limit exceeded","max_concurrency":8}`
right after `start`, with the socket left open; `disconnect_after_bytes` → the connection is
aborted after that many audio bytes; `stall_after_bytes` → the server stops sending but keeps the
socket open.
"""

from __future__ import annotations

import asyncio
import time
import zlib
from typing import TYPE_CHECKING, Any

import ormsgpack
from aiohttp import WSMsgType, web

from . import audio
from .faults import Fault, error_response, validation_message
from .records import RecordedRequest
from .tts import effective_model, needs_credit, reference_problem, sample_rate_for, split_even, tts_cost
from .tts_request import validate_tts

if TYPE_CHECKING:
    from .server import FakeFish

_STOP = object()


class _Session:
    def __init__(
        self,
        fake: FakeFish,
        request: web.Request,
        ws: web.WebSocketResponse,
        record: RecordedRequest,
        fault: Fault | None,
    ) -> None:
        self.fake, self.request, self.ws, self.record, self.fault = fake, request, ws, record, fault
        self.req: dict[str, Any] = {}
        self.queue: asyncio.Queue[Any] = asyncio.Queue()
        self.sent_bytes = 0
        self.started = False
        self.opus: audio.OpusStream | None = None
        self.done = False

    async def send_event(self, event: dict[str, Any]) -> None:
        shown = {k: (f"<{len(v)} bytes>" if isinstance(v, bytes) else v) for k, v in event.items()}
        self.record.sent_events.append(shown)
        await self.ws.send_bytes(ormsgpack.packb(event))

    async def finish(self, reason: str) -> None:
        if not self.done:
            self.done = True
            self.fake.release_slot(self.record)  # the session's last chunk is out
            await self.send_event({"event": "finish", "reason": reason})
            self.record.finished_at = time.perf_counter()

    async def fail(self, message: str, status: int = 400) -> None:
        await self.send_event({"event": "error", "error": message, "status": status})
        await self.finish("error")

    def render(self, text: str, last: bool) -> list[tuple[bytes, float]]:
        """Audio chunks for one text segment, continuing the session's stream."""
        fake, req = self.fake, self.req
        prosody = req.get("prosody") or {}
        seconds = audio.audio_seconds(
            text,
            ms_per_char=fake.ms_per_char,
            min_seconds=fake.min_seconds,
            speed=float(prosody.get("speed", 1.0)),
        )
        gain = float(prosody.get("volume", 0.0))
        fmt, rate = req["format"], sample_rate_for(req)
        pcm = audio.synth_pcm(text, seconds, rate, gain)
        if fmt == "opus":
            header = b""
            if self.opus is None:
                self.opus = audio.OpusStream(
                    frame_ms=fake.opus_frame_ms,
                    packets_per_page=fake.packets_per_page,
                    bitrate_bps=int(req["opus_bitrate"]),
                    serial=zlib.crc32(text.encode()),
                )
                header = self.opus.header()
            before = self.opus.seconds
            pages, ends = self.opus.encode(pcm, last=last)
            chunks = [(page, end - before) for page, end in zip(pages, ends, strict=True)]
            if header:
                chunks.insert(0, (header, 0.0))
            return chunks
        header = audio.wav_header(rate) if fmt == "wav" and not self.started else b""
        chunks = split_even(pcm, seconds, fake.chunk_seconds)
        if header:
            chunks.insert(0, (header, 0.0))
        return chunks

    async def synthesise(self, text: str, last: bool) -> bool:
        """Send the audio of one segment, paced; False when the session must end now."""
        fake, record = self.fake, self.record
        cost = tts_cost(text, record.model or "")
        record.charged += cost
        fake.charge(cost)
        if self.req["format"] == "mp3":
            prosody = self.req.get("prosody") or {}
            seconds = audio.audio_seconds(
                text,
                ms_per_char=fake.ms_per_char,
                min_seconds=fake.min_seconds,
                speed=float(prosody.get("speed", 1.0)),
            )
            rate = sample_rate_for(self.req)
            pcm = await asyncio.to_thread(
                audio.synth_pcm, text, seconds, rate, float(prosody.get("volume", 0.0))
            )
            data = await audio.encode_mp3(pcm, rate, audio.snap_mp3_bitrate(int(self.req["mp3_bitrate"])))
            chunks = split_even(data, seconds, fake.chunk_seconds)
        else:
            chunks = await asyncio.to_thread(self.render, text, last)
        self.started = True
        start = time.perf_counter()
        for data, end in chunks:
            delay = start + fake.ttfb + end * fake.rtf - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            if not await self.send_audio(data):
                return False
            if self.fault is not None and self.fault.ws_error:
                await self.finish("error")
                return False
        return True

    async def send_audio(self, data: bytes) -> bool:
        fault, record = self.fault, self.record
        drop = fault.disconnect_after_bytes if fault else None
        stall = fault.stall_after_bytes if fault else None
        cut = min((x for x in (drop, stall) if x is not None), default=None)
        if cut is not None and self.sent_bytes + len(data) >= cut:
            if cut == drop:
                record.dropped = True
                transport = self.request.transport
                if transport is not None:
                    transport.abort()
                return False
            await self.fake.stall(self.request, record)
            return False
        try:
            await self.send_event({"event": "audio", "audio": data})
        except (ConnectionError, RuntimeError):
            self.fake._mark_gone(record)
            return False
        now = time.perf_counter()
        record.first_byte_at = record.first_byte_at or now
        record.chunk_times.append(now)
        record.audio_chunks.append(data)
        self.sent_bytes += len(data)
        return True

    async def sender(self) -> None:
        while True:
            item = await self.queue.get()
            if item is _STOP:
                await self.finish("stop")
                return
            text, last = item
            if text:
                if not await self.synthesise(text, last):
                    return
            elif (
                last
                and self.opus is not None
                and not await self.send_audio(
                    self.opus.writer.page([], [], eos=True)  # close the Ogg stream with an empty EOS page
                )
            ):
                return


async def handle(
    fake: FakeFish, request: web.Request, record: RecordedRequest, fault: Fault | None
) -> web.StreamResponse:
    record.model = effective_model(request.headers.get("model"))
    if needs_credit(fake, record.model):
        return error_response(402)
    ws = web.WebSocketResponse(max_msg_size=64 * 1024 * 1024)
    if not ws.can_prepare(request).ok:
        return error_response(400, "Expected a WebSocket upgrade")
    await ws.prepare(request)
    fake._sockets.add(ws)
    session = _Session(fake, request, ws, record, fault)
    sender: asyncio.Task[None] | None = None
    buffer = ""
    try:
        async for message in ws:
            if message.type != WSMsgType.BINARY:
                continue  # all frames are binary msgpack; anything else is not an event
            try:
                event = ormsgpack.unpackb(message.data)
            except ormsgpack.MsgpackDecodeError:
                continue
            if not isinstance(event, dict):
                continue
            record.events.append(event)
            kind = event.get("event")
            if sender is None or session.done:
                if kind != "start":
                    continue  # nothing happens before a start (or after a finish, until the next)
                if sender is not None:  # a new session on the same socket
                    session = _Session(fake, request, ws, record, None)
                    sender = None
                session.req, errors = validate_tts(event.get("request"), prefix=("request",))
                problem = None if errors else reference_problem(fake, session.req.get("reference_id"))
                if errors or problem:
                    record.body = {"start": event.get("request"), "errors": errors}
                    await session.fail(validation_message(errors) if errors else str(problem))
                    continue
                record.body = event.get("request")
                if fault is not None and fault.ws_concurrency:
                    record.refused_for_concurrency = True
                    await session.send_event(
                        {"event": "error", "error": "Concurrency limit exceeded", "max_concurrency": 8}
                    )
                    session.done = True
                    continue
                if not fake.take_slot(record):  # the account's limit: the same in-band error
                    await session.send_event({"event": "error", "error": "Concurrency limit exceeded",
                                              "max_concurrency": fake.max_concurrency})
                    session.done = True
                    continue
                buffer = session.req.get("text") or ""
                sender = asyncio.create_task(session.sender())
                continue
            if kind == "text" and isinstance(event.get("text"), str):
                buffer += event["text"]
                if len(buffer) >= session.req["chunk_length"]:
                    session.queue.put_nowait((buffer, False))
                    buffer = ""
            elif kind == "flush":
                if buffer:
                    session.queue.put_nowait((buffer, False))
                buffer = ""
            elif kind == "stop":
                session.queue.put_nowait((buffer, True))
                session.queue.put_nowait(_STOP)
                buffer = ""
            # any other event is ignored
    finally:
        if sender is not None and not sender.done():
            sender.cancel()
        fake._sockets.discard(ws)
        fake.release_slot(record)
    if not fake._closing.is_set() and not record.dropped:
        record.client_closed = True
    if sender is not None and not session.done and not record.dropped and not record.stalled:
        fake._mark_gone(record)  # the client closed before the server finished
    return ws
