"""Delivery cues per model, and the text sent to Fish built for the model that will read it.

Fish's models disagree on how a cue is written (fish-audio-api.md §0):

- S2 family: free-form bracket cues anywhere: `[whispering]`, `[tired, end of a long shift]`.
- `drama-3` (and `drama-3-preview`): the same bracket directions, plus paired tags around words:
  `<whisper>…</whisper>`, `<emphasis>`, `<soft>`, `<loud>`, `<fast>`, `<slow>`, `<french>…</french>`.
- `s1`: a fixed list of emotions in parentheses, `(happy)`, until it retires on 2026-12-31; from
  then on Fish serves it as `s2.1-pro`, which reads brackets and says parentheses aloud.

Members write cues one way (brackets, and paired tags for drama-3) and `render` rewrites them for
the model: a cue the model cannot act on is dropped rather than read aloud, and text that only
looks like a cue (`[citation needed]`, `(happy)` on s1, a `<|speaker:1|>` marker) is neutralised:
the words stay, as an aside in parentheses where that is safe.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

from babel import Locale, UnknownLocaleError

from bot import clock
from bot.errors import BadStyle
from bot.fish.tts_models import BUILT_IN, CueStyle, catalog
from bot.i18n import _, current_language
from bot.i18n.formatting import day

Dialect = Literal["brackets", "drama", "parens", "plain"]

# Derived from the one model list (bot/fish/tts_models.py): s1's dates for its help text, and
# every model's cue style from the catalog in force (configured models included).
_S1 = BUILT_IN.get("s1")
assert _S1 is not None and _S1.retires is not None and _S1.replacement is not None
S1_RETIRES = _S1.retires
S1_REPLACEMENT = _S1.replacement
_DIALECTS: dict[CueStyle, Dialect] = {"bracket": "brackets", "drama": "drama", "parenthesis": "parens"}

# What the help view and autocomplete suggest; S2 and drama-3 take any description as well.
BRACKET_CUES: tuple[str, ...] = (
    "whispering", "excited", "laughing", "sad", "angry", "calm", "shouting", "sighing", "nervous",
    "happy", "sarcastic", "scared", "crying", "tired", "surprised", "serious",
)
DRAMA_TAGS: tuple[str, ...] = ("whisper", "emphasis", "soft", "loud", "fast", "slow")
# drama-3's language tags (its tokens) → the language's code, for its name in the member's language.
DRAMA_LANGUAGE_CODES: dict[str, str] = {
    "english": "en", "french": "fr", "german": "de", "spanish": "es", "italian": "it",
    "portuguese": "pt", "japanese": "ja", "chinese": "zh", "korean": "ko", "russian": "ru",
    "arabic": "ar", "dutch": "nl", "polish": "pl", "turkish": "tr", "hindi": "hi",
}
DRAMA_LANGUAGES: tuple[str, ...] = tuple(DRAMA_LANGUAGE_CODES)
# s1 understands exactly these (Fish's emotion reference); anything else in parentheses is read.
S1_EMOTIONS: tuple[str, ...] = (
    "happy", "sad", "angry", "excited", "calm", "nervous", "confident", "surprised", "satisfied",
    "delighted", "scared", "worried", "upset", "frustrated", "depressed", "empathetic",
    "embarrassed", "disgusted", "moved", "proud", "relaxed", "grateful", "curious", "sarcastic",
    "joyful", "hesitating", "serious", "impatient", "anxious", "sincere",
    "whispering", "shouting", "screaming", "soft tone", "in a hurry tone",
    "laughing", "chuckling", "sobbing", "crying loudly", "sighing", "panting", "groaning",
    "crowd laughing", "background laughter", "audience laughing",
)
_S1_SET = frozenset(S1_EMOTIONS)
# Everyday spellings of a cue mapped onto s1's fixed words.
_S1_SYNONYMS = {
    "whisper": "whispering", "whispers": "whispering", "shout": "shouting", "shouts": "shouting",
    "laugh": "laughing", "laughs": "laughing", "sigh": "sighing", "sighs": "sighing",
    "scream": "screaming", "crying": "sobbing", "cry": "sobbing", "chuckle": "chuckling",
    "soft": "soft tone", "fast": "in a hurry tone", "hurried": "in a hurry tone", "pant": "panting",
    "groan": "groaning", "loud": "shouting",
}
# A drama-3 tag said as a bracket direction for the other models.
TAG_AS_DIRECTION = {
    "whisper": "whispering", "emphasis": "emphasis", "soft": "softly", "loud": "loudly",
    "fast": "quickly", "slow": "slowly",
}
CUE_LIMIT = 80  # characters in one cue; longer "cues" are ordinary text

# Fish's own tokens (speaker markers, phoneme spans) never come from what a member wrote.
_FISH_TOKEN = re.compile(r"<\|[^<>]*?\|>")
_TAG_NAMES = "|".join((*DRAMA_TAGS, *DRAMA_LANGUAGES))
_CUE = re.compile(
    rf"\[(?P<direction>[^\[\]\n]{{1,{CUE_LIMIT}}})\]"
    rf"|<(?P<tag>{_TAG_NAMES})>(?P<inner>[^<>]*)</(?P=tag)>",
    re.IGNORECASE,
)
_ANGLE_TAG = re.compile(r"</?[A-Za-z][\w-]*(?:\s[^<>]*)?/?>")
_S1_PAREN = re.compile(r"\(\s*([^()\n]{1,40}?)\s*\)")


def dialect(model: str, on: date | None = None) -> Dialect:
    """How `model` reads cues (on the given day: a retired model reads as its replacement)."""
    models = catalog()
    known = models.get(models.serving(model, on or clock.utc_today()))
    # A model we know nothing about gets no cues at all, never stray markup.
    return _DIALECTS[known.cues] if known is not None else "plain"


def multi_speaker(model: str, on: date | None = None) -> bool:
    """Whether one request can carry several voices (S2 family and drama-3; not s1)."""
    models = catalog()
    known = models.get(models.serving(model, on or clock.utc_today()))
    return known is not None and known.multi_speaker


# --- the pieces of a member's text ------------------------------------------------------------


@dataclass(frozen=True)
class Words:
    text: str


@dataclass(frozen=True)
class Direction:
    """A bracket cue: "whispering", or a free description."""

    words: str


@dataclass(frozen=True)
class Span:
    """A drama-3 paired tag around some words."""

    tag: str
    inner: str


Piece = Words | Direction | Span
Style = Direction | Span


def parse(text: str, *, cues_allowed: bool) -> list[Piece]:
    """Split a member's text into words and cues. With cues not allowed it is all words (to be
    neutralised), whatever it looks like."""
    if not cues_allowed:
        return [Words(text)] if text else []
    pieces: list[Piece] = []
    at = 0
    for match in _CUE.finditer(text):
        if match.start() > at:
            pieces.append(Words(text[at:match.start()]))
        if match["direction"] is not None:
            words = " ".join(match["direction"].split())
            pieces.append(Direction(words) if words else Words(" "))
        else:
            pieces.append(Span(match["tag"].lower(), match["inner"]))
        at = match.end()
    if at < len(text):
        pieces.append(Words(text[at:]))
    return pieces


# --- rendering for one model ------------------------------------------------------------------


def s1_emotion(words: str) -> str | None:
    """The s1 tag for a cue, if s1 has one."""
    key = " ".join(words.lower().split())
    if key in _S1_SET:
        return key
    return _S1_SYNONYMS.get(key)


def neutralise(text: str, model: str, on: date | None = None) -> str:
    """Plain text made safe for `model`: nothing in it can act as a cue or a speaker change."""
    text = _ANGLE_TAG.sub(" ", _FISH_TOKEN.sub(" ", text))
    if dialect(model, on) == "parens":
        # s1 reads brackets as words, but its own emotions in parentheses as cues.
        text = text.replace("[", " ").replace("]", " ")
        return _S1_PAREN.sub(lambda m: m[1] if s1_emotion(m[1]) == m[1].lower() else m[0], text)
    return text.replace("[", "(").replace("]", ")")  # "[citation needed]" → "(citation needed)"


def _direction(words: str, kind: Dialect) -> str:
    if kind in ("brackets", "drama"):
        return f"[{words}]"
    if kind == "parens":
        emotion = s1_emotion(words)
        return f"({emotion})" if emotion else ""
    return ""


def render(pieces: list[Piece], model: str, on: date | None = None) -> str:
    """The text to send to `model`: cues in its own syntax, cues it lacks dropped, words safe."""
    kind = dialect(model, on)
    out: list[str] = []
    for piece in pieces:
        if isinstance(piece, Words):
            out.append(neutralise(piece.text, model, on))
        elif isinstance(piece, Direction):
            cue = _direction(piece.words, kind)
            out.append(f"{cue} " if cue else " ")
        else:
            inner = neutralise(piece.inner, model, on)
            if kind == "drama":
                out.append(f"<{piece.tag}>{inner}</{piece.tag}>")
            elif piece.tag in TAG_AS_DIRECTION:
                cue = _direction(TAG_AS_DIRECTION[piece.tag], kind)
                out.append(f"{cue} {inner}" if cue else inner)
            else:  # a language switch only drama-3 can make: the words stay
                out.append(inner)
    return " ".join("".join(out).split())


# --- a style for the whole text ---------------------------------------------------------------


def parse_style(style: str) -> Style | None:
    """A style as typed or picked: "whispering", "[whispering]", "<whisper>" or "(happy)"."""
    value = " ".join(style.strip().split())
    if value.startswith("<") and value.endswith(">"):
        tag = value[1:-1].strip().lower()
        return Span(tag, "") if tag in (*DRAMA_TAGS, *DRAMA_LANGUAGES) else None
    if len(value) >= 2 and value[0] + value[-1] in ("[]", "()"):
        value = value[1:-1].strip()
    if not value or len(value) > CUE_LIMIT or any(c in value for c in "[]<>()|"):
        return None
    return Direction(value)


def with_style(pieces: list[Piece], style: Style | None) -> list[Piece]:
    """The whole text under one style: a direction in front, or a drama tag around the words."""
    if style is None:
        return pieces
    if isinstance(style, Span):
        if all(isinstance(p, Words) for p in pieces):
            return [Span(style.tag, "".join(p.text for p in pieces if isinstance(p, Words)))]
        tag_cue = TAG_AS_DIRECTION.get(style.tag)
        return [Direction(tag_cue), *pieces] if tag_cue else pieces
    return [style, *pieces]


def style_works(style: Style, model: str, on: date | None = None) -> bool:
    """Whether `model` can act on this style (else it would be dropped from the text)."""
    kind = dialect(model, on)
    if kind == "plain":
        return False
    if kind == "parens":
        words = style.words if isinstance(style, Direction) else TAG_AS_DIRECTION.get(style.tag, "")
        return s1_emotion(words) is not None
    if kind == "brackets" and isinstance(style, Span):
        return style.tag in TAG_AS_DIRECTION
    return True


def check_style(style: str, model: str, on: date | None = None) -> str:
    """A style a member picked, tidied, or a refusal saying why `model` can't take it."""
    piece = parse_style(style)
    if piece is None:
        raise BadStyle(model, style, "malformed")
    if not style_works(piece, model, on):
        shown = " ".join(style.split())[:80]
        raise BadStyle(model, shown, "no_emotion" if dialect(model, on) == "parens" else "unsupported")
    return " ".join(style.split())


