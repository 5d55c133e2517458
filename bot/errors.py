"""The bot's expected refusals, as data. Dependency-free: any layer may raise them.

`UserFacingError` is an expected refusal that is safe to show the member. Below the cogs they are
`Refusal`s, carrying what went wrong as fields (a channel, a limit, a reset time) and worded where
the member reads them, in their language, by `bot.wording.describe_error`; a cog may still raise a
`UserFacingError` with its text already worded. Nothing here imports anything of the bot's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


class UserFacingError(Exception):
    """An expected refusal whose message (or, for the data refusals below, wording) is safe and
    useful to show the member."""


class Refusal(UserFacingError):
    """A refusal carried as data: `bot.wording` words it; `str()` is for the log only."""

    def __str__(self) -> str:
        fields = ", ".join(f"{key}={value!r}" for key, value in vars(self).items())
        return f"{type(self).__name__}({fields})"


class DatabaseUnavailable(Refusal):
    """The database server can't be reached right now (restarting, network). Nothing was saved by
    the unit of work that hit it; the engine reconnects by itself once the server is back."""


class QueueFull(Refusal):
    """The server's speech queue has no room."""

    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.limit = limit


class QuotaExceeded(Refusal):
    """A request would go over a daily quota: which `kind` of spending ("tts_bytes", "clones",
    "transcribe_seconds", "voice_designs"), whose quota (`scope`: "member" or "guild"), its limit,
    what was used and what this needs (in stored units: bytes, clones, seconds), and when the
    quotas reset."""

    def __init__(self, *, kind: str, scope: str, limit: int, used: int, requested: int,
                 resets_at: datetime) -> None:
        super().__init__(kind, scope, limit, used, requested, resets_at)
        self.kind, self.scope, self.limit = kind, scope, limit
        self.used, self.requested, self.resets_at = used, requested, resets_at

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)


class FishUnavailable(Refusal):
    """The breaker is open: Fish Audio failed repeatedly just now. `outage` numbers the outage
    (sessions tell their members once per outage)."""

    def __init__(self, retry_in: float, outage: int | None = None) -> None:
        super().__init__(retry_in, outage)
        self.retry_in = retry_in
        self.outage = outage


class ClipTooLarge(Refusal):
    """A rendered clip is larger than Discord takes as an upload where it was asked for."""


class ClipStalled(Exception):
    """Fish stopped sending audio for longer than the stall timeout (or sent nothing at all)."""


# --- joining a voice channel ------------------------------------------------------------------

class NotInVoice(Refusal):
    """The member is in no voice channel."""


class TimedOutMember(Refusal):
    """The member is timed out in the server: the bot doesn't speak for them."""


@dataclass(frozen=True)
class Missing:
    """The permissions the bot lacks in a voice channel (their Discord names' keys)."""

    view_channel: bool = False
    connect: bool = False
    speak: bool = False
    stage_speaker: bool = False  # Mute Members, to become a stage speaker

    def __bool__(self) -> bool:
        return self.view_channel or self.connect or self.speak or self.stage_speaker


class BotCannotSpeak(Refusal):
    """The bot lacks permissions in `channel` (a mention)."""

    def __init__(self, channel: str, missing: Missing) -> None:
        super().__init__(channel, missing)
        self.channel = channel
        self.missing = missing


class ChannelFull(Refusal):
    def __init__(self, channel: str, limit: int) -> None:
        super().__init__(channel, limit)
        self.channel = channel
        self.limit = limit


class SpeakingElsewhere(Refusal):
    """The bot is busy in another voice channel of the server."""

    def __init__(self, channel: str) -> None:
        super().__init__(channel)
        self.channel = channel


class ConnectTimedOut(Refusal):
    def __init__(self, channel: str) -> None:
        super().__init__(channel)
        self.channel = channel


class JoinFailed(Refusal):
    def __init__(self, channel: str, reason: str) -> None:
        super().__init__(channel, reason)
        self.channel = channel
        self.reason = reason


# --- who may make the bot speak ------------------------------------------------------------

class SpeakerRefused(Refusal):
    """The member may not speak in `channel` themselves, so not through the bot either: `why` is
    "muted" (server-muted), "audience" (in a stage's audience) or "no_speak" (no Speak permission)."""

    def __init__(self, channel: str, why: str) -> None:
        super().__init__(channel, why)
        self.channel = channel
        self.why = why


# --- what to say -----------------------------------------------------------------------------

