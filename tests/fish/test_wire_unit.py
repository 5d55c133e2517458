"""Exact request encodings, checked with httpx.MockTransport (independent of the stand-in)."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import ormsgpack
import pytest

from bot.fish import FishClient, Prosody, TTSConfig

KEY = "sk-test-0123456789abcdef"
VOICE = {"_id": "v1", "title": "Ann", "type": "tts", "state": "trained", "visibility": "private"}


def client_for(responder: Callable[[httpx.Request], httpx.Response], seen: list[httpx.Request]) -> FishClient:
    def handler(request: httpx.Request) -> httpx.Response:
        request.read()
        seen.append(request)
        return responder(request)

    return FishClient(api_key=KEY, base_url="http://fish.test/prefix",
                      httpx_client=httpx.AsyncClient(transport=httpx.MockTransport(handler)))


async def test_list_query_is_sent_like_the_sdk() -> None:
    seen: list[httpx.Request] = []
    async with client_for(lambda r: httpx.Response(200, json={"total": 0, "items": []}), seen) as client:
        await client.voices.list(page_size=20, tags=["male", "en"], self_only=True, language="en")
    (request,) = seen
    assert request.url.path == "/prefix/model"
    assert request.url.params.multi_items() == [
        ("page_size", "20"), ("page_number", "1"), ("tag", "male"), ("tag", "en"), ("self", "true"),
        ("language", "en"), ("sort_by", "task_count"),
    ]
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.headers["user-agent"].startswith("fishbot/")


async def test_create_multipart_matches_the_sdk() -> None:
    seen: list[httpx.Request] = []
    async with client_for(lambda r: httpx.Response(201, json=VOICE), seen) as client:
        voice = await client.voices.create(title="Ann", voices=[b"RIFF1", b"RIFF2"], texts=["hi"],
                                           tags=["a", "b"], cover_image=b"PNG")
    assert voice.id == "v1" and voice.train_mode == "full"
    body = seen[0].content.decode("latin-1")
    assert seen[0].headers["content-type"].startswith("multipart/form-data")
    for name, value in [("title", "Ann"), ("visibility", "private"), ("type", "tts"),
                        ("train_mode", "fast"), ("texts", "hi"), ("tags", "a"), ("tags", "b"),
                        ("enhance_audio_quality", "true")]:
        assert f'name="{name}"\r\n\r\n{value}\r\n' in body
    assert body.count('name="voices"; filename="upload"\r\nContent-Type: application/octet-stream') == 2
    assert 'name="cover_image"; filename="upload"' in body
    assert 'name="description"' not in body


async def test_update_is_urlencoded_unless_a_cover_is_sent() -> None:
    seen: list[httpx.Request] = []
    async with client_for(lambda r: httpx.Response(200, json={}), seen) as client:
        await client.voices.update("v1", title="New", tags=["x", "y"])
        await client.voices.update("v1", visibility="public", cover_image=b"PNG")
    plain, multi = seen
    assert plain.method == "PATCH" and plain.url.path == "/prefix/model/v1"
    assert plain.headers["content-type"] == "application/x-www-form-urlencoded"
    assert plain.content == b"title=New&tags=x&tags=y"
    assert multi.headers["content-type"].startswith("multipart/form-data")


async def test_tts_body_units_and_overrides() -> None:
    seen: list[httpx.Request] = []
    config = TTSConfig(prosody=Prosody(volume=3.0), chunk_length=150)
    clip = b"audio" * 200  # the size of real speech: a tiny body would be a blank clip
    async with client_for(lambda r: httpx.Response(200, content=clip), seen) as client:
        audio = await client.tts.convert(text="hi", format="opus", speed=1.25, latency="low",
                                         reference_id="v1", config=config, model="s2.1-pro-free")
    assert audio == clip
    body = ormsgpack.unpackb(seen[0].content)
    assert seen[0].headers["model"] == "s2.1-pro-free"
    assert seen[0].headers["content-type"] == "application/msgpack"
    assert body["opus_bitrate"] == -1000 and body["format"] == "opus" and body["latency"] == "low"
    assert body["prosody"] == {"speed": 1.25, "volume": 3.0}
    assert body["chunk_length"] == 150 and body["reference_id"] == "v1" and body["references"] == []
    assert "sample_rate" not in body


def test_bad_direct_kwargs_are_rejected_before_sending() -> None:
    client = FishClient(api_key=KEY)
    with pytest.raises(ValueError, match="latency"):
        client.tts.stream(text="hi", latency="fast")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="opus_bitrate"):
        TTSConfig(opus_bitrate=32)  # type: ignore[arg-type]


async def test_unknown_model_is_refused_before_sending() -> None:
    """Fish would serve and bill an unknown name as s2.1-pro: the client never sends one, and
    always sends a model header (the default when none is given)."""
    seen: list[httpx.Request] = []
    async with client_for(lambda r: httpx.Response(200, content=bytes(1000)), seen) as client:
        with pytest.raises(ValueError, match="unknown TTS model 's9-imaginary'"):
            await client.tts.convert(text="hi", model="s9-imaginary")
        with pytest.raises(ValueError, match="unknown TTS model"):
            client.tts.live(model="s9-imaginary")
        await client.tts.convert(text="hi")
    assert [r.headers["model"] for r in seen] == ["s2.1-pro"]
