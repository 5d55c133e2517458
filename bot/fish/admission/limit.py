"""The account's effective concurrency limit: the configured tier until Fish says otherwise.

A 429 (or the live socket's "Concurrency limit exceeded") means Fish counted more of the account's
requests than it allows: the tier is lower than configured, or another program uses the key. The
limit is then cut below what was in flight when Fish refused (at least by one), and admissions
pause for a short back-off that doubles while refusals continue (Fish promises no Retry-After;
refusals that arrive during a pause belong to the same burst and do not lengthen it).
After `hold_s` without a refusal it grows back by one every `step_s`, up to the configured value:
cut fast, recover gradually (AIMD-style). Several refusals of one burst arrive together and each
cuts to below what was still in flight, so the limit lands on what Fish let through.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

PAUSE_S = 0.25
MAX_PAUSE_S = 4.0
HOLD_S = 30.0
STEP_S = 10.0


class AdaptiveLimit:
    def __init__(self, configured: int, *, clock: Callable[[], float] = time.monotonic,
                 hold_s: float = HOLD_S, step_s: float = STEP_S, pause_s: float = PAUSE_S,
                 max_pause_s: float = MAX_PAUSE_S) -> None:
        if configured < 1:
            raise ValueError("the concurrency limit is at least 1")
        self.configured = configured
        self._clock = clock
        self.hold_s = hold_s
        self.step_s = step_s
        self.base_pause_s = pause_s
        self.max_pause_s = max_pause_s
        self._cut_to: int | None = None  # the limit set by the last cut
        self._cut_at = 0.0
        self._pause_s = pause_s
        self._paused_until = 0.0
        self.cuts = 0

    @property
    def value(self) -> int:
        """The limit now: the last cut plus one for each `step_s` after `hold_s` without a refusal."""
        if self._cut_to is None:
            return self.configured
        since = self._clock() - self._cut_at - self.hold_s
        grown = self._cut_to + (math.floor(since / self.step_s) + 1 if since >= 0 else 0)
        if grown >= self.configured:
            self._cut_to = None  # fully recovered
            return self.configured
        return grown

    def paused_for(self) -> float:
        """Seconds left of the back-off after a refusal (0: admissions may go on)."""
        return max(0.0, self._paused_until - self._clock())

    def next_change_in(self) -> float | None:
        """Seconds until the limit grows by one (None: it is at the configured value)."""
        if self.value >= self.configured or self._cut_to is None:
            return None
        since = self._clock() - self._cut_at - self.hold_s
        if since < 0:
            return -since
        return self.step_s - (since % self.step_s)

    def refused(self, in_flight: int, *, retry_after: float | None = None) -> int:
        """Fish refused a request while `in_flight` of the account's requests (this one included)
        held slots: cut the limit and pause. Returns the new limit."""
        now = self._clock()
        self._cut_to = max(1, min(self.value, in_flight) - 1)
        self._cut_at = now
        if now >= self._paused_until:  # not one more refusal of a burst already paused for
            self._paused_until = now + self._pause_s
            self._pause_s = min(self.max_pause_s, self._pause_s * 2)
        if retry_after is not None:  # a hint Fish does not promise (§0); capped like the back-off
            self._paused_until = max(self._paused_until, now + min(retry_after, self.max_pause_s))
        self.cuts += 1
        return self._cut_to

    def adopt(self, limit: int, pause_s: float) -> None:
        """Another process saw a refusal: take its cut (if lower) and its pause."""
        now = self._clock()
        if limit < self.value:
            self._cut_to = max(1, limit)
            self._cut_at = now
        self._paused_until = max(self._paused_until, now + pause_s)

    def admitted(self) -> None:
        """Fish accepted a request: the next refusal starts again from the shortest pause."""
        self._pause_s = self.base_pause_s
