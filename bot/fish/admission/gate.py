"""`AdmissionGate`: the one line every slot-holding Fish request waits in.

Fish limits how many requests an account has open at once (5, 15 or 50 by spending tier, whatever
the number of processes); beyond it Fish answers 429. The gate hands out slots under that limit
(`fish.max_concurrency`), in the fair order of `FairLine`, and holds each until the request is done
(a stream until it is closed). A request that Fish refuses anyway (the tier is lower than
configured, another program uses the key) lowers the effective limit (limit.py) and goes back to
the front of the line instead of failing. Waiting is never an error: a waiter can be told its place
in line when the wait gets long (`on_long_wait`).

Who is asking comes from the context (`requested_by`), so the Fish client's methods keep the SDK's
signatures: a cog or the speech path sets it around its Fish calls; requests made outside any
(the bot's own) share one owner.

Everything here runs on the event loop. Slots are released synchronously (`Slot.release`), so no
exit path, cancellation included, can keep one.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from types import TracebackType

from bot import metrics

from .limit import AdaptiveLimit
from .line import FairLine
from .slots import LocalSlots, SlotPool

log = logging.getLogger(__name__)

# Fish's concurrency tiers (§0): Starter under $100 paid, Elevated from $100, High Volume from $1,000.
STARTER_CONCURRENCY = 5
ELEVATED_CONCURRENCY = 15
HIGH_VOLUME_CONCURRENCY = 50
# A request still waiting after this long is told its place in line (when it asked to be).
LONG_WAIT_S = 5.0
# Fish refusing the same request this many times in a row (about 30 s of back-off) fails it.
MAX_REFUSALS = 10
# With slots shared between processes, a waiting process looks again this often: a process that
# died frees its slots without a word.
POLL_S = 1.0

LongWait = Callable[[int], Awaitable[None] | None]
BOT_OWNER = "bot"


@dataclass(frozen=True)
class Requester:
    """Whose turn a Fish request takes (`owner`), and how to tell them about a long wait."""

    owner: Hashable = BOT_OWNER
    on_long_wait: LongWait | None = None


_BOT = Requester()
_requester: ContextVar[Requester | None] = ContextVar("fish_requester", default=None)


def owner_of(guild_id: int | None, user_id: int | None = None) -> str:
    """A server's requests take turns as one owner; a member's DMs are an owner of their own."""
    if guild_id is not None:
        return f"guild:{guild_id}"
    if user_id is not None:
        return f"dm:{user_id}"
    return BOT_OWNER


@contextlib.contextmanager
def requested_by(guild_id: int | None, user_id: int | None = None, *,
                 on_long_wait: LongWait | None = None) -> Iterator[Requester]:
    """Fish requests made inside the block take `guild_id`'s turn (`user_id`'s, in DMs)."""
    requester = Requester(owner_of(guild_id, user_id), on_long_wait)
    token = _requester.set(requester)
    try:
        yield requester
    finally:
        _requester.reset(token)


def current_requester() -> Requester:
    return _requester.get() or _BOT


class Slot:
    """One admitted request's hold on the account's concurrency. `release()` is idempotent."""

    def __init__(self, gate: AdmissionGate, token: Hashable, owner: Hashable, waited_s: float) -> None:
        self._gate = gate
        self._token = token
        self.owner = owner
        self.waited_s = waited_s
        self.released = False

    @property
    def token(self) -> Hashable:
        return self._token

    def release(self) -> None:
        if not self.released:
            self.released = True
            self._gate._give_back(self)

    def accepted(self) -> None:
        """Fish took the request (a 2xx): the next refusal's back-off starts short again."""
        self._gate.limit_state.admitted()

    async def refused(self, retry_after: float | None = None) -> None:
        """Fish refused the request for concurrency: lower the limit, then release the slot."""
        await self._gate._refused(self, retry_after)

    async def __aenter__(self) -> Slot:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        self.release()


class _Waiter:
    __slots__ = ("enqueued_at", "future", "owner")

    def __init__(self, owner: Hashable, future: asyncio.Future[Slot], enqueued_at: float) -> None:
        self.owner = owner
        self.future = future
        self.enqueued_at = enqueued_at


