"""Turning a transcription into what Discord shows: timestamped lines, an .srt file, and text cut
to fit an embed. Pure functions, table-tested."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


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
        f"[{clock(s.start)} → {clock(s.end)}] {s.text.strip()}" for s in _spoken(segments)
    )


def to_srt(segments: Sequence[Segment]) -> str:
    """SubRip: numbered cues, `HH:MM:SS,mmm --> HH:MM:SS,mmm`, a blank line between cues."""
    cues = []
    for number, segment in enumerate(_spoken(segments), start=1):
        # A cue must not end before it starts; players drop such cues.
        end = max(segment.end, segment.start)
        cues.append(f"{number}\n{srt_time(segment.start)} --> {srt_time(end)}\n{segment.text.strip()}\n")
    return "\n".join(cues)


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
           limit: int = EMBED_LIMIT) -> Rendered:
    """The reply for a transcript: the (start of the) text in the embed, the whole transcript as
    `transcript.txt` when it doesn't fit, and `transcript.srt` when timestamps were asked for."""
    full = timestamped_lines(segments) if timestamps and _spoken(segments) else text.strip()
    body, cut = shorten(full, limit)
    files: dict[str, bytes] = {}
    if cut:
        files["transcript.txt"] = (full + "\n").encode()
    if timestamps and _spoken(segments):
        files["transcript.srt"] = to_srt(segments).encode()
    return Rendered(body, files)
