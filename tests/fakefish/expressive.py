"""How each TTS model reads expressive markup, and the multi-speaker checks (fish-audio-api.md §0).

- S2 family (`s2-pro`, `s2.1-pro`, `s2.1-pro-free`): free-form bracket cues anywhere (`[whispers]`);
  parentheses and angle tags are ordinary text, read aloud.
- `drama-3` (generally available since 2026-10-13; `drama-3-preview` is its August name): bracket
  directions plus paired tags (`<whisper>…</whisper>`, `<emphasis>`,
  `<soft>`, `<fast>`, `<slow>`, `<loud>`, language switches such as `<french>…</french>`); a tag
  without its partner is read aloud.
- `s1`: a fixed list of emotions in parentheses (`(happy)`); brackets are read aloud. From its
  retirement on 2026-12-31 it is served as `s2.1-pro`, so parentheses become plain text.
- Multi-speaker (S2 family and drama-3; not s1): `reference_id` as a list plus `<|speaker:N|>`
  markers. Every marker must name a listed voice and every listed voice must have a line, or the
  request is a 400. Markers above 0 without a list are a 400 too. drama-3 takes up to 16 speakers.

`performance(model, text)` is what the stand-in "hears": the cues it acted on and the words it
read aloud. Tests use it (via `performance_of(record)`) to prove that a cue never reached a model
that would have read it out.

Decisions where the docs leave room: `<|...|>` control tokens (speaker markers, phoneme brackets)
are never read aloud; text before the first speaker marker is accepted (spoken by speaker 0).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from . import clock

S2_FAMILY = frozenset({"s2-pro", "s2.1-pro", "s2.1-pro-free"})
DRAMA = frozenset({"drama-3", "drama-3-preview"})
DRAMA_MAX_SPEAKERS = 16
MULTI_SPEAKER = S2_FAMILY | DRAMA
S1_RETIRES = date(2026, 12, 31)
S1_EMOTIONS = frozenset({
    "happy", "sad", "angry", "excited", "calm", "nervous", "confident", "surprised", "satisfied",
    "delighted", "scared", "worried", "upset", "frustrated", "depressed", "empathetic",
    "embarrassed", "disgusted", "moved", "proud", "relaxed", "grateful", "curious", "sarcastic",
    "joyful", "hesitating", "serious", "impatient", "anxious", "sincere",
    "whispering", "shouting", "screaming", "soft tone", "in a hurry tone",
    "laughing", "chuckling", "sobbing", "crying loudly", "sighing", "panting", "groaning",
    "crowd laughing", "background laughter", "audience laughing",
})
DRAMA_TAGS = frozenset({"whisper", "emphasis", "soft", "loud", "fast", "slow"})
DRAMA_LANGUAGES = frozenset({
    "english", "french", "german", "spanish", "italian", "portuguese", "japanese", "chinese",
    "korean", "russian", "arabic", "dutch", "polish", "turkish", "hindi",
})

SPEAKER = re.compile(r"<\|speaker:(\d+)\|>")
CONTROL = re.compile(r"<\|[a-z_]+(?::\d+)?\|>")
BRACKET = re.compile(r"\[([^\[\]\n]{1,200})\]")
PAREN = re.compile(r"\(([^()\n]{1,40})\)")
PAIRED = re.compile(r"<([a-z]+)>(.*?)</\1>", re.DOTALL)


def today() -> date:
    """The stand-in's idea of today, its own as Fish's is (tests pin it with the bot's)."""
    return clock.today()


def served_as(model: str) -> str:
    """The model that actually reads the text: a retired s1 is served as s2.1-pro."""
    return "s2.1-pro" if model == "s1" and today() >= S1_RETIRES else model


@dataclass
class Performance:
    cues: list[str] = field(default_factory=list)  # what the model acted on
    spoken: str = ""  # the words it read aloud (whitespace collapsed)
    speakers: list[int] = field(default_factory=list)  # speaker markers, in order


def _squash(text: str) -> str:
    return " ".join(text.split())


def performance(model: str, text: str) -> Performance:
    model = served_as(model)
    result = Performance(speakers=[int(n) for n in SPEAKER.findall(text)])
    rest = CONTROL.sub(" ", text)

    def take(match: re.Match[str]) -> str:
        result.cues.append(match.group(0))
        return " "

    if model in DRAMA:
        def paired(match: re.Match[str]) -> str:
            tag = match.group(1)
            if tag not in DRAMA_TAGS and tag not in DRAMA_LANGUAGES:
                return match.group(0)
            result.cues.append(f"<{tag}>")
            return f" {match.group(2)} "

        previous = None
        while previous != rest:  # nested pairs: <slow><whisper>…</whisper></slow>
            previous, rest = rest, PAIRED.sub(paired, rest)
        rest = BRACKET.sub(take, rest)
    elif model == "s1":
        rest = PAREN.sub(lambda m: take(m) if m.group(1).strip().lower() in S1_EMOTIONS else m.group(0), rest)
    else:  # the S2 family and anything served as s2.1-pro
        rest = BRACKET.sub(take, rest)
    result.spoken = _squash(rest)
    return result


def speaker_problem(model: str, text: str, reference_id: Any) -> str | None:
    """Why a multi-speaker request is refused (a 400 message), or None."""
    markers = [int(n) for n in SPEAKER.findall(text)]
    if not isinstance(reference_id, list):
        if any(m > 0 for m in markers):
            return "Speaker tags above <|speaker:0|> need reference_id to be a list of voices"
        return None
    if served_as(model) not in MULTI_SPEAKER:
        return "Multi-speaker synthesis is only available with the S2 family and drama-3, not s1"
    if not reference_id:
        return "reference_id must not be an empty list"
    if served_as(model) in DRAMA and len(reference_id) > DRAMA_MAX_SPEAKERS:
        return f"drama-3 takes at most {DRAMA_MAX_SPEAKERS} speakers, got {len(reference_id)}"
    if not markers:
        return "A list of reference_id needs <|speaker:N|> tags in the text"
    for marker in markers:
        if marker >= len(reference_id):
            return f"<|speaker:{marker}|> has no voice: reference_id lists {len(reference_id)}"
    unused = sorted(set(range(len(reference_id))) - set(markers))
    if unused:
        return f"Speaker {unused[0]} in reference_id has no <|speaker:{unused[0]}|> tag in the text"
    return None


def performance_of(record: Any) -> Performance:
    """What the stand-in made of a recorded TTS request (its body and the model it used)."""
    body = record.body if isinstance(record.body, dict) else {}
    return performance(record.model or "s2.1-pro", str(body.get("text") or ""))
