"""Bot-wide state (e.g. the hash of the last command sync) and shared command cooldowns.

Revision ID: 0004_bot_state_and_cooldowns
Revises: 0003_usage_ledger
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_bot_state_and_cooldowns"
down_revision: str | None = "0003_usage_ledger"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bot_state",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("key", name="pk_bot_state"),
    )
    op.create_table(
        "command_cooldowns",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("command", sa.String(length=24), nullable=False),
        sa.Column("ready_at", sa.Float(precision=53), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "command", name="pk_command_cooldowns"),
    )


def downgrade() -> None:
    op.drop_table("command_cooldowns")
    op.drop_table("bot_state")
