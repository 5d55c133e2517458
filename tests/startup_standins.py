"""What holds `fishbot run` at one stage of its start-up, so a test can stop it there: a server
that accepts connections and never answers (a Discord, Fish Audio or PostgreSQL that hangs),
Discord's REST API answering the login and holding one chosen route, and a proxy to PostgreSQL
that can be cut (the database going down under a running bot). Each says when it was reached,
so the tests wait for that instead of sleeping."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys
from pathlib import Path
from typing import Any

from aiohttp import web

from tests.discord_harness import APPLICATION_ID, APPLICATION_OWNER_ID, BOT_USER_ID, user_payload

ROOT = Path(__file__).resolve().parents[1]

# `run` with Discord's API at a URL of the test's choosing: discord.py has no setting for its base
# URL, so the process sets it before starting the command line.
RUN_WITH_DISCORD_AT = (
    "import sys, discord.http; discord.http.Route.BASE = sys.argv[1]; "
    "from bot.cli import main; raise SystemExit(main(['run']))"
)


def closed_port() -> int:
    """A local port nothing listens on (connections to it are refused at once)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def child_env(**settings: str) -> dict[str, str]:
    """This process's environment without any fishbot setting of the machine's, plus `settings`."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("FISHBOT_")}
    for name in ("DISCORD_TOKEN", "FISH_API_KEY", "FISH_BASE_URL", "DATABASE_URL"):
        base.pop(name, None)
    return {**base, "PYTHONPATH": str(ROOT), **settings}


async def start_run(discord_api: str, cwd: Path, env: dict[str, str]) -> asyncio.subprocess.Process:
    """`fishbot run` as a real process, with Discord's REST API at `discord_api` (…/api/v10)."""
    return await asyncio.create_subprocess_exec(
        sys.executable, "-c", RUN_WITH_DISCORD_AT, discord_api, cwd=cwd, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )


class _Hold(asyncio.Protocol):
    def __init__(self, owner: Silent) -> None:
        self.owner = owner
        self.received = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.owner.connections.append(transport)
        if not self.owner.until:
            self.owner.reached.set()

    def data_received(self, data: bytes) -> None:
        self.received += data
        if self.owner.until and self.owner.until in self.received:
            self.owner.reached.set()


class Silent:
    """Accepts connections, reads what it is sent and never answers; `reached` is set once
    something connected, or once a connection sent `until` (e.g. one request line)."""

    def __init__(self, until: bytes = b"") -> None:
        self.until = until
        self.reached = asyncio.Event()
        self.connections: list[asyncio.BaseTransport] = []
        self._server: asyncio.Server | None = None
        self.port = 0

    async def __aenter__(self) -> Silent:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: _Hold(self), "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        for transport in self.connections:
            transport.close()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


class DiscordRest:
    """Discord's REST API as far as `run` uses it before the gateway: the login (the token and
    application checks) and the global command sync answered as Discord does; the route named by
    `hold` (e.g. "PUT /applications/{id}/commands", or the gateway's address) is received and
    never answered, and `reached` is set when it is."""

    ROUTES = ("GET /users/@me", "GET /oauth2/applications/@me",
              "PUT /applications/{id}/commands", "GET /gateway/bot")

    def __init__(self, hold: str) -> None:
        assert hold in self.ROUTES, hold
        self.hold = hold
        self.reached = asyncio.Event()
        self._release = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0

    async def __aenter__(self) -> DiscordRest:
        app = web.Application()
        for route in self.ROUTES:
            method, path = route.split(" ", 1)
            app.router.add_route(method, "/api/v10" + path, self._handler(route))
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._release.set()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    def _handler(self, route: str) -> Any:
        async def handle(request: web.Request) -> web.Response:
            if route == self.hold:
                self.reached.set()
                await self._release.wait()
                raise web.HTTPServiceUnavailable
            # discord.py reads a body as JSON only with exactly this content type (no charset).
            body = json.dumps(self._answer(route)).encode()
            return web.Response(body=body, headers={"Content-Type": "application/json"})

        return handle

    def _answer(self, route: str) -> Any:
        if route == "GET /users/@me":
            return user_payload(BOT_USER_ID, "fishbot", bot=True)
        if route == "GET /oauth2/applications/@me":
            return {"id": str(APPLICATION_ID), "name": "fishbot", "description": "", "icon": None,
                    "bot_public": True, "bot_require_code_grant": False, "verify_key": "0" * 64,
                    "owner": user_payload(APPLICATION_OWNER_ID, "app-owner"), "team": None,
                    "flags": 0}
        assert route == "PUT /applications/{id}/commands", route  # the gateway: held
        return []


class CuttableProxy:
    """A TCP proxy to a database server; `cut()` drops every connection through it and refuses
    new ones, as a server that went down."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self._writers: list[asyncio.StreamWriter] = []
        self._server: asyncio.Server | None = None
        self.port = 0
        self.frozen = False

    async def __aenter__(self) -> CuttableProxy:
        self._server = await asyncio.start_server(self._pipe, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.cut()

    def freeze(self) -> None:
        """Keep every connection open but pass nothing on any more (a network partition)."""
        self.frozen = True
        if self._server is not None:
            self._server.close()

    def cut(self) -> None:
        if self._server is not None:
            self._server.close()
        for writer in self._writers:
            writer.transport.abort()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream = await asyncio.open_connection(*self.target)
        self._writers += [writer, upstream]

        async def copy(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            try:
                while data := await source.read(65536):
                    if self.frozen:
                        continue
                    sink.write(data)
                    await sink.drain()
            except ConnectionError:
                pass
            finally:
                sink.transport.abort()

        await asyncio.gather(copy(reader, upstream), copy(upstream_reader, writer))
