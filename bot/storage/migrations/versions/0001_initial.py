"""Initial schema: namespaced JSON settings per guild and per user.

Revision ID: 0001_initial
Revises:
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001_initial"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _settings_table(name: str, owner_column: str) -> None:
    op.create_table(
        name,
        sa.Column(owner_column, sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("namespace", sa.String(length=32), nullable=False),
        sa.Column("data", _json, nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint(owner_column, "namespace", name=f"pk_{name}"),
    )


def upgrade() -> None:
    _settings_table("guild_settings", "guild_id")
    _settings_table("user_settings", "user_id")


def downgrade() -> None:
    op.drop_table("user_settings")
    op.drop_table("guild_settings")
