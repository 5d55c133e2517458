"""`fishbot` run as a child process, as an operator runs it."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from tests.startup_standins import child_env


async def fishbot(*args: str, env: dict[str, str], cwd: Path) -> tuple[int, str, str]:
    """Run `python -m bot ...` without blocking the loop the stand-in is serving on."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, cwd=cwd, env=child_env(**env),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()
