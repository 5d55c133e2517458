"""What a server chose for how the bot speaks there (narration, /speak, the menu, /scene), and how
each member wants to be called; both stored with SettingsStore, so they survive restarts (and
/forget-me deletes the member's part)."""

from __future__ import annotations

import re

from pydantic import BaseModel, Field, field_validator

from bot.errors import BadNameTemplate
from bot.spoken.cleaning import EmojiMode
from bot.spoken.phrases import DEFAULT_NAME_TEMPLATE

# The server's speech settings are stored under the name they had when only narration used them:
# the rows already written load as they are.
NAMESPACE = "narration"
DICTIONARY_NAMESPACE = "dictionary"
NICKNAMES = "nickname"
OPT_OUT = "narration_opt_out"
NICK_LIMIT = 100
NAME_TEMPLATE_LIMIT = 60
_MENTION = re.compile(r"<[@#][!&]?\d+>|@everyone|@here", re.IGNORECASE)


def check_name_template(template: str) -> str:
    """The announcement before a member's words ("{name} said:"), or BadNameTemplate."""
    template = " ".join(template.split())
    if "{name}" not in template:
        raise BadNameTemplate("no_name")
    if len(template) > NAME_TEMPLATE_LIMIT:
        raise BadNameTemplate("too_long", limit=NAME_TEMPLATE_LIMIT)
    if _MENTION.search(template):
        raise BadNameTemplate("mentions")
    if "{" in template.replace("{name}", "") or "}" in template.replace("{name}", ""):
        raise BadNameTemplate("placeholder")
    return template


class ServerSpeech(BaseModel):
    """A server's speech settings: what narration reads and how, and how everything the bot says
    there is cleaned and sounds (per server, guild namespace "narration")."""

    channels: list[int] = []  # text channels read aloud
    announce_names: bool = True
    same_channel: bool = True  # only read members in the bot's voice channel
    read_bots: bool = False  # bots and webhooks
    required_role: int | None = None
    auto_join: bool = False  # join the author's voice channel on a message
    ignore_prefix: str = Field(";", max_length=10)
    max_length: int | None = Field(None, ge=1, le=4000)  # None: the operator's default
    max_seconds: float | None = Field(None, gt=0, le=600)  # None: the operator's default
    # A message still unread this long after it was queued is skipped, not read minutes late
    # (behind a backlog, or Fish's line for the account's slots); 0: never skipped.
    max_wait_s: int = Field(30, ge=0, le=600)
    custom_emoji: EmojiMode = "name"
    unicode_emoji: EmojiMode = "skip"
    max_repeat: int = Field(3, ge=0, le=100)  # "soooo" → "sooo"; 0: no cap
    # Let members' [bracket] cues and <tags> reach Fish (otherwise they are read as plain words).
    expressive_cues: bool = False
    ignored_members: list[int] = []  # never read
    ignored_roles: list[int] = []  # members with any of these are never read
    read_silent: bool = False  # @silent messages (suppress notifications)
    required_prefix: str = Field("", max_length=10)  # only messages starting with it (not read)
    read_audience: bool = False  # stage channels: members in the audience
    voice_chat: bool = True  # the text chat of the bot's voice channel, without /narrate start
    name_template: str = DEFAULT_NAME_TEMPLATE  # said in each message's language unless changed
    announce_joins: bool = False  # "Alice joined" / "Alice left" in the bot's voice channel
    # Everything the bot says here (narration, /speak, the menu, /scene, announcements, previews).
    volume: float = Field(0.0, ge=-20.0, le=20.0)  # dB, Fish's prosody.volume
    normalize_loudness: bool = True  # Fish's prosody.normalize_loudness (S2 family; Fish's default)

    # The speech spec's loudness arguments: only what differs from Fish's defaults is sent.
    @property
    def spec_volume(self) -> float | None:
        return max(-20.0, min(20.0, self.volume)) or None

    @property
    def spec_normalize_loudness(self) -> bool | None:
        return None if self.normalize_loudness else False

    @field_validator("max_repeat")
    @classmethod
    def _repeat_cap(cls, value: int) -> int:
        if value == 1:
            raise ValueError("the repeated-character cap is 0 (off) or 2 to 100")
        return value

    @field_validator("name_template")
    @classmethod
    def _template(cls, value: str) -> str:
        return check_name_template(value)
    read_everyone: bool = True  # say @everyone / @here as "everyone" / "here" (off: skip them)


class Nicknames(BaseModel):
    """Per member (user namespace "nickname"): how the bot says their name, per server."""

    names: dict[str, str] = {}


class PronunciationSettings(BaseModel):
    """Per server (guild namespace "dictionary"): lower-cased word → (word as added, plain
    respelling, phoneme span contents or ""), and who added or last changed each word (so
    /forget-me can find a member's words; entries from before it was kept have none)."""

    entries: dict[str, tuple[str, str, str]] = {}
    added_by: dict[str, int] = {}


class OptOut(BaseModel):
    """Per member (user namespace "narration_opt_out"): servers where their messages aren't read."""

    guilds: list[int] = []