def for_model(text: str, model: str, *, style: str | None = None, cues_allowed: bool = False,
              on: date | None = None) -> str:
    """The one entry point: a member's text, their style and the server's switch → Fish's text."""
    style_piece = parse_style(style) if style else None
    return render(with_style(parse(text, cues_allowed=cues_allowed), style_piece), model, on)


# --- the catalogue the help view and autocomplete show ----------------------------------------


@dataclass(frozen=True)
class CueHelp:
    """One cue as shown to members: how to write it for the model (the model's own token, never
    translated), a label in the member's language, and the `style` value."""

    label: str
    written: str
    style: str


def language_name(code: str) -> str:
    """A language's name in the current language (CLDR, through Babel): "French", "フランス語"."""
    try:
        locale = Locale.parse(current_language())
    except (UnknownLocaleError, ValueError):  # a test's pseudo-locale: English names
        locale = Locale.parse("en")
    return locale.languages.get(code, code)


def catalogue(model: str, on: date | None = None) -> list[CueHelp]:
    """The cues to suggest for `model` (labels in the current language)."""
    kind = dialect(model, on)
    if kind == "parens":
        return [CueHelp(e, f"({e})", e) for e in S1_EMOTIONS]
    if kind == "plain":
        return []
    cues = [CueHelp(c, f"[{c}]", c) for c in BRACKET_CUES]
    if kind == "drama":
        cues += [CueHelp(_("{tag} (words inside)").format(tag=t), f"<{t}>…</{t}>", f"<{t}>")
                 for t in DRAMA_TAGS]
        cues += [CueHelp(_("in {language}").format(language=language_name(code)), f"<{lang}>…</{lang}>",
                         f"<{lang}>")
                 for lang, code in DRAMA_LANGUAGE_CODES.items()]
    return cues


def describe(model: str, on: date | None = None) -> str:
    """A line on how `model` takes cues."""
    kind = dialect(model, on)
    if kind == "brackets":
        if model == "s1":
            return _("Square brackets anywhere, any description works: `[whispering]`, "
                     "`[tired, after a long day]` (s1 now runs as {replacement}).").format(
                replacement=S1_REPLACEMENT)
        return _("Square brackets anywhere, any description works: `[whispering]`, "
                 "`[tired, after a long day]`.")
    if kind == "drama":
        return _("Square-bracket directions, plus tags around words: `<whisper>not now</whisper>`, "
                 "`<slow>`, `<emphasis>`, `<french>bonjour</french>`.")
    if kind == "parens":
        return _("A fixed list of emotions in parentheses: `(happy)`, `(whispering)`. "
                 "s1 retires on {date}; {replacement} takes brackets instead.").format(
            date=day(S1_RETIRES), replacement=S1_REPLACEMENT)
    return _("This model takes no cues: they are left out of what it reads.")
