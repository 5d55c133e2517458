"""What the bot says around members' words, in a given language (the message's, or the server's
for join/leave): the name announcement, forwards, joins and leaves. The phrases are in the gettext
catalogs under the context "spoken", so translators find them beside the replies."""

from __future__ import annotations

from bot.i18n import pgettext, using_language

# The stored default name template: said as each language's own default ("{name}さん、"). A
# template a server chose is theirs and kept as written.
DEFAULT_NAME_TEMPLATE = "{name} said:"


def said(template: str, name: str, language: str) -> str:
    """"Alice said:" before a member's words."""
    if template == DEFAULT_NAME_TEMPLATE:
        with using_language(language):
            template = pgettext("spoken", "{name} said:")
    return template.replace("{name}", name)


def introducing(intro: str) -> str:
    """An announcement as it goes before the words: a space, unless it ends in CJK punctuation
    ("アリスさん、" is followed directly, as Japanese and Chinese are written)."""
    return intro if not intro or intro[-1] in "、，：。" else intro + " "


def forwarded(name: str, language: str) -> str:
    with using_language(language):
        return pgettext("spoken", "{name} forwarded:").format(name=name)


def joined(name: str, language: str) -> str:
    with using_language(language):
        return pgettext("spoken", "{name} joined").format(name=name)


def left(name: str, language: str) -> str:
    with using_language(language):
        return pgettext("spoken", "{name} left").format(name=name)


def someone(language: str) -> str:
    """A name that can't be said (only emoji, say)."""
    with using_language(language):
        return pgettext("spoken", "someone")


def and_so_on(text: str, language: str) -> str:
    """A message cut at the length limit."""
    with using_language(language):
        return pgettext("spoken", "{text}, and so on").format(text=text)
