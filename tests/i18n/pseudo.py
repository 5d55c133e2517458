"""A pseudo-locale: every catalog string accented, lengthened and bracketed (⟦…⟧), placeholders
kept. A reply shown in it that still has plain letters outside the brackets contains text that was
never marked for translation."""

from __future__ import annotations

import io
import re
import string
from collections.abc import Iterable

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from bot.i18n.catalogs import LOCALES_DIR

LANGUAGE = "x_pseudo"
_ACCENTS = str.maketrans("aeiouyAEIOUYcnsz", "áéíóúýÁÉÍÓÚÝçñšž")
_BRACKETED = re.compile(r"⟦[^⟦⟧]*⟧")
# What may appear outside the brackets: mentions, Discord timestamps, code spans, numbers,
# punctuation, emoji (a run of punctuation stops before a mention or timestamp, so that `<t:…:D>`
# after " · " is seen whole).
_ALLOWED = re.compile(r"<[@#][!&]?\d+>|<t:\d+(?::\w)?>|`[^`]*`|(?:(?!<[@#]|<t:)[\W\d_])+")


def pseudo(text: str) -> str:
    parts = []
    for literal, field, spec, conversion in string.Formatter().parse(text):
        parts.append(literal.translate(_ACCENTS))
        if field is not None:
            parts.append("{" + field + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
                         + "}")
    body = "".join(parts)
    return f"⟦{body}{'·' * (len(text) // 3)}⟧"


def catalog() -> Translations:
    merged = Catalog(locale="en", domain="messages", fuzzy=False)
    for domain in ("messages", "commands"):
        with (LOCALES_DIR / f"{domain}.pot").open("rb") as source:
            template = read_po(source)
        for entry in template:
            if not entry.id:
                continue
            if isinstance(entry.id, tuple):
                translated: str | tuple[str, ...] = tuple(pseudo(form) for form in entry.id)
            else:
                translated = pseudo(entry.id)
            merged.add(entry.id, translated, context=entry.context)
    buffer = io.BytesIO()
    write_mo(buffer, merged)
    buffer.seek(0)
    return Translations(buffer)


def unmarked(texts: Iterable[str], *, values: Iterable[str] = ()) -> list[str]:
    """The pieces of `texts` that are outside every translated string (minus known values)."""
    found = []
    for text in texts:
        for value in values:
            text = text.replace(value, " ")
        previous = None
        while previous != text:  # translated strings nest: a permission name inside a sentence
            previous, text = text, _BRACKETED.sub(" ", text)
        rest = _ALLOWED.sub(" ", text).strip()
        if rest:
            found.append(rest)
    return found
