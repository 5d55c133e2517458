"""ORM models. The schema itself is created by the Alembic migrations in ``migrations/``.

Keep these classes and the migrations in step: ``tests/storage`` compares the migrated schema
with ``Base.metadata`` on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bot import clock

# Explicit constraint names: Alembic can only drop/alter a constraint it can name, and the
# backends' own generated names differ (SQLite's batch mode needs names to recreate tables).
NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# JSONB on PostgreSQL (compact, comparable, indexable); plain JSON text elsewhere.
JsonBlob = JSON().with_variant(JSONB(), "postgresql")

NAMESPACE_MAX_LENGTH = 32


def utcnow() -> datetime:
    return clock.utc_now()


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class GuildSettings(Base):
    """One JSON blob per (guild, feature namespace)."""

    __tablename__ = "guild_settings"

    # Discord snowflakes are 64-bit: BIGINT, and never auto-incremented.
    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    namespace: Mapped[str] = mapped_column(String(NAMESPACE_MAX_LENGTH), primary_key=True)
    data: Mapped[dict[str, Any]] = mapped_column(JsonBlob, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow, server_default=func.now()
    )


class UserSettings(Base):
    """One JSON blob per (user, feature namespace); deleted wholesale on a data-deletion request."""

    __tablename__ = "user_settings"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    namespace: Mapped[str] = mapped_column(String(NAMESPACE_MAX_LENGTH), primary_key=True)
    data: Mapped[dict[str, Any]] = mapped_column(JsonBlob, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow, server_default=func.now()
    )


class VoiceOwnership(Base):
    """Which member cloned which Fish voice through this bot.

    The API key is the operator's, so Fish's own "self" listing returns every voice the bot
    created; these rows are how each member sees, edits and deletes only their own.
    """

    __tablename__ = "voice_ownership"

    voice_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, nullable=False, index=True)
    guild_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    visibility: Mapped[str] = mapped_column(String(16), nullable=False, default="private")
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow, server_default=func.now()
    )


class UsageCounter(Base):
    """How much of one daily quota a member (or a whole guild) has used or holds reserved.

    The quota check-and-reserve is one conditional UPDATE of this row, so it cannot overspend
    however many requests or processes race. ``user_id`` 0 is the guild's total; ``guild_id`` 0
    stands for direct messages.
    """

    __tablename__ = "usage_counters"

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(24), primary_key=True)
    used: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)


class UsageEvent(Base):
    """One spending request (TTS bytes, a clone, transcription seconds) and its outcome."""

    __tablename__ = "usage_ledger"
    __table_args__ = (Index("ix_usage_ledger_guild_id_created_at", "guild_id", "created_at"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    user_id: Mapped[int] = mapped_column(BigInteger, nullable=False, index=True)
    guild_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    kind: Mapped[str] = mapped_column(String(24), nullable=False)
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    outcome: Mapped[str] = mapped_column(String(16), nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow, server_default=func.now()
    )
    # The TTS model billed (speech only; None before migration 0005 recorded it).
    model: Mapped[str | None] = mapped_column(String(64), nullable=True)


class BotState(Base):
    """Small bot-wide values shared by every process, e.g. the hash of the last command sync."""

    __tablename__ = "bot_state"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow, server_default=func.now()
    )


class CommandCooldown(Base):
    """A member's rate limit for one expensive command, shared by every process and server.

    ``ready_at`` is the GCRA "theoretical arrival time" (Unix seconds): one atomic upsert both
    checks and spends an allowance.
    """

    __tablename__ = "command_cooldowns"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    command: Mapped[str] = mapped_column(String(24), primary_key=True)
    ready_at: Mapped[float] = mapped_column(Float(precision=53), nullable=False)
