"""Real Opus audio made with ffmpeg/libopus, once per test session."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable

import pytest


def ffmpeg_opus(*, seconds: float = 1.0, frame_ms: float = 20, container: str = "ogg",
                channels: int = 1, page_ms: int | None = None) -> bytes:
    command = [
        "ffmpeg", "-v", "error", "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}",
        "-ac", str(channels), "-ar", "48000", "-c:a", "libopus", "-b:a", "32k",
        "-frame_duration", str(frame_ms),
    ]
    if page_ms is not None:
        command += ["-page_duration", str(page_ms * 1000)]
    command += ["-f", container, "pipe:1"]
    return subprocess.run(command, capture_output=True, check=True, timeout=60).stdout


def ffprobe_packets(data: bytes, container: str = "ogg") -> list[dict[str, str]]:
    result = subprocess.run(
        ["ffprobe", "-v", "error", "-f", container, "-show_packets", "-of", "json", "pipe:0"],
        input=data, capture_output=True, check=True, timeout=60,
    )
    return json.loads(result.stdout)["packets"]


@pytest.fixture(scope="session")
def opus_maker() -> Callable[..., bytes]:
    cache: dict[tuple[object, ...], bytes] = {}

    def make(**kwargs: object) -> bytes:
        key = tuple(sorted(kwargs.items()))
        if key not in cache:
            cache[key] = ffmpeg_opus(**kwargs)  # type: ignore[arg-type]
        return cache[key]

    return make
