"""The catalogs against the code: every marked string is in the template and translated in
every language, with the same placeholders; counts use gettext plurals."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest
from babel import Locale
from babel.messages.catalog import Catalog, Message
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po

from bot.i18n import LANGUAGES
from bot.i18n.catalogs import LOCALES_DIR, po_path
from bot.tools.extract import ROOT, code_catalog

TRANSLATED = [language for language in LANGUAGES if language != "en"]
DOMAINS = ("messages", "commands")
HOW_TO_FIX = ("run `python -m bot.tools.extract`, then translate the new entries in every "
              "bot/locales/*/LC_MESSAGES/*.po (README: Languages)")


def read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as source:
        return read_po(source, locale=locale)


def keys(catalog: Catalog) -> set[tuple[str | None, str]]:
    return {(m.context, m.id if isinstance(m.id, str) else m.id[0]) for m in catalog if m.id}


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_every_marked_string_in_the_code_is_in_the_template() -> None:
    in_code = keys(code_catalog())
    in_template = keys(read(LOCALES_DIR / "messages.pot"))
    assert in_code - in_template == set(), f"strings missing from messages.pot: {HOW_TO_FIX}"
    assert in_template - in_code == set(), f"messages.pot has strings the code no longer uses: {HOW_TO_FIX}"


async def test_the_command_template_matches_the_command_tree(bot) -> None:
    from bot.tools.extract_commands import tree_strings

    in_tree = {(item.context, item.message) for item in await tree_strings(bot.tree)}
    in_template = keys(read(LOCALES_DIR / "commands.pot"))
    assert in_tree - in_template == set(), f"commands.pot misses names or descriptions: {HOW_TO_FIX}"
    assert in_template - in_tree == set(), f"commands.pot has strings no command uses: {HOW_TO_FIX}"


@pytest.mark.parametrize("domain", DOMAINS)
@pytest.mark.parametrize("language", TRANSLATED)
def test_every_catalog_translates_every_string(language: str, domain: str) -> None:
    template = read(LOCALES_DIR / f"{domain}.pot")
    catalog = read(po_path(language, domain), locale=language)
    missing, fuzzy = [], []
    for entry in template:
        if not entry.id:
            continue
        found = catalog.get(entry.id, context=entry.context)
        strings = [] if found is None else [found.string] if isinstance(found.string, str) else found.string
        if found is None or not all(strings):
            missing.append(entry.id)
        elif found.fuzzy:
            fuzzy.append(entry.id)
    assert missing == [], f"{language}/{domain}.po lacks translations: {HOW_TO_FIX}"
    assert fuzzy == [], f"{language}/{domain}.po has fuzzy (unchecked) entries"


def _translations(entry: Message) -> list[str]:
    return [entry.string] if isinstance(entry.string, str) else list(entry.string)


@pytest.mark.parametrize("domain", DOMAINS)
@pytest.mark.parametrize("language", TRANSLATED)
def test_placeholders_match_the_english(language: str, domain: str) -> None:
    catalog = read(po_path(language, domain), locale=language)
    wrong = []
    for entry in catalog:
        if not entry.id:
            continue
        ids = [entry.id] if isinstance(entry.id, str) else list(entry.id)
        expected = set().union(*(fields(text) for text in ids))
        for text in _translations(entry):
            if text and fields(text) != expected:
                wrong.append((entry.id, text))
    assert wrong == []


@pytest.mark.parametrize("language", TRANSLATED)
def test_plural_forms_follow_the_language(language: str) -> None:
    catalog = read(po_path(language, "messages"), locale=language)
    plural = get_plural(Locale.parse(language))
    assert catalog.num_plurals == plural.num_plurals
    assert catalog.plural_expr == plural.plural_expr
    for entry in catalog:
        if entry.pluralizable:
            assert len(_translations(entry)) == plural.num_plurals, entry.id


def test_counts_use_gettext_plurals_not_english_tricks() -> None:
    """"message(s)" reads wrongly in every language; ngettext picks the right form."""
    faked = [m.id for m in read(LOCALES_DIR / "messages.pot")
             if m.id and re.search(r"\w\(s\)|\(es\)", str(m.id))]
    assert faked == []


def _python_files() -> list[Path]:
    return sorted([*ROOT.joinpath("bot").rglob("*.py"), *ROOT.joinpath("cogs").rglob("*.py")])


def test_nothing_shadows_the_gettext_function() -> None:
    """`extension, _ = ...` in a module that translates would make `_("…")` call a string."""
    shadowing = []
    for path in _python_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imports_gettext = any(isinstance(node, ast.ImportFrom) and node.module == "bot.i18n"
                              and any(alias.name == "_" for alias in node.names) for node in ast.walk(tree))
        if not imports_gettext:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and node.id == "_" and isinstance(node.ctx, ast.Store):
                shadowing.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert shadowing == []


@pytest.mark.parametrize("language", TRANSLATED)
def test_catalogs_compile_and_translate(language: str) -> None:
    from bot.i18n import _, ngettext, using_language

    with using_language(language):
        assert _("Give me something to say.") != "Give me something to say."
        one = ngettext("Stopped; dropped {count} message.", "Stopped; dropped {count} messages.", 1)
        assert "{count}" in one and one != "Stopped; dropped {count} message."
