"""Loading the catalogs: each language's `.po` files, compiled by Babel in memory on first use.

The `.po` sources are the only catalog files in the repository: compiling them when they are
first needed (a few milliseconds per language) means a checkout, `pip install -e .`, the Docker
image and CI all run from exactly what translators edited, with no build step to forget and no
stale `.mo` files. `pybabel compile` still works for contributors who want its statistics.
"""

from __future__ import annotations

import functools
import gettext
import io
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAINS = ("messages", "commands")

# Extra catalogs registered at run time (the tests' pseudo-locale).
_registered: dict[str, gettext.NullTranslations] = {}


def po_path(language: str, domain: str) -> Path:
    return LOCALES_DIR / language / "LC_MESSAGES" / f"{domain}.po"


def _compile(path: Path, language: str) -> Translations:
    with path.open("rb") as source:
        catalog = read_po(source, locale=language, domain=path.stem)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain=path.stem)


@functools.cache
def _load(language: str, domain: str) -> gettext.NullTranslations:
    path = po_path(language, domain)
    if not path.is_file():  # English (the source language), or a language without this domain
        return gettext.NullTranslations()
    return _compile(path, language)


def translations(language: str, domain: str = "messages") -> gettext.NullTranslations:
    if language in _registered:
        return _registered[language]
    return _load(language, domain)


def register(language: str, catalog: gettext.NullTranslations) -> None:
    """Use `catalog` for `language` in every domain (tests: a generated pseudo-locale)."""
    _registered[language] = catalog


def unregister(language: str) -> None:
    _registered.pop(language, None)
