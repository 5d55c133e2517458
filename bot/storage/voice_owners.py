"""Ownership records of voices cloned through the bot (shared by the clone and voices cogs)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select

from bot.storage.db import Database, affected_rows
from bot.storage.models import VoiceOwnership


class VoiceOwners:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def record(
        self, *, voice_id: str, user_id: int, guild_id: int | None, title: str, visibility: str
    ) -> VoiceOwnership:
        row = VoiceOwnership(
            voice_id=voice_id, user_id=user_id, guild_id=guild_id, title=title[:200],
            visibility=visibility,
        )
        async with self._db.session() as session:
            session.add(row)
        return row

    async def get(self, voice_id: str) -> VoiceOwnership | None:
        async with self._db.session() as session:
            return await session.get(VoiceOwnership, voice_id)

    async def of_user(self, user_id: int) -> list[VoiceOwnership]:
        query = (
            select(VoiceOwnership)
            .where(VoiceOwnership.user_id == user_id)
            .order_by(VoiceOwnership.created_at.desc())
        )
        async with self._db.session() as session:
            return list((await session.scalars(query)).all())

    async def update(self, voice_id: str, *, title: str | None = None,
                     visibility: str | None = None) -> None:
        async with self._db.session() as session:
            row = await session.get(VoiceOwnership, voice_id)
            if row is None:
                return
            if title is not None:
                row.title = title[:200]
            if visibility is not None:
                row.visibility = visibility

    async def remove(self, voice_id: str) -> bool:
        async with self._db.session() as session:
            result = await session.execute(
                delete(VoiceOwnership).where(VoiceOwnership.voice_id == voice_id)
            )
            return affected_rows(result) > 0

    async def count_since(self, user_id: int, since: datetime) -> int:
        query = select(func.count()).where(
            VoiceOwnership.user_id == user_id, VoiceOwnership.created_at >= since
        )
        async with self._db.session() as session:
            return int(await session.scalar(query) or 0)

    async def forget_user(self, user_id: int) -> int:
        """Data deletion: the records go; the voices stay on Fish until deleted there."""
        async with self._db.session() as session:
            result = await session.execute(
                delete(VoiceOwnership).where(VoiceOwnership.user_id == user_id)
            )
            return affected_rows(result)
