"""A circuit breaker for Fish Audio's TTS, one per process.

After `failures` outage-like errors in a row (5xx, no connection, a connection that broke, a time-
out) the breaker opens: new TTS requests are refused at once for a cool-off, so members are not each
kept waiting for a Fish that is down, and narration drops messages instead of queueing them. When
the cool-off is over one request is let through as a probe: its success closes the breaker, its
failure opens it again for twice as long (up to `max_cool_off`). Any success closes it.

Errors that say nothing about Fish being up (a rejected request, no credit, a rate limit) neither
open nor close it.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable

from bot.errors import ClipStalled, FishUnavailable
from bot.fish import FishNetworkError, FishTimeoutError, ServerError

log = logging.getLogger(__name__)


def is_outage(error: BaseException) -> bool:
    """Does `error` suggest Fish is down (rather than that this one request was wrong)?"""
    return isinstance(error, ServerError | FishNetworkError | FishTimeoutError | ClipStalled)


class FishBreaker:
    def __init__(self, *, failures: int = 3, cool_off: float = 5.0, max_cool_off: float = 120.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.threshold = failures
        self.base_cool_off = cool_off
        self.max_cool_off = max_cool_off
        self._clock = clock
        self._failures = 0
        self._cool_off = cool_off
        self._open_until: float | None = None
        self._probing = False
        # Which outage this is (1, 2...): sessions tell their members once per outage.
        self._outages = itertools.count(1)
        self.outage: int | None = None

    @property
    def is_open(self) -> bool:
        return self._open_until is not None

    def retry_in(self) -> float:
        return 0.0 if self._open_until is None else max(0.0, self._open_until - self._clock())

    def check(self) -> bool:
        """Before a TTS request: raise FishUnavailable while open. After the cool-off one caller
        goes through as the probe (True is returned to it); others keep being refused until the
        probe has an answer."""
        if self._open_until is None:
            return False
        if self._clock() >= self._open_until and not self._probing:
            self._probing = True
            return True
        raise FishUnavailable(self.retry_in() or self._cool_off, self.outage)

    def refuse_if_open(self) -> None:
        """Before queueing new speech: refuse while the cool-off runs (without taking the probe)."""
        if self._open_until is not None and self._clock() < self._open_until:
            raise FishUnavailable(self.retry_in(), self.outage)

    def abandon(self) -> None:
        """The probe was cancelled before it had an answer (a skip): let the next request probe."""
        self._probing = False

    def success(self) -> None:
        if self._open_until is not None:
            log.info("Fish Audio answers again; the breaker is closed")
        self._failures = 0
        self._cool_off = self.base_cool_off
        self._open_until = None
        self._probing = False
        self.outage = None

    def failure(self, error: BaseException) -> None:
        """Count a failed TTS request (only outage-like errors count)."""
        if not is_outage(error):
            self._probing = False
            return
        if self._probing:  # the probe failed: open again, for longer
            self._probing = False
            self._cool_off = min(self.max_cool_off, self._cool_off * 2)
            self._open(error)
            return
        self._failures += 1
        if self._open_until is None and self._failures >= self.threshold:
            self._open(error)

    def _open(self, error: BaseException) -> None:
        if self.outage is None:
            self.outage = next(self._outages)
        self._open_until = self._clock() + self._cool_off
        log.warning("Fish Audio failed %d times in a row (last: %s); not sending TTS for %.1f s",
                    max(self._failures, 1), type(error).__name__, self._cool_off)
