"""Turning a transcription into what Discord shows: timestamped lines, an .srt file, and text cut
to fit an embed. Pure functions, table-tested. The transcript is the speaker's words (never
translated); the bot's own words around it ("Speaker 1:") follow the current language."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.i18n import _

# transcribe-1-pro marks who speaks (`<|speaker:N|>`) and sounds (`[laughter]`) inline in `text`
# (never in its segments). Shown as "Speaker 1:" lines and italics; never as raw markers.
SPEAKER = re.compile(r"<\|speaker:(\d+)\|>")
CUE = re.compile(r"\[([^\[\]\n]{1,60})\]")
_ANY_MARKER = re.compile(r"<\|[^|>]*\|>")


class Segment(Protocol):
    text: str
    start: float
    end: float


# An embed description holds 4096 characters; leave room for the "…" marker.
EMBED_LIMIT = 4000


def clock(seconds: float) -> str:
    """`mm:ss`, or `h:mm:ss` from an hour on (whole seconds, rounded down)."""
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def srt_time(seconds: float) -> str:
    millis = max(0, round(seconds * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d},{millis:03d}"


def _spoken(segments: Sequence[Segment]) -> list[Segment]:
    return [s for s in segments if s.text.strip()]


def timestamped_lines(segments: Sequence[Segment]) -> str:
    return "\n".join(
        f"[{clock(s.start)} → {clock(s.end)}] {strip_markup(s.text)}" for s in _spoken(segments)
    )


def to_srt(segments: Sequence[Segment]) -> str:
    """SubRip: numbered cues, `HH:MM:SS,mmm --> HH:MM:SS,mmm`, a blank line between cues."""
    cues = []
    for number, segment in enumerate(_spoken(segments), start=1):
        # A cue must not end before it starts; players drop such cues.
        end = max(segment.end, segment.start)
        words = strip_markup(segment.text)
        cues.append(f"{number}\n{srt_time(segment.start)} --> {srt_time(end)}\n{words}\n")
    return "\n".join(cues)


def has_markup(text: str) -> bool:
    return bool(SPEAKER.search(text) or CUE.search(text))


def _cues(text: str) -> str:
    """`[laughter]` → `*laughter*`, any other `<|…|>` marker dropped, spaces tidied."""
    text = _ANY_MARKER.sub(" ", CUE.sub(lambda m: f"*{m.group(1).strip()}*", text))
    return " ".join(text.split())


def strip_markup(text: str) -> str:
    """The words alone: no speaker markers, no cues (for subtitles)."""
    return " ".join(_ANY_MARKER.sub(" ", CUE.sub(" ", text)).split())


def speaker_lines(text: str) -> str:
    """One "Speaker N: …" line per turn, speakers numbered 1, 2, … in order of first appearance
    (whatever numbering the markers use); cues in italics."""
    parts = SPEAKER.split(text)
    numbers: dict[str, int] = {}
    turns: list[tuple[int | None, str]] = []
    if parts[0].strip():
        turns.append((None, parts[0]))
    for marker, chunk in zip(parts[1::2], parts[2::2], strict=True):
        number = numbers.setdefault(marker, len(numbers) + 1)
        if turns and turns[-1][0] == number:
            turns[-1] = (number, turns[-1][1] + " " + chunk)
        else:
            turns.append((number, chunk))
    lines = []
    for speaker, chunk in turns:
        words = _cues(chunk)
        if words:
            lines.append(words if speaker is None
                         else _("Speaker {number}: {words}").format(number=speaker, words=words))
    return "\n".join(lines)


def shorten(text: str, limit: int = EMBED_LIMIT) -> tuple[str, bool]:
    """`text` cut to at most `limit` characters at a line or word boundary; True when cut."""
    if len(text) <= limit:
        return text, False
    cut = text[: limit - 1]
    boundary = max(cut.rfind("\n"), cut.rfind(" "))
    if boundary > limit // 2:
        cut = cut[:boundary]
    return cut.rstrip() + "…", True


@dataclass(frozen=True)
class Rendered:
    body: str  # for the embed description
    files: dict[str, bytes]  # filename → content, attached alongside


def render(text: str, segments: Sequence[Segment], *, timestamps: bool,
           limit: int = EMBED_LIMIT, stem: str = "transcript") -> Rendered:
    """The reply for a transcript: the (start of the) text in the embed, the whole transcript as
    `<stem>.txt` when it doesn't fit, and `<stem>.srt` when timestamps were asked for (the cog
    passes the audio file's own name, so players pick the subtitles up and no word needs
    translating).
    A transcript with speakers or cues (transcribe-1-pro) is shown as speaker lines with cues in
    italics, in the embed and in `<stem>.txt` (always attached then); its timings are in the
    `.srt`, which carries the words alone."""
    marked = has_markup(text)
    if marked:
        full = speaker_lines(text)
    elif timestamps and _spoken(segments):
        full = timestamped_lines(segments)
    else:
        full = text.strip()
    body, cut = shorten(full, limit)
    files: dict[str, bytes] = {}
    if cut or marked:
        files[f"{stem}.txt"] = (full + "\n").encode()
    if timestamps and _spoken(segments):
        files[f"{stem}.srt"] = to_srt(segments).encode()
    return Rendered(body, files)
