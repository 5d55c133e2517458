"""One process-wide line for the ffmpeg work on members' files: at most `MAX_JOBS` ffmpeg/ffprobe
processes at once, a short queue behind them served in order, and a clear "busy" when the queue
is full, so a burst of uploads can't take every core (or the memory of many decoders) at once.

Every `bot.media` process takes a slot by itself (`ffmpeg.run`). A job of several steps (check
a file, then convert it) holds one slot for all of them with `slot()`; the processes it runs
inside count against that slot instead of queueing again. A member who has to wait long is told
their place in line through `notice`; a short wait says nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable

import discord

from bot.i18n import _
from bot.i18n.formatting import number
from bot.media.errors import MediaBusy

log = logging.getLogger(__name__)

# Two cores' worth: the bot's voice playback needs CPU too.
MAX_JOBS = 2
MAX_WAITING = 8
# Waits shorter than this go unmentioned.
LONG_WAIT_S = 5.0

Notice = Callable[[int], Awaitable[None]]  # called with the member's place in line

# The task holding a slot (tasks it starts inherit the variable, but are other tasks: they queue).
_holder: contextvars.ContextVar[asyncio.Task[object] | None] = contextvars.ContextVar(
    "media_slot_holder", default=None)


class MediaJobs:
    def __init__(self, limit: int = MAX_JOBS, max_waiting: int = MAX_WAITING,
                 long_wait_s: float = LONG_WAIT_S) -> None:
        self.limit, self.max_waiting, self.long_wait_s = limit, max_waiting, long_wait_s
        self.running = 0
        self._waiting: deque[asyncio.Future[None]] = deque()

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    @contextlib.asynccontextmanager
    async def slot(self, notice: Notice | None = None) -> AsyncIterator[None]:
        """Hold one slot for the block (at once when this very task already holds one)."""
        task = asyncio.current_task()
        if task is not None and _holder.get() is task:
            yield
            return
        await self._acquire(notice)
        token = _holder.set(task)
        try:
            yield
        finally:
            _holder.reset(token)
            self._release()

    async def _acquire(self, notice: Notice | None) -> None:
        if self.running < self.limit and not self._waiting:
            self.running += 1
            return
        if len(self._waiting) >= self.max_waiting:
            raise MediaBusy
        turn = asyncio.get_running_loop().create_future()
        self._waiting.append(turn)
        try:
            try:
                await asyncio.wait_for(asyncio.shield(turn), self.long_wait_s)
            except TimeoutError:
                if notice is not None and not turn.done():
                    await notice(self._waiting.index(turn) + 1)
                await turn
        except BaseException:
            if turn.done() and not turn.cancelled():
                self._release()  # the slot was handed over just as we gave up: pass it on
            else:
                turn.cancel()
                with contextlib.suppress(ValueError):
                    self._waiting.remove(turn)
            raise

    def _release(self) -> None:
        while self._waiting:
            turn = self._waiting.popleft()
            if not turn.done():
                turn.set_result(None)  # the slot goes straight to the next in line
                return
        self.running -= 1


# The process's one line (tests may swap it for a smaller one).
JOBS = MediaJobs()


def slot(notice: Notice | None = None) -> contextlib.AbstractAsyncContextManager[None]:
    return JOBS.slot(notice)


def queue_notice(edit: Callable[..., Awaitable[object]], name: str) -> Notice:
    """A notice that tells the waiting member where `name` is in line, by editing their reply
    with `edit(content=…)` (e.g. `interaction.edit_original_response`, `message.edit`)."""
    async def notice(place: int) -> None:
        text = _("Lots of audio is being processed right now: `{name}` is number {place} in line. "
                 "I'll carry on as soon as it's its turn.").format(name=name, place=number(place))
        try:
            await edit(content=text)
        except discord.HTTPException:
            log.info("could not show the media queue notice", exc_info=True)
    return notice
