"""Stopping a child `fishbot` process with a signal and waiting for it to end."""

from __future__ import annotations

import asyncio
import signal

# The requirement: stopped within 5 s of the signal (Docker's grace is 10 s).
STOP_WITHIN_S = 5


async def stopped(child: asyncio.subprocess.Process, sig: signal.Signals) -> str:
    """Send `sig`; the process's log (stderr), once it has ended within STOP_WITHIN_S with exit
    code 0 and no traceback."""
    assert child.stderr is not None
    child.send_signal(sig)
    try:
        _out, err = await asyncio.wait_for(child.communicate(), STOP_WITHIN_S)
    except TimeoutError:
        rest = await ended(child)
        raise AssertionError(f"still running {STOP_WITHIN_S} s after {sig.name}:\n{rest}") from None
    finally:
        await ended(child)
    log = err.decode()
    assert child.returncode == 0, log
    assert "Traceback" not in log, log
    return log


async def ended(child: asyncio.subprocess.Process) -> str:
    """Kill what a failed test left running; what it had still to say."""
    if child.returncode is not None:
        return ""
    child.kill()
    await child.wait()
    assert child.stderr is not None
    return (await child.stderr.read()).decode()
