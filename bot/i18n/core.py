"""The gettext functions and the language they translate into (a context variable, so each
interaction's task has its own)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from bot.i18n.catalogs import translations

DEFAULT_LANGUAGE = "en"
# The languages fishbot ships, as Babel locale identifiers (the catalog directories' names),
# with the name each language calls itself (for /settings language).
LANGUAGES: dict[str, str] = {
    "en": "English",
    "ja": "日本語",
    "ko": "한국어",
    "zh_Hans": "简体中文",
    "zh_Hant": "繁體中文",
    "es": "Español",
    "pt_BR": "Português do Brasil",
    "fr": "Français",
    "de": "Deutsch",
}

_language: ContextVar[str] = ContextVar("fishbot_language", default=DEFAULT_LANGUAGE)


def current_language() -> str:
    return _language.get()


@contextmanager
def using_language(language: str) -> Iterator[None]:
    """Translate into `language` inside the block (messages sent outside an interaction)."""
    token = _language.set(language)
    try:
        yield
    finally:
        _language.reset(token)


def set_language(language: str) -> None:
    """For the rest of the current task (an interaction's handler runs in a task of its own)."""
    _language.set(language)


def _(message: str) -> str:
    return translations(_language.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_language.get()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    return translations(_language.get()).pgettext(context, message)


def npgettext(context: str, singular: str, plural: str, n: int) -> str:
    return translations(_language.get()).npgettext(context, singular, plural, n)


def N_(message: str) -> str:
    """Marks a string for extraction only; translate it with `_` where it is shown."""
    return message
