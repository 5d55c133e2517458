"""Shared fixtures. The whole-bot fixtures (bot, harness, guild) live in tests/bot_fixtures.py."""

pytest_plugins = [
    "tests.bot_fixtures", "tests.media_samples", "tests.attachments", "tests.helpers.pseudo_locale",
]


# --- the clock: every test runs at a pinned date and time (bot/clock.py) --------------------------
import os  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from datetime import UTC, date, datetime, timedelta  # noqa: E402
from datetime import time as day_time  # noqa: E402

import pytest  # noqa: E402

from bot import clock  # noqa: E402
from tests.fakefish import FakeFish  # noqa: E402
from tests.fakefish import clock as fish_clock  # noqa: E402

# An ordinary noon before s1 retires (2026-12-31). Tests that depend on the date or the time of
# day say so with `set_today`/`set_now`; this default only keeps the rest off the machine's clock.
DEFAULT_NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


class TestClock:
    """`bot.clock` in a test: it stays at the moment the test pinned, whatever the machine's clock
    says, except that each reading is a microsecond later than the one before, so records still
    come out in order. Time of day and date move only when the test moves them."""

    __test__ = False  # not a test class

    def __init__(self, moment: datetime) -> None:
        self.set(moment)

    def set(self, moment: datetime) -> None:
        assert moment.tzinfo is not None, "a pinned moment is timezone-aware (UTC)"
        self._moment = moment

    def now(self) -> datetime:
        self._moment += timedelta(microseconds=1)
        return self._moment


@pytest.fixture(autouse=True)
def test_clock(monkeypatch: pytest.MonkeyPatch) -> TestClock:
    """The clock of the bot and of the Fish stand-in (which keeps its own, as Fish does, pinned
    here to the same), at DEFAULT_NOW unless the test moves it."""
    pinned = TestClock(DEFAULT_NOW)
    monkeypatch.setattr(clock, "utc_now", pinned.now)
    monkeypatch.setattr(fish_clock, "utc_now", pinned.now)
    return pinned


@pytest.fixture
def set_now(test_clock: TestClock) -> Callable[[datetime], None]:
    """`set_now(moment)`: the time from here on (e.g. 23:30 UTC, or a second before midnight)."""
    return test_clock.set


@pytest.fixture
def set_today(test_clock: TestClock) -> Callable[[date], None]:
    """`set_today(day)`: noon UTC on `day` from here on (s1 before or after it retires)."""

    def set_(day: date) -> None:
        test_clock.set(datetime.combine(day, day_time(12), UTC))

    return set_


@pytest.fixture
def before_s1_retires(set_today: Callable[[date], None]) -> None:
    """s1 reads cues its own way until it retires on 2026-12-31 (then Fish serves s2.1-pro):
    tests about those days use it (`pytest.mark.usefixtures("before_s1_retires")`)."""
    set_today(date(2026, 12, 1))


# libfaketime (the README's runs under another date) is preloaded into this process, and its
# 0.9.10 (Debian/Ubuntu) mishandles Python's monotonic waits even with FAKETIME_DONT_FAKE_MONOTONIC:
# - its "monotonic fix" makes every timed wait on a monotonic condition variable time out at once,
#   so a thread waiting for the GIL spins and every hand-over between threads (aiosqlite,
#   asyncio.to_thread, the voice player) crawls: switched off here (libfaketime reads it later);
# - time.sleep's absolute deadline is shifted, so every sleep fails with EINVAL
#   (wolfcw/libfaketime#426) and discord.py's AudioPlayer thread dies on its first frame: sleep on
#   a lock's timeout instead, which libfaketime leaves alone.
UNDER_LIBFAKETIME = "libfaketime" in os.environ.get("LD_PRELOAD", "")
if UNDER_LIBFAKETIME:
    os.environ["FAKETIME_FORCE_MONOTONIC_FIX"] = "0"

    def _sleep(seconds: float) -> None:
        threading.Event().wait(seconds)

    time.sleep = _sleep


def pytest_report_header() -> str:
    """What the machine's clock says (under libfaketime: the faked date), next to the pinned one."""
    machine = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    fix = " (libfaketime: its monotonic fix off, time.sleep on a lock)" if UNDER_LIBFAKETIME else ""
    return f"machine clock: {machine}; tests run on bot.clock pinned at {DEFAULT_NOW:%Y-%m-%d %H:%M} UTC{fix}"


# --- fakefish: the Fish Audio API stand-in (tests/fakefish), and the model catalog ----------


@pytest.fixture(autouse=True)
def _built_in_models():
    """A bot installs its configured model catalog for the process; each test starts and ends
    with the built-in one, whatever the test before it configured."""
    from bot.fish import tts_models

    tts_models.install(tts_models.BUILT_IN)
    yield
    tts_models.install(tts_models.BUILT_IN)


@pytest.fixture
async def fakefish():
    """A started FakeFish on 127.0.0.1 (free port), key "test-key", ttfb=0, rtf=0."""
    async with FakeFish(api_key="test-key", ttfb=0.0, rtf=0.0) as fake:
        yield fake