class AdmissionGate:
    def __init__(self, limit: int, *, pool: SlotPool | None = None,
                 clock: Callable[[], float] = time.monotonic, long_wait_s: float = LONG_WAIT_S,
                 poll_s: float | None = None, limit_state: AdaptiveLimit | None = None) -> None:
        self.limit_state = limit_state or AdaptiveLimit(limit, clock=clock)
        self._clock = clock
        self._pool: SlotPool = pool or LocalSlots()
        self._pool.attach(self)
        self.long_wait_s = long_wait_s
        # Only a shared pool needs looking at again without a wake-up.
        self._poll_s = poll_s if poll_s is not None else (None if pool is None else POLL_S)
        self._line: FairLine[_Waiter] = FairLine()
        self._in_use = 0
        self._task: asyncio.Task[None] | None = None
        self._again = False
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = 0.0
        self._notices: set[asyncio.Future[None]] = set()
        self.refusals = 0  # requests Fish refused for concurrency (each went back in line)
        metrics.watch_gate(self)

    # --- state -----------------------------------------------------------------------------

    @property
    def limit(self) -> int:
        """The effective limit now (the configured one unless Fish refused requests lately)."""
        return self.limit_state.value

    @property
    def configured(self) -> int:
        return self.limit_state.configured

    @property
    def in_use(self) -> int:
        """Slots held by this process's requests."""
        return self._in_use

    @property
    def waiting(self) -> int:
        return len(self._line)

    # --- admission -------------------------------------------------------------------------

    async def acquire(self, *, owner: Hashable | None = None, front: bool = False,
                      on_long_wait: LongWait | None = None) -> Slot:
        """Wait for a slot (in the requester's turn, or ahead of everyone when `front`)."""
        requester = current_requester()
        owner = requester.owner if owner is None else owner
        on_long_wait = on_long_wait or requester.on_long_wait
        loop = asyncio.get_running_loop()
        waiter = _Waiter(owner, loop.create_future(), self._clock())
        self._line.push(waiter, owner, front=front)
        self._kick()
        timer = None
        if on_long_wait is not None:
            timer = loop.call_later(self.long_wait_s, self._tell_place, waiter, on_long_wait)
        try:
            return await waiter.future
        except asyncio.CancelledError:
            if waiter.future.done() and not waiter.future.cancelled():
                waiter.future.result().release()  # admitted just as the wait was given up
            else:
                self._line.remove(waiter)
            raise
        finally:
            if timer is not None:
                timer.cancel()

    @contextlib.asynccontextmanager
    async def admit(self, *, owner: Hashable | None = None,
                    on_long_wait: LongWait | None = None) -> AsyncIterator[Slot]:
        """`async with gate.admit() as slot:` a slot held for the block."""
        slot = await self.acquire(owner=owner, on_long_wait=on_long_wait)
        try:
            yield slot
        finally:
            slot.release()

    # --- the pool's listener ----------------------------------------------------------------

    def wake(self) -> None:
        """A slot may have come free (another process released one)."""
        if self._line:
            self._kick()

    def adopt(self, limit: int, pause_s: float) -> None:
        """Another process saw Fish refuse a request: its cut applies here too."""
        self.limit_state.adopt(limit, pause_s)
        self.wake()

    # --- inside ------------------------------------------------------------------------------

    def _give_back(self, slot: Slot) -> None:
        self._in_use -= 1
        self._pool.give_back(slot.token)
        if self._line:
            self._kick()

    async def _refused(self, slot: Slot, retry_after: float | None) -> None:
        try:
            in_flight = max(1, await self._pool.in_use())  # this slot included: not given back yet
            limit = self.limit_state.refused(in_flight, retry_after=retry_after)
            pause = self.limit_state.paused_for()
            self._pool.announce_cut(limit, pause)
            self.refusals += 1
            metrics.fish_slot_refused()
            log.info("Fish Audio refused a request for concurrency with %d in flight: limit %d "
                     "(configured %d), admissions paused %.2f s", in_flight, limit, self.configured, pause)
        finally:
            slot.release()

    def _kick(self) -> None:
        self._again = True
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._dispatch_loop(), name="fish-admission")

    async def _dispatch_loop(self) -> None:
        while self._again:
            self._again = False
            try:
                await self._dispatch()
            except Exception:  # a bug must not leave waiters waiting for ever
                log.exception("admitting Fish requests failed; trying again in %.0f s", POLL_S)
                self._wake_in(POLL_S)
                return

    async def _dispatch(self) -> None:
        while self._line:
            pause = self.limit_state.paused_for()
            if pause > 0:
                self._wake_in(pause)
                return
            token = await self._pool.take(self.limit)
            if token is None:
                change = self.limit_state.next_change_in()
                if change is not None:
                    self._wake_in(change)
                if self._poll_s is not None:
                    self._wake_in(self._poll_s)
                return
            waiter = self._next_waiter()
            if waiter is None:  # everyone waiting gave up meanwhile
                self._pool.give_back(token)
                break
            slot = Slot(self, token, waiter.owner, max(0.0, self._clock() - waiter.enqueued_at))
            self._in_use += 1
            metrics.fish_slot_waited(slot.waited_s)
            waiter.future.set_result(slot)
        self._pool.idle()

    def _next_waiter(self) -> _Waiter | None:
        """The next waiter still waiting (a cancelled one's future is done before it leaves)."""
        while self._line:
            waiter = self._line.pop()
            if not waiter.future.done():
                return waiter
        return None

    def _wake_in(self, delay: float) -> None:
        loop = asyncio.get_running_loop()
        at = loop.time() + delay
        if self._timer is not None and not self._timer.cancelled() and self._timer_at <= at:
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer_at = at
        self._timer = loop.call_at(at, self._timer_fired)

    def _timer_fired(self) -> None:
        self._timer = None
        self.wake()

    def _tell_place(self, waiter: _Waiter, on_long_wait: LongWait) -> None:
        place = self._line.position(waiter)
        if place is None:
            return
        try:
            result = on_long_wait(place)
        except Exception:
            log.exception("telling a waiting request its place failed")
            return
        if inspect.isawaitable(result):
            notice = asyncio.ensure_future(result)
            self._notices.add(notice)
            notice.add_done_callback(self._notice_done)

    def _notice_done(self, notice: asyncio.Future[None]) -> None:
        self._notices.discard(notice)
        if not notice.cancelled() and notice.exception() is not None:
            log.error("telling a waiting request its place failed", exc_info=notice.exception())

    async def start(self) -> None:
        """Join the other processes now (shared slots): hear their cuts before the first request."""
        await self._pool.start()

    async def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._pool.close()
