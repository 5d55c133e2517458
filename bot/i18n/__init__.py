"""Translations: gettext catalogs (Babel), the language of the current interaction, formatting.

Code marks what a member reads with `_("…")` (and `ngettext` for counts); the text is looked up
in the language of the current context (`using_language`), which the command tree and the views
set from the interaction. Strings defined before any language is known (module constants) are
marked with `N_` and translated where they are shown. Placeholders use `str.format` names, so
translators can reorder them: `_("Skipped {name}'s message.").format(name=name)`.
"""

from bot.i18n.core import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    N_,
    _,
    current_language,
    ngettext,
    npgettext,
    pgettext,
    using_language,
)

__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "N_",
    "_",
    "current_language",
    "ngettext",
    "npgettext",
    "pgettext",
    "using_language",
]
