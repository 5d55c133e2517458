"""Speech is counted in UTF-8 bytes, the unit Fish bills, and the ledger names the model billed.

Existing rows are converted one for one: the text they counted is gone, and a text's UTF-8 bytes
are at least its characters (equal for English, 3x for Japanese or Chinese), so the character
count is a lower bound of what was billed, exact for ASCII. Today's counters keep their value as
bytes (nobody is locked out by a guess; they reset at midnight UTC); past ledger rows keep their
amounts as bytes and have no model (reports price them as the configured default model). The
per-server speech limits set with /quota set keep their numbers, as bytes, under the new names.

Revision ID: 0005_billing
Revises: 0004_bot_state_and_cooldowns
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0005_billing"
down_revision: str | None = "0004_bot_state_and_cooldowns"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OVERRIDE_KEYS = {"tts_chars_per_member": "tts_bytes_per_member", "tts_chars_per_guild": "tts_bytes_per_guild"}

_ledger = sa.table("usage_ledger", sa.column("kind", sa.String))
_counters = sa.table("usage_counters", sa.column("kind", sa.String))
_guild_settings = sa.table(
    "guild_settings",
    sa.column("guild_id", sa.BigInteger),
    sa.column("namespace", sa.String),
    sa.column("data", sa.JSON().with_variant(JSONB(), "postgresql")),
)


def _rename_kind(old: str, new: str) -> None:
    for table in (_ledger, _counters):
        op.execute(table.update().where(table.c.kind == old).values(kind=new))


def _rename_overrides(renames: dict[str, str]) -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(_guild_settings.c.guild_id, _guild_settings.c.data)
        .where(_guild_settings.c.namespace == "quotas")
    ).all()
    for guild_id, data in rows:
        if not isinstance(data, dict) or not set(renames) & set(data):
            continue
        renamed = {renames.get(key, key): value for key, value in data.items()}
        connection.execute(
            _guild_settings.update()
            .where(_guild_settings.c.guild_id == guild_id, _guild_settings.c.namespace == "quotas")
            .values(data=renamed)
        )


def upgrade() -> None:
    op.add_column("usage_ledger", sa.Column("model", sa.String(length=64), nullable=True))
    _rename_kind("tts_chars", "tts_bytes")
    _rename_overrides(OVERRIDE_KEYS)


def downgrade() -> None:
    # Back to characters one for one: bytes over-count characters, the safe side of a quota.
    _rename_overrides({new: old for old, new in OVERRIDE_KEYS.items()})
    _rename_kind("tts_bytes", "tts_chars")
    with op.batch_alter_table("usage_ledger") as batch:
        batch.drop_column("model")
