"""What a server chose for narration, and how each member wants to be called; both stored with
SettingsStore, so they survive restarts (and /forget-me deletes the member's part)."""

from __future__ import annotations

from pydantic import BaseModel, Field, field_validator

from bot.narration.cleaning import EmojiMode

NAMESPACE = "narration"
DICTIONARY_NAMESPACE = "dictionary"
NICKNAMES = "nickname"
NICK_LIMIT = 100


class NarrationSettings(BaseModel):
    """Per server (guild namespace "narration")."""

    channels: list[int] = []  # text channels read aloud
    announce_names: bool = True
    same_channel: bool = True  # only read members in the bot's voice channel
    read_bots: bool = False  # bots and webhooks
    required_role: int | None = None
    auto_join: bool = False  # join the author's voice channel on a message
    ignore_prefix: str = Field(";", max_length=10)
    max_length: int | None = Field(None, ge=1, le=4000)  # None: the operator's default
    max_seconds: float | None = Field(None, gt=0, le=600)  # None: the operator's default
    custom_emoji: EmojiMode = "name"
    unicode_emoji: EmojiMode = "skip"
    max_repeat: int = Field(3, ge=0, le=100)  # "soooo" → "sooo"; 0: no cap
    # Let members' [bracket] cues and <tags> reach Fish (otherwise they are read as plain words).
    expressive_cues: bool = False

    @field_validator("max_repeat")
    @classmethod
    def _repeat_cap(cls, value: int) -> int:
        if value == 1:
            raise ValueError("the repeated-character cap is 0 (off) or 2 to 100")
        return value
    read_everyone: bool = True  # say @everyone / @here as "everyone" / "here" (off: skip them)


class Nicknames(BaseModel):
    """Per member (user namespace "nickname"): how the bot says their name, per server."""

    names: dict[str, str] = {}


class PronunciationSettings(BaseModel):
    """Per server (guild namespace "dictionary"): lower-cased word → (word as added, plain
    respelling, phoneme span contents or "")."""

    entries: dict[str, tuple[str, str, str]] = {}
