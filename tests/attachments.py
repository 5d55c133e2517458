"""A stand-in for Discord's attachment CDN on 127.0.0.1, and attachment payloads pointing at it.

Attachments reach the bot as Discord sends them: a payload (id, filename, size, content type,
url; for voice messages duration and waveform) in a message or an interaction's `resolved`
data, and the bytes over plain HTTP GET from the url.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from tests.discord_harness import snowflake

VOICE_MESSAGE_FLAG = 1 << 13  # MessageFlags.IS_VOICE_MESSAGE


class FakeCDN:
    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.downloads: list[str] = []  # filenames, in order of GET
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/attachments/{id}/{name}", self._serve)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _serve(self, request: web.Request) -> web.Response:
        key = f"{request.match_info['id']}/{request.match_info['name']}"
        if key not in self.files:
            return web.Response(status=404, text="404: Not Found")
        self.downloads.append(request.match_info["name"])
        return web.Response(body=self.files[key], content_type="application/octet-stream")

    def attachment(self, data: bytes, filename: str, *, content_type: str | None = "audio/mpeg",
                   voice: bool = False, duration_secs: float | None = None,
                   size: int | None = None) -> dict[str, Any]:
        """Host `data` and return its attachment payload. `size` lets a test make Discord's
        reported size differ from the bytes served."""
        attachment_id = str(snowflake())
        self.files[f"{attachment_id}/{filename}"] = data
        url = f"{self.base_url}/attachments/{attachment_id}/{filename}"
        payload: dict[str, Any] = {
            "id": attachment_id, "filename": filename, "size": len(data) if size is None else size,
            "url": url, "proxy_url": url,
        }
        if content_type is not None:
            payload["content_type"] = content_type
        if voice:
            payload["duration_secs"] = duration_secs or 1.0
            payload["waveform"] = base64.b64encode(bytes(64)).decode()
            payload["flags"] = 0
        return payload


@pytest.fixture
async def cdn() -> AsyncIterator[FakeCDN]:
    server = FakeCDN()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
