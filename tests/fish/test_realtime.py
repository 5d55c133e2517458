"""The SDK's realtime helper, `aiter_websocket_audio(ws)`, on a socket opened to the stand-in's
live TTS endpoint the way the SDK opens it (httpx_ws.aconnect_ws): the audio the server sent,
ending at `finish`; an error `finish`, an in-band `error` event and a dropped connection raise."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import ormsgpack
import pytest
from httpx_ws import AsyncWebSocketSession, aconnect_ws

from bot.fish import ReferenceNotFoundError, TTSConfig, WebSocketError, aiter_websocket_audio
from bot.fish.models import build_tts_request, tts_payload

from .conftest import KEY


@asynccontextmanager
async def live_socket(fakefish: Any, **config: Any) -> AsyncIterator[AsyncWebSocketSession]:
    """A live TTS socket with `start` sent, then "Hello live world." and `stop`."""
    request = tts_payload(build_tts_request("", {"config": TTSConfig(format="pcm", **config)}))
    async with httpx.AsyncClient() as http, aconnect_ws(
        fakefish.base_url + "/v1/tts/live", http, headers={"authorization": f"Bearer {KEY}", "model": "s1"},
    ) as ws:
        await ws.send_bytes(ormsgpack.packb({"event": "start", "request": request}))
        await ws.send_bytes(ormsgpack.packb({"event": "text", "text": "Hello live world."}))
        await ws.send_bytes(ormsgpack.packb({"event": "stop"}))
        yield ws


async def test_yields_the_audio_the_server_sent_until_finish(fakefish: Any) -> None:
    async with live_socket(fakefish) as ws:
        audio = [chunk async for chunk in aiter_websocket_audio(ws)]
    record = fakefish.requests_for("tts_live")[-1]
    assert audio and b"".join(audio) == record.audio
    assert record.sent_events[-1] == {"event": "finish", "reason": "stop"}


async def test_an_error_finish_raises(fakefish: Any) -> None:
    fakefish.fail("tts_live", ws_error=True)
    async with live_socket(fakefish) as ws:
        with pytest.raises(WebSocketError):
            async for _ in aiter_websocket_audio(ws):
                pass


async def test_an_in_band_error_raises_its_mapped_error(fakefish: Any) -> None:
    async with live_socket(fakefish, reference_id="0" * 32) as ws:  # a voice the stand-in lacks
        with pytest.raises(ReferenceNotFoundError):
            async for _ in aiter_websocket_audio(ws):
                pass


async def test_a_dropped_connection_raises(fakefish: Any) -> None:
    fakefish.fail("tts_live", disconnect_after_bytes=500)
    async with live_socket(fakefish) as ws:
        with pytest.raises(WebSocketError):
            async for _ in aiter_websocket_audio(ws):
                pass
