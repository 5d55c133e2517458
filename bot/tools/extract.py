"""Refresh the templates and merge them into every language's catalog:

    python -m bot.tools.extract

1. the strings marked with `_`, `N_`, `ngettext` and `pgettext` in `bot/` and `cogs/` go into
   `bot/locales/messages.pot` (Babel's extractor, as `pybabel extract -F babel.cfg` would);
2. the command tree's names, descriptions and choices go into `bot/locales/commands.pot`
   (`bot.tools.extract_commands`);
3. `pybabel update` merges both into `bot/locales/<language>/LC_MESSAGES/*.po`: new strings
   appear with an empty `msgstr` for a translator to fill in, removed ones are marked obsolete.
"""

from __future__ import annotations

from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import write_po

from bot.i18n.catalogs import LOCALES_DIR
from bot.tools import extract_commands

ROOT = LOCALES_DIR.parent.parent
METHOD_MAP = [("bot/**.py", "python"), ("cogs/**.py", "python")]  # the same as babel.cfg
MESSAGES_POT = LOCALES_DIR / "messages.pot"


def code_catalog() -> Catalog:
    """Every string marked for translation in the code, with the files it appears in."""
    catalog = Catalog(project="fishbot", domain="messages", fuzzy=False)
    for filename, _lineno, message, comments, context in extract_from_dir(
        str(ROOT), METHOD_MAP, keywords=DEFAULT_KEYWORDS, strip_comment_tags=True
    ):
        # File only, no line number: the catalogs don't change each time code moves. (Babel writes
        # a None line as just the file, though its type hints ask for an int.)
        where: Any = (filename, None)
        existing = catalog.get(message, context=context)
        if existing is not None and where not in existing.locations:
            existing.locations.append(where)
            continue
        catalog.add(message, locations=[where], auto_comments=comments, context=context,
                    flags=("python-brace-format",) if "{" in str(message) else ())
    return catalog


def main() -> None:
    with MESSAGES_POT.open("wb") as out:
        write_po(out, code_catalog(), omit_header=True, sort_output=True, width=110)
    extract_commands.main()
    pybabel = CommandLineInterface()
    for domain in ("messages", "commands"):
        pybabel.run([
            "pybabel", "-q", "update", "-D", domain, "-i", str(LOCALES_DIR / f"{domain}.pot"),
            "-d", str(LOCALES_DIR), "-w", "110", "--no-fuzzy-matching", "--ignore-pot-creation-date",
        ])


if __name__ == "__main__":
    main()
