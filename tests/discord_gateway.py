"""A stand-in Discord for whole `fishbot run` processes: the REST routes start-up calls and the
main gateway (v10, JSON, zlib-stream transport compression), on 127.0.0.1, for discord.py's real,
unmodified gateway client. A child points discord.py at it (tests/run_gateway_child.py).

Gateway: HELLO on connect, HEARTBEAT → HEARTBEAT_ACK, IDENTIFY → READY (no guilds). Like Discord,
it allows `max_concurrency` IDENTIFYs per 5 s, one per bucket (`shard_id % max_concurrency`),
counted over every connection: an IDENTIFY sooner than 5 s after the previous one of its bucket
is answered with op 9 INVALID_SESSION (d=false, not resumable), and every IDENTIFY spends a session
start. A RESUME is always refused the same way (no session survives here). A wrong token closes
with 4004, a shard outside the shard count with 4010, as Discord does. `hello_barrier=n` holds the
first n connections' HELLO until all n are open, so their IDENTIFYs race.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import secrets
import zlib
from dataclasses import dataclass
from typing import Any

from aiohttp import WSMsgType, web

from tests.discord_harness import APPLICATION_ID, APPLICATION_OWNER_ID, BOT_USER_ID, snowflake, user_payload

# Discord's own window, deliberately not the product's constant (bot/gateway.py): the stand-in
# checks the product against Discord's rule, not against itself.
DISCORD_IDENTIFY_WINDOW_S = 5.0
HEARTBEAT_INTERVAL_MS = 41_250

DISPATCH, HEARTBEAT, IDENTIFY, RESUME, INVALID_SESSION, HELLO, HEARTBEAT_ACK = 0, 1, 2, 6, 9, 10, 11


def _json(data: Any, status: int = 200) -> web.Response:
    # Exactly "application/json", as Discord sends: discord.py parses only that as JSON.
    return web.Response(body=json.dumps(data).encode(), status=status, content_type="application/json")


@dataclass(frozen=True)
class Identify:
    at: float  # the stand-in's event loop clock when the IDENTIFY was read
    shard_id: int
    accepted: bool


class StandInDiscord:
    """`async with StandInDiscord(token=..., shards=4, max_concurrency=2) as discord:`, then
    `discord.base_url` for the child and `discord.identifies` / `invalidated()` / `ready` to look."""

    def __init__(self, *, token: str, shards: int = 1, max_concurrency: int = 1, total: int = 1000,
                 remaining: int | None = None, hello_barrier: int = 0) -> None:
        self.token = token
        self.shards = shards
        self.max_concurrency = max_concurrency
        self.total = total
        self.remaining = total if remaining is None else remaining
        self.identifies: list[Identify] = []
        self.ready: set[int] = set()  # shards with a live session
        self.requests: list[str] = []  # "METHOD /path" of every REST request
        self.changed = asyncio.Event()  # set after each IDENTIFY
        self._last: dict[int, float] = {}  # bucket → when its last IDENTIFY was read
        self._sockets: set[web.WebSocketResponse] = set()
        self._seq = itertools.count(1)
        # The first `hello_barrier` connections get their HELLO together, once all are open.
        self._barrier = hello_barrier
        self._connected = 0
        self._all_connected = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    @property
    def gateway_url(self) -> str:
        return self.base_url.replace("http://", "ws://", 1) + "/gateway"

    def invalidated(self) -> list[Identify]:
        return [identify for identify in self.identifies if not identify.accepted]

    async def wait_ready(self, shards: set[int], timeout: float = 120.0) -> None:
        async with asyncio.timeout(timeout):
            while not shards <= self.ready:
                self.changed.clear()
                await self.changed.wait()

    # --- lifecycle ---------------------------------------------------------------------------

    async def __aenter__(self) -> StandInDiscord:
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", "/api/v10/{path:.*}", self._rest)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        for ws in list(self._sockets):
            await ws.close(code=1001)
        if self._runner is not None:
            await self._runner.cleanup()

    # --- REST --------------------------------------------------------------------------------

    async def _rest(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["path"]
        self.requests.append(f"{request.method} {path}")
        if request.headers.get("Authorization") != f"Bot {self.token}":
            return _json({"message": "401: Unauthorized", "code": 0}, status=401)
        if request.method == "GET" and path == "/users/@me":
            return _json(user_payload(BOT_USER_ID, "fishbot", bot=True))
        if request.method == "GET" and path == "/oauth2/applications/@me":
            return _json({
                "id": str(APPLICATION_ID), "name": "fishbot", "description": "", "icon": None,
                "bot_public": True, "bot_require_code_grant": False, "verify_key": "0" * 64,
                "owner": user_payload(APPLICATION_OWNER_ID, "app-owner"), "team": None, "flags": 0,
            })
        if request.method == "GET" and path == "/gateway/bot":
            return _json({
                "url": self.gateway_url, "shards": self.shards,
                "session_start_limit": {"total": self.total, "remaining": self.remaining,
                                        "reset_after": 14_400_000, "max_concurrency": self.max_concurrency},
            })
        if request.method == "PUT" and path == f"/applications/{APPLICATION_ID}/commands":
            commands = await request.json()
            return _json([
                {"description": "", **command, "id": str(snowflake()), "application_id": str(APPLICATION_ID),
                 "version": str(snowflake()), "default_member_permissions": None}
                for command in commands
            ])
        return _json({"message": "404: Not Found", "code": 0}, status=404)

    # --- gateway -----------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self._sockets.add(ws)
        compress = request.query.get("compress") == "zlib-stream"
        deflate = zlib.compressobj()

        async def send(payload: dict[str, Any]) -> None:
            data = json.dumps(payload)
            if compress:  # one zlib stream per connection, each message flushed (Discord's framing)
                await ws.send_bytes(deflate.compress(data.encode()) + deflate.flush(zlib.Z_SYNC_FLUSH))
            else:
                await ws.send_str(data)

        shard_id: int | None = None
        self._connected += 1
        if self._connected >= self._barrier:
            self._all_connected.set()
        try:
            await self._all_connected.wait()
            await send({"op": HELLO, "d": {"heartbeat_interval": HEARTBEAT_INTERVAL_MS},
                        "s": None, "t": None})
            async for message in ws:
                if message.type != WSMsgType.TEXT:
                    continue
                payload = json.loads(message.data)
                op, data = payload.get("op"), payload.get("d")
                if op == HEARTBEAT:
                    await send({"op": HEARTBEAT_ACK, "d": None, "s": None, "t": None})
                elif op == IDENTIFY:
                    shard_id = await self._identify(ws, send, data)
                elif op == RESUME:
                    await send({"op": INVALID_SESSION, "d": False, "s": None, "t": None})
        finally:
            self._sockets.discard(ws)
            if shard_id is not None:
                self.ready.discard(shard_id)
        return ws

    async def _identify(self, ws: web.WebSocketResponse, send: Any, data: dict[str, Any]) -> int | None:
        now = asyncio.get_running_loop().time()
        if data.get("token") != self.token:
            await ws.close(code=4004, message=b"Authentication failed.")
            return None
        shard_id, shard_count = data.get("shard") or (0, 1)
        if shard_count != self.shards or not 0 <= shard_id < shard_count:
            await ws.close(code=4010, message=b"Invalid shard.")
            return None
        bucket = shard_id % self.max_concurrency
        last = self._last.get(bucket)
        self._last[bucket] = now
        self.remaining -= 1
        accepted = last is None or now - last >= DISCORD_IDENTIFY_WINDOW_S
        self.identifies.append(Identify(now, shard_id, accepted))
        try:
            if not accepted:
                await send({"op": INVALID_SESSION, "d": False, "s": None, "t": None})
                return None
            await send({"op": DISPATCH, "t": "READY", "s": next(self._seq), "d": {
                "v": 10, "user": user_payload(BOT_USER_ID, "fishbot", bot=True), "guilds": [],
                "session_id": secrets.token_hex(16), "resume_gateway_url": self.gateway_url,
                "shard": [shard_id, shard_count], "application": {"id": str(APPLICATION_ID), "flags": 0},
            }})
            self.ready.add(shard_id)
            return shard_id
        finally:
            self.changed.set()
