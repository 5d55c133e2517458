"""Bot-wide key/value state in the database, shared by every process (``bot_state``)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from bot import clock
from bot.storage.db import Database
from bot.storage.models import BotState


class StateStore:
    """Tiny, uncached: read at start-up and written rarely (e.g. after a command sync)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, key: str) -> str | None:
        async with self.db.session() as session:
            return await session.scalar(select(BotState.value).where(BotState.key == key))

    async def set(self, key: str, value: str) -> None:
        insert = postgresql.insert if self.db.dialect == "postgresql" else sqlite.insert
        stmt = insert(BotState).values(key=key, value=value, updated_at=clock.utc_now())
        stmt = stmt.on_conflict_do_update(
            index_elements=["key"],
            set_={"value": stmt.excluded.value, "updated_at": stmt.excluded.updated_at},
        )
        async with self.db.session() as session:
            await session.execute(stmt)