class BadStyle(Refusal):
    """A style a member picked that `model` can't take: `why` is "malformed" (not a short
    description), "no_emotion" (a model of fixed emotions has none for it) or "unsupported"."""

    def __init__(self, model: str, style: str, why: str) -> None:
        super().__init__(model, style, why)
        self.model = model
        self.style = style
        self.why = why


class ServersOnly(Refusal):
    """Asked outside a server, where only a server's members can have the bot speak."""


# --- voices --------------------------------------------------------------------------------

class UnknownVoice(Refusal):
    """No voice with that id that the member may use (another member's private voice looks
    exactly like a missing one). `typed` is what the member typed, shown back safely."""

    def __init__(self, typed: str) -> None:
        super().__init__(typed)
        self.typed = typed


class VoiceTraining(Refusal):
    """The voice exists but is still being trained on Fish Audio (or its training failed)."""


# --- cloning: the form's details and samples --------------------------------------------------

class BadVoiceDetails(Refusal):
    """A voice's title, description, tags or visibility as the member gave them can't be used:
    `why` is "no_title", "title_too_long" (`length` of `limit`), "description_too_long",
    "too_many_tags", "tag_too_long" (each against `limit`) or "visibility" (`typed` isn't one)."""

    def __init__(self, why: str, *, length: int = 0, limit: int = 0, typed: str = "") -> None:
        super().__init__(why, length, limit, typed)
        self.why, self.length, self.limit, self.typed = why, length, limit, typed


class BadSamples(Refusal):
    """A clone's samples as a whole: `why` is "none" (no sample), "too_many" (`count` of at most
    `limit`) or "transcripts" (`given` transcripts for `count` samples: all or none)."""

    def __init__(self, why: str, *, count: int = 0, limit: int = 0, given: int = 0) -> None:
        super().__init__(why, count, limit, given)
        self.why, self.count, self.limit, self.given = why, count, limit, given


class BadSample(Refusal):
    """One sample (`name`, the file's name) can't make a voice: `why` is "too_long" (over `limit`
    seconds), "too_short" (`seconds` long, under `limit`) or "silent"."""

    def __init__(self, name: str, why: str, *, seconds: float = 0.0, limit: float = 0.0) -> None:
        super().__init__(name, why, seconds, limit)
        self.name, self.why, self.seconds, self.limit = name, why, seconds, limit


class NotAnImage(Refusal):
    """A cover (`name`, the file's name) that isn't an image."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


# --- scenes --------------------------------------------------------------------------------

@dataclass(frozen=True)
class BadLine:
    """A script line that isn't "Speaker: words": `why` is "no_speaker" (`text`, the line as
    written) or "no_words" (`text`, the speaker it names)."""

    number: int  # from 1
    why: str
    text: str


class BadScript(Refusal):
    """A /scene script that can't be performed: `why` is "lines" (every wrong line in `lines`),
    "empty", "too_many_speakers" or "too_long" (`count` speakers or characters of at most `limit`),
    or "nothing_left" (nothing to say once the cues are out)."""

    def __init__(self, why: str, *, lines: tuple[BadLine, ...] = (), count: int = 0, limit: int = 0) -> None:
        super().__init__(why, lines, count, limit)
        self.why, self.lines, self.count, self.limit = why, lines, count, limit


class UnknownSpeakers(Refusal):
    """Speakers of a scene (`labels`, as written) that are neither a member nor a usable voice."""

    def __init__(self, labels: list[str]) -> None:
        super().__init__(labels)
        self.labels = labels


# --- how the bot says things in a server -----------------------------------------------------

class BadEntry(Refusal):
    """A pronunciation-dictionary entry that was refused. `field` is "word", "replacement",
    "fallback" or "phonemes"; `why` is "empty", "too_long" (over `limit` characters), "mentions",
    "markup", "no_letter" (a word without a letter or digit), "lonely_fallback" (a fallback
    without a phoneme replacement) or "phoneme_characters"."""

    def __init__(self, field: str, why: str, *, limit: int = 0) -> None:
        super().__init__(field, why, limit)
        self.field, self.why, self.limit = field, why, limit


class BadNameTemplate(Refusal, ValueError):
    """A server's name template ("{name} said:") that was refused: `why` is "no_name",
    "too_long" (over `limit` characters), "mentions" or "placeholder" (another placeholder). A
    ValueError too: it is a pydantic validator's refusal."""

    def __init__(self, why: str, *, limit: int = 0) -> None:
        super().__init__(why, limit)
        self.why, self.limit = why, limit
