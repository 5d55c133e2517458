"""FakeFish: the aiohttp application, its state, and what every endpoint shares
(auth, recording, fault injection, paced and interruptible body writing)."""

from __future__ import annotations

import asyncio
import copy
import hashlib
import hmac
import json
import socket
import time
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from aiohttp import web

from . import account, asr, clock, live, tts, voice_design, voices
from .faults import Fault, Faults, error_response
from .library import VoiceLibrary
from .records import BodyError, RecordedRequest, decode_body, redact_headers

# Endpoints whose requests hold one of the account's concurrency slots while they run (§0: Fish
# counts concurrent requests); the live socket holds one per session, from `start` to `finish`.
SLOT_ENDPOINTS = frozenset({"tts", "asr", "voice_design", "model_create"})
CONCURRENCY_MESSAGE = "Concurrency limit exceeded"
MAX_BODY = 64 * 1024 * 1024  # aiohttp's 1 MB default would pre-empt the API's own 20 MB ASR limit
POLL = 0.005


class FakeFish:
    """A faithful stand-in for the Fish Audio API on 127.0.0.1 (see the package docstring)."""

    def __init__(
        self,
        api_key: str = "test-key",
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        ttfb: float = 0.0,
        rtf: float = 0.0,
        ms_per_char: float = 70.0,
        min_seconds: float = 0.5,
        opus_frame_ms: int = 20,
        packets_per_page: int = 10,
        chunk_seconds: float = 0.2,
        credit: Decimal | str | float = "10.00",
        asr_duration_unit: str = "s",
        check_reference_id: bool = True,
        seed: bool = True,
        training_seconds: float = 0.0,
        train_outcome: str = "trained",
        max_concurrency: int | None = None,
    ) -> None:
        self.api_key = api_key
        self.host = host
        self.port = port
        self.ttfb = ttfb
        self.rtf = rtf
        self.ms_per_char = ms_per_char
        self.min_seconds = min_seconds
        self.opus_frame_ms = opus_frame_ms
        self.packets_per_page = packets_per_page
        self.chunk_seconds = chunk_seconds
        self.asr_duration_unit = asr_duration_unit
        self.check_reference_id = check_reference_id
        # A created voice stays `training` this long, then becomes `train_outcome` (§0).
        self.training_seconds = training_seconds
        self.train_outcome = train_outcome
        # Sample audio URLs are signed and expire this many seconds after they were handed out.
        self.sample_url_ttl = 3600.0
        self._sample_secret = b"fakefish-sample-signing"
        # The account's concurrency limit (None: unlimited). Beyond it a slot-holding request gets
        # 429 {"status":429,"message":...} without Retry-After (§0), a live session the in-band
        # {"event":"error","error":"Concurrency limit exceeded","max_concurrency":N}.
        self.max_concurrency = max_concurrency
        self.in_flight = 0  # slot-holding requests running now
        self.peak_in_flight = 0
        self.concurrency_refusals = 0
        self.asr_script: list[Any] = []
        self.designed: list[dict[str, Any]] = []  # voice-design candidates sent (voice_design.py)
        self.asr_segments_empty = False  # §0: segments can be empty even with timestamps asked
        self.library = VoiceLibrary()
        if seed:
            self.library.seed()
        self._credit = Decimal(str(credit))
        self.cumulative_top_up = Decimal(str(credit))
        self.package: dict[str, Any] = account.default_package(self.library.user_id)
        self.faults = Faults()
        self.requests: list[RecordedRequest] = []
        # (method, path, client port) of every request, routed or not: which TCP connection
        # carried it (a warmed-up connection is reused by the next request).
        self.peers: list[tuple[str, str, int]] = []
        self._runner: web.AppRunner | None = None
        self._closing = asyncio.Event()
        self._sockets: set[web.WebSocketResponse] = set()

    # --- lifecycle -----------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY, middlewares=[self._note_peer])
        app.router.add_post("/v1/tts", self._wrap("tts", tts.handle))
        app.router.add_get("/v1/tts/live", self._wrap("tts_live", live.handle))
        app.router.add_post("/v1/asr", self._wrap("asr", asr.handle))
        app.router.add_get("/model", self._wrap("model_list", voices.handle_list))
        app.router.add_post("/model", self._wrap("model_create", voices.handle_create))
        app.router.add_get("/model/{id}", self._wrap("model_get", voices.handle_get))
        app.router.add_patch("/model/{id}", self._wrap("model_update", voices.handle_update))
        app.router.add_delete("/model/{id}", self._wrap("model_delete", voices.handle_delete))
        app.router.add_get("/wallet/self/api-credit", self._wrap("credits", account.handle_credits))
        app.router.add_get("/wallet/self/package", self._wrap("package", account.handle_package))
        app.router.add_post("/v1/voice-design", self._wrap("voice_design", voice_design.handle))
        app.router.add_get("/samples/{voice}/{file}", self._wrap("sample", voices.handle_sample, auth=False))
        return app

    async def start(self) -> FakeFish:
        self._closing.clear()
        self._runner = web.AppRunner(self.app(), access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        site = web.SockSite(self._runner, sock)
        await site.start()
        return self

    async def stop(self) -> None:
        self._closing.set()
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeFish:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # --- state for tests -----------------------------------------------------------------

    @property
    def voices(self) -> dict[str, dict[str, Any]]:
        """Every voice by id (all users, all visibilities), as the API would return it."""
        return self.library.voices

    @property
    def user_id(self) -> str:
        return self.library.user_id

    def add_voice(
        self, title: str = "Test Voice", *, mine: bool = True, score: float | None = None, **fields: Any
    ) -> dict[str, Any]:
        """Add a voice (by default owned by the key's user, public, conforming) and return it.
        Keyword fields are `VoiceLibrary.make_voice` arguments; extra keys are added verbatim
        and a value of `...` removes a field."""
        if not mine and "author_id" not in fields:
            fields["author_id"] = "6650f0a1c2b3d4e5f6a7b8d0"
        return self.library.add(self.library.make_voice(title=title, **fields), score=score)

    @property
    def credit(self) -> Decimal:
        return self._credit

    @credit.setter
    def credit(self, value: Decimal | str | float) -> None:
        self._credit = Decimal(str(value))

    def charge(self, amount: Decimal) -> None:
        self._credit -= amount

    def fail(
        self,
        endpoint: str,
        status: int | None = None,
        body: Any = None,
        delay: float = 0.0,
        times: int = 1,
        disconnect_after_bytes: int | None = None,
        ws_error: bool = False,
        retry_after: float | None = None,
        stall_after_bytes: int | None = None,
        blank: bool = False,
        ws_concurrency: bool = False,
    ) -> Fault:
        """Make the next `times` requests of `endpoint` fail (see faults.py)."""
        return self.faults.fail(
            endpoint,
            status=status,
            body=body,
            delay=delay,
            times=times,
            disconnect_after_bytes=disconnect_after_bytes,
            ws_error=ws_error,
            retry_after=retry_after,
            stall_after_bytes=stall_after_bytes,
            blank=blank,
            ws_concurrency=ws_concurrency,
        )

    def clear_faults(self, endpoint: str | None = None) -> None:
        self.faults.clear(endpoint)

    # --- the account's concurrency ---------------------------------------------------------

    def take_slot(self, record: RecordedRequest) -> bool:
        """Count `record` as running; False (and counted as a refusal) beyond the limit."""
        if self.max_concurrency is not None and self.in_flight >= self.max_concurrency:
            self.concurrency_refusals += 1
            record.refused_for_concurrency = True
            return False
        self.in_flight += 1
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        record.holds_slot = True
        return True

    def release_slot(self, record: RecordedRequest) -> None:
        """`record` is done (its last byte is on its way, or the client left). Idempotent."""
        if record.holds_slot:
            record.holds_slot = False
            self.in_flight -= 1

    # --- voices as the API shows them ---------------------------------------------------------

    def sign(self, path: str) -> str:
        expires = int(clock.utc_now().timestamp() + self.sample_url_ttl)
        signature = hmac.new(self._sample_secret, f"{path}:{expires}".encode(), hashlib.sha256).hexdigest()
        return f"{self.base_url}/{path}?Expires={expires}&Signature={signature}"

    def signature_ok(self, path: str, expires: str | None, signature: str | None) -> bool:
        if not expires or not signature or not expires.isdigit():
            return False
        if int(expires) < clock.utc_now().timestamp():
            return False
        wanted = hmac.new(self._sample_secret, f"{path}:{expires}".encode(), hashlib.sha256).hexdigest()
        return hmac.compare_digest(wanted, signature)

    def published(self, voice: dict[str, Any]) -> dict[str, Any]:
        """`voice` as an answer carries it: sample audio as signed, expiring absolute URLs (covers
        and avatars stay relative CDN paths, §0)."""
        out = copy.deepcopy(voice)
        for item in out.get("samples") or []:
            audio = item.get("audio")
            if isinstance(audio, str) and audio.startswith("samples/"):
                item["audio"] = self.sign(audio)
        return out

    def requests_for(self, endpoint: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.endpoint == endpoint]

    def audio_of(self, index: int, endpoint: str = "tts") -> bytes:
        """The audio bytes written for the `index`-th request of `endpoint` (negative works)."""
        return self.requests_for(endpoint)[index].audio

    def last_audio(self, endpoint: str = "tts") -> bytes:
        return self.audio_of(-1, endpoint)

    async def wait_live_closed(self, record: RecordedRequest, timeout: float = 2.0) -> bool:
        """True once the live socket of `record` was closed by the client; False after `timeout`."""
        deadline = time.monotonic() + timeout
        while not record.client_closed:
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(POLL)
        return True

    async def wait_disconnect(self, endpoint: str = "tts", timeout: float = 2.0, *, after: int = 0) -> bool:
        """True once a request of `endpoint` (the `after`-th or later) was abandoned by the client
        before the stand-in finished sending; False after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            if any(r.disconnected for r in self.requests_for(endpoint)[after:]):
                return True
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(POLL)

    # --- shared request machinery --------------------------------------------------------

    @web.middleware
    async def _note_peer(self, request: web.Request, handler: Any) -> web.StreamResponse:
        peer = request.transport.get_extra_info("peername") if request.transport else None
        self.peers.append((request.method, request.path, peer[1] if peer else 0))
        return await handler(request)

    def _wrap(self, endpoint: str, handler: Any, *, auth: bool = True) -> Any:
        async def route(request: web.Request) -> web.StreamResponse:
            record = await self._record(endpoint, request)
            fault = self.faults.take(endpoint)
            if fault is not None and fault.delay:
                await asyncio.sleep(fault.delay)
            if fault is not None and fault.status is not None:
                response: web.StreamResponse = error_response(
                    fault.status, body=fault.body, retry_after=fault.retry_after
                )
            elif auth and record.auth != "valid":
                response = error_response(401)
            elif endpoint in SLOT_ENDPOINTS and not self.take_slot(record):
                response = web.json_response({"status": 429, "message": CONCURRENCY_MESSAGE}, status=429)
            else:
                try:
                    response = await handler(self, request, record, fault)
                finally:
                    self.release_slot(record)  # before a JSON body is sent: the client sees it after
            if record.status is None:
                record.status = response.status
            return response

        return route

    async def _record(self, endpoint: str, request: web.Request) -> RecordedRequest:
        received = time.perf_counter()
        raw = await request.read()
        auth_header = request.headers.get("Authorization")
        auth = (
            "missing"
            if auth_header is None
            else ("valid" if auth_header == f"Bearer {self.api_key}" else "invalid")
        )
        query: dict[str, list[str]] = {}
        for key, value in request.query.items():
            query.setdefault(key, []).append(value)
        record = RecordedRequest(
            endpoint=endpoint,
            method=request.method,
            path=request.path,
            query=query,
            headers=redact_headers(request.headers),
            auth=auth,
            received_at=received,
            content_type=request.headers.get("Content-Type", ""),
            raw_size=len(raw),
        )
        try:
            if len(raw) > 256 * 1024:  # big uploads are parsed off the event loop
                record.body, record.parts = await asyncio.to_thread(decode_body, record.content_type, raw)
            else:
                record.body, record.parts = decode_body(record.content_type, raw)
        except BodyError as exc:
            record.body = BodyError(str(exc))
        self.requests.append(record)
        return record

    def client_gone(self, request: web.Request) -> bool:
        transport = request.transport
        return transport is None or transport.is_closing()

    async def wait_until(self, request: web.Request, moment: float) -> bool:
        """Sleep until perf_counter() >= moment; False if the client went away meanwhile."""
        while True:
            if self.client_gone(request):
                return False
            left = moment - time.perf_counter()
            if left <= 0:
                return True
            await asyncio.sleep(min(POLL * 4, left))

    async def stall(self, request: web.Request, record: RecordedRequest) -> None:
        """Send nothing more and keep the connection open until the client gives up."""
        record.stalled = True
        while True:  # polled: aiohttp offers no event for "the peer closed" to a running handler
            if self.client_gone(request) or self._closing.is_set():
                break
            await asyncio.sleep(POLL * 4)
        if self.client_gone(request):
            self._mark_gone(record)

    def _mark_gone(self, record: RecordedRequest) -> None:
        if not record.disconnected:
            record.disconnected = True
            record.disconnected_at = time.perf_counter()

    async def send_paced(
        self,
        request: web.Request,
        record: RecordedRequest,
        fault: Fault | None,
        response: web.StreamResponse,
        chunks: Sequence[tuple[bytes, float]],
        *,
        is_audio: bool,
    ) -> web.StreamResponse:
        """Write `chunks` (data, seconds after the start when it may go out), honouring the
        drop/stall faults and noticing a client that leaves (write error or closed transport)."""
        start = time.perf_counter()
        record.status = response.status
        try:
            await response.prepare(request)
        except ConnectionError:  # the client left while the audio was being made
            self._mark_gone(record)
            return response
        drop_at = fault.disconnect_after_bytes if fault else None
        stall_at = fault.stall_after_bytes if fault else None
        sent = 0
        for index, (data, at) in enumerate(chunks):
            if not await self.wait_until(request, start + at):
                self._mark_gone(record)
                return response
            cut = min((x for x in (drop_at, stall_at) if x is not None), default=None)
            piece = data if cut is None else data[: max(0, cut - sent)]
            if cut is None and index == len(chunks) - 1:
                # The last bytes go out: the request leaves the account's count before the client
                # can see the end of the body.
                self.release_slot(record)
            if piece and not await self._write(request, record, response, piece, is_audio=is_audio):
                return response
            sent += len(piece)
            if cut is not None and sent >= cut:
                if cut == drop_at:
                    record.dropped = True
                    transport = request.transport
                    if transport is not None:
                        transport.abort()
                    return response
                await self.stall(request, record)
                return response
        try:
            await response.write_eof()
        except ConnectionError:
            self._mark_gone(record)
            return response
        record.finished_at = time.perf_counter()
        return response

    async def _write(
        self,
        request: web.Request,
        record: RecordedRequest,
        response: web.StreamResponse,
        data: bytes,
        *,
        is_audio: bool,
    ) -> bool:
        if self.client_gone(request):
            self._mark_gone(record)
            return False
        try:
            await response.write(data)
        except (ConnectionError, RuntimeError):
            self._mark_gone(record)
            return False
        now = time.perf_counter()
        if record.first_byte_at is None:
            record.first_byte_at = now
        record.chunk_times.append(now)
        if is_audio:
            record.audio_chunks.append(data)
        return True

    async def send_json(
        self,
        request: web.Request,
        record: RecordedRequest,
        fault: Fault | None,
        payload: Any,
        status: int = 200,
    ) -> web.StreamResponse:
        """A JSON response, cut or stalled mid-body when a fault asks for it."""
        if fault is None or (fault.disconnect_after_bytes is None and fault.stall_after_bytes is None):
            return web.json_response(payload, status=status)
        body = json.dumps(payload).encode()
        response = web.StreamResponse(status=status, headers={"Content-Type": "application/json"})
        response.content_length = len(body)
        return await self.send_paced(request, record, fault, response, [(body, 0.0)], is_audio=False)
