"""Scenes: a short script of "Speaker: line" turned into Fish requests.

The script is parsed and checked against the limits before any speaker is looked up, and every
speaker is resolved before anything is spent, so a member hears about all unknown names at once.
A model that takes several voices in one request (S2 family, drama-3) gets one request: the voice
ids as a list and `<|speaker:N|>` markers in the text (fish-audio-api.md §0). Other models get
consecutive clips, one per change of voice, played back to back.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from bot.errors import BadLine, BadScript
from bot.expressive import cues

_LINE = re.compile(r"^\s*(?P<speaker>[^:\n]{1,100}?)\s*:\s*(?P<text>.*?)\s*$")
_MENTION = re.compile(r"^<@!?(?P<id>\d{15,21})>$")


@dataclass(frozen=True)
class Line:
    speaker: str  # as written, e.g. "<@123>", "Ann" or "Narrator"
    text: str
    number: int  # line number in the script, from 1

    @property
    def key(self) -> str:
        return speaker_key(self.speaker)


def speaker_key(label: str) -> str:
    """Speakers written "Ann", "ann" and " ANN " are the same speaker."""
    return " ".join(label.casefold().split())


def mention_id(label: str) -> int | None:
    match = _MENTION.match(label.strip())
    return int(match["id"]) if match else None


def parse_script(script: str, *, max_speakers: int, max_chars: int) -> list[Line]:
    """The script's lines, or a BadScript naming every line that is wrong."""
    lines: list[Line] = []
    bad: list[BadLine] = []
    for line_number, raw in enumerate(script.splitlines(), 1):
        if not raw.strip():
            continue
        match = _LINE.match(raw)
        if match is None:
            bad.append(BadLine(line_number, "no_speaker", raw))
        elif not match["text"]:
            bad.append(BadLine(line_number, "no_words", match["speaker"]))
        else:
            lines.append(Line(match["speaker"], match["text"], line_number))
    if bad:
        raise BadScript("lines", lines=tuple(bad))
    if not lines:
        raise BadScript("empty")
    speakers = list(dict.fromkeys(line.key for line in lines))
    if len(speakers) > max_speakers:
        raise BadScript("too_many_speakers", count=len(speakers), limit=max_speakers)
    chars = sum(len(line.text) for line in lines)
    if chars > max_chars:
        raise BadScript("too_long", count=chars, limit=max_chars)
    return lines


def speakers_of(lines: list[Line]) -> dict[str, str]:
    """Each speaker's key → the label as first written, in order of appearance."""
    found: dict[str, str] = {}
    for line in lines:
        found.setdefault(line.key, line.speaker)
    return found


# --- what goes to Fish --------------------------------------------------------------------------


@dataclass(frozen=True)
class Part:
    """One turn, ready for Fish: the voice and the text already built for the model."""

    voice_id: str | None
    text: str


@dataclass(frozen=True)
class MultiSpeaker:
    voices: list[str]
    text: str


def multi_speaker_request(parts: list[Part]) -> MultiSpeaker:
    """The voice list and the text with a `<|speaker:N|>` marker before every turn."""
    voices: list[str] = []
    chunks: list[str] = []
    for part in parts:
        if part.voice_id is None:
            raise ValueError("every turn of a multi-speaker request needs a voice id")
        if part.voice_id not in voices:
            voices.append(part.voice_id)
        chunks.append(f"<|speaker:{voices.index(part.voice_id)}|>{part.text}")
    return MultiSpeaker(voices, "".join(chunks))


def consecutive_clips(parts: list[Part]) -> list[Part]:
    """One clip per change of voice (neighbouring turns in the same voice are read as one)."""
    clips: list[Part] = []
    for part in parts:
        if clips and clips[-1].voice_id == part.voice_id:
            clips[-1] = Part(part.voice_id, f"{clips[-1].text} {part.text}")
        else:
            clips.append(part)
    return clips


def one_request(parts: list[Part], model: str, on: date | None = None) -> bool:
    """Whether the scene goes to Fish as one multi-speaker request (else consecutive clips)."""
    voices = {part.voice_id for part in parts}
    return len(voices) > 1 and None not in voices and cues.multi_speaker(model, on)


def build_parts(lines: list[Line], voices: dict[str, str | None], model: str, *, cues_allowed: bool,
                on: date | None = None, render: Callable[[str], str] | None = None) -> list[Part]:
    """Each line's voice (by speaker key) and its text built for `model` (by `render` when given:
    the bot's full path with cleaning and the dictionary)."""
    parts = []
    for line in lines:
        if render is not None:
            text = render(line.text)
        else:
            text = cues.for_model(line.text, model, cues_allowed=cues_allowed, on=on)
        if text:
            parts.append(Part(voices[line.key], text))
    if not parts:
        raise BadScript("nothing_left")
    return parts
