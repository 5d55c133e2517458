"""Shared fixtures. The whole-bot fixtures (bot, harness, guild) live in tests/bot_fixtures.py."""

pytest_plugins = ["tests.bot_fixtures", "tests.media_samples", "tests.attachments"]


# --- fakefish: the Fish Audio API stand-in (tests/fakefish) ---------------------------------
import pytest  # noqa: E402

from tests.fakefish import FakeFish  # noqa: E402


@pytest.fixture
async def fakefish():
    """A started FakeFish on 127.0.0.1 (free port), key "test-key", ttfb=0, rtf=0."""
    async with FakeFish(api_key="test-key", ttfb=0.0, rtf=0.0) as fake:
        yield fake
