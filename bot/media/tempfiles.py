"""A private on-disk copy of uploaded bytes for ffmpeg (MP4/M4A need a seekable input), deleted
as soon as the caller is done so uploaded audio never stays on disk."""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path


def _write(data: bytes) -> Path:
    fd, name = tempfile.mkstemp(prefix="fishbot-", suffix=".media")  # mode 0600
    with os.fdopen(fd, "wb") as file:
        file.write(data)
    return Path(name)


@contextlib.asynccontextmanager
async def temporary_copy(data: bytes) -> AsyncIterator[Path]:
    path = await asyncio.to_thread(_write, data)
    try:
        yield path
    finally:
        await asyncio.to_thread(path.unlink, True)
