"""Shared fixtures. The whole-bot fixtures (bot, harness, guild) live in tests/bot_fixtures.py."""

pytest_plugins = ["tests.bot_fixtures", "tests.media_samples", "tests.attachments"]


# --- fakefish: the Fish Audio API stand-in (tests/fakefish) ---------------------------------
from collections.abc import Callable  # noqa: E402
from datetime import date  # noqa: E402

import pytest  # noqa: E402

from tests.fakefish import FakeFish  # noqa: E402


@pytest.fixture(autouse=True)
def _built_in_models():
    """A bot installs its configured model catalog for the process; each test starts and ends
    with the built-in one, whatever the test before it configured."""
    from bot.fish import tts_models

    tts_models.install(tts_models.BUILT_IN)
    yield
    tts_models.install(tts_models.BUILT_IN)


@pytest.fixture
def set_today(monkeypatch: pytest.MonkeyPatch) -> Callable[[date], None]:
    """`set_today(day)`: the UTC date for the rest of the test, for the bot (its one clock,
    bot/clock.py) and the Fish stand-in alike (which keeps its own, as Fish does)."""
    from bot import clock
    from tests.fakefish import expressive

    def set_(day: date) -> None:
        monkeypatch.setattr(clock, "utc_today", lambda: day)
        monkeypatch.setattr(expressive, "today", lambda: day)

    return set_


@pytest.fixture
async def fakefish():
    """A started FakeFish on 127.0.0.1 (free port), key "test-key", ttfb=0, rtf=0."""
    async with FakeFish(api_key="test-key", ttfb=0.0, rtf=0.0) as fake:
        yield fake
