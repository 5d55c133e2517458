"""Voice ownership: which member cloned which Fish voice through the bot.

Revision ID: 0002_voice_ownership
Revises: 0001_initial
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_voice_ownership"
down_revision: str | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "voice_ownership",
        sa.Column("voice_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("visibility", sa.String(length=16), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("voice_id", name="pk_voice_ownership"),
    )
    op.create_index("ix_voice_ownership_user_id", "voice_ownership", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_voice_ownership_user_id", table_name="voice_ownership")
    op.drop_table("voice_ownership")
