"""The pseudo-locale as a member's Discord language (the `pseudo_locale` fixture; a plugin of
tests/conftest.py), and every piece of text a member sees in the bot's responses."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bot.i18n import catalogs
from bot.i18n.resolve import DISCORD_LOCALES
from tests.discord_harness import Sent
from tests.i18n import pseudo

PSEUDO_DISCORD_LOCALE = "ru"  # a Discord locale fishbot ships no catalog for


@pytest.fixture
def pseudo_locale(harness: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    catalogs.register(pseudo.LANGUAGE, pseudo.catalog())
    monkeypatch.setitem(DISCORD_LOCALES, PSEUDO_DISCORD_LOCALE, pseudo.LANGUAGE)
    harness.locale = PSEUDO_DISCORD_LOCALE
    yield
    catalogs.unregister(pseudo.LANGUAGE)


def shown(sent: list[Sent]) -> list[str]:
    """Every piece of text a member sees in these responses."""
    texts = []
    for item in sent:
        if item.content:
            texts.append(item.content)
        for embed in item.embeds:
            texts += [t for t in (embed.title, embed.description, embed.footer.text) if t]
            for field in embed.fields:
                texts += [field.name or "", field.value or ""]
        texts += [c["label"] for c in _components(item.components) if c.get("label")]
    return texts


def _components(components: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for component in components:
        yield component
        yield from _components(component.get("components", []))
