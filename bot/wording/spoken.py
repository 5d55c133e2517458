"""How the bot says things in a server, in words: the refusals of a dictionary entry (`BadEntry`)
and of a name template (`BadNameTemplate`)."""

from __future__ import annotations

from bot.errors import BadEntry, BadNameTemplate
from bot.i18n import N_, _
from bot.i18n.formatting import number

# What is wrong with each field a member fills in: empty, too long, a mention, markup.
_ENTRY_FIELDS = {
    "word": {"empty": N_("The word can't be empty."),
             "too_long": N_("The word can be at most {limit} characters."),
             "mentions": N_("The word can't contain mentions."),
             "markup": N_("The word can't contain markup characters ({characters})."),
             "no_letter": N_("The word needs at least one letter or digit.")},
    "replacement": {"empty": N_("The replacement can't be empty."),
                    "too_long": N_("The replacement can be at most {limit} characters."),
                    "mentions": N_("The replacement can't contain mentions."),
                    "markup": N_("The replacement can't contain markup characters ({characters}).")},
    "fallback": {"empty": N_("The fallback can't be empty."),
                 "too_long": N_("The fallback can be at most {limit} characters."),
                 "mentions": N_("The fallback can't contain mentions."),
                 "markup": N_("The fallback can't contain markup characters ({characters})."),
                 "lonely_fallback": N_("A fallback only goes with a phoneme replacement.")},
    "phonemes": {"empty": N_("The phoneme span is empty."),
                 "too_long": N_("The phonemes can be at most {limit} characters."),
                 "phoneme_characters": N_("Phonemes are letters, digits, spaces and ' . , : - only "
                                          "(Arpabet such as `HH AH0 L OW1`, pinyin such as `ni3 hao3`, "
                                          "or romaji).")},
}
_MARKUP_SHOWN = "< > [ ] | { } ` \\"

_TEMPLATE = {
    "no_name": N_("The name template must contain {placeholder}."),
    "too_long": N_("The name template can be at most {limit} characters."),
    "mentions": N_("The name template can't contain mentions."),
    "placeholder": N_("The only placeholder in the name template is {placeholder}."),
}


def bad_entry(error: BadEntry) -> str:
    text = _(_ENTRY_FIELDS[error.field][error.why])
    return text.format(limit=number(error.limit), characters=_MARKUP_SHOWN)


def bad_name_template(error: BadNameTemplate) -> str:
    return _(_TEMPLATE[error.why]).format(limit=number(error.limit), placeholder="{name}")
