"""Ownership records of voices cloned through the bot, and the one rule of who may use them.

Every clone lives on the operator's one Fish account, and Fish lets that account's key use all of
them: privacy between members is the bot's job, and these records are how it does it. A record
is deleted only together with its voice on Fish (or once Fish says the voice is gone): a voice
whose record went first would be free for anyone who knows its id.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import delete, func, select

from bot.fish.ids import VoiceId, fish_voice_id, parse_voice_id
from bot.storage.db import Database, affected_rows
from bot.storage.models import VoiceOwnership


def may_use(record: VoiceOwnership | None, user_id: int) -> bool:
    """The private-voice rule: a voice cloned here is its cloner's until made public; a voice with
    no record (the library) is anyone's."""
    return record is None or record.user_id == user_id or record.visibility == "public"


def shared(record: VoiceOwnership | None) -> bool:
    """Whether every member may use the voice (what a server's default voice must be)."""
    return record is None or record.visibility == "public"


class VoiceOwners:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def record(
        self, *, voice_id: str, user_id: int, guild_id: int | None, title: str, visibility: str
    ) -> VoiceOwnership:
        """Record a voice Fish just created; `voice_id` is the id Fish returned (checked: a record
        must guard exactly the spelling every check will look up)."""
        row = VoiceOwnership(
            voice_id=fish_voice_id(voice_id), user_id=user_id, guild_id=guild_id, title=title[:200],
            visibility=visibility,
        )
        async with self._db.session() as session:
            session.add(row)
        return row

    async def get(self, voice_id: VoiceId) -> VoiceOwnership | None:
        async with self._db.session() as session:
            return await session.get(VoiceOwnership, voice_id)

    async def usable_by(self, voice_id: str, user_id: int | None) -> bool:
        """Whether `user_id` (None: every member) may speak with the voice `voice_id`, an id read
        back from storage or from Fish: a malformed one is no voice anybody may use."""
        parsed = parse_voice_id(voice_id)
        if parsed is None:
            return False
        record = await self.get(parsed)
        return shared(record) if user_id is None else may_use(record, user_id)

    async def withdrawn(self, user_id: int, mine: str | None, servers: str | None) -> tuple[bool, bool]:
        """For ids read back from storage, in one query: whether the voice saved for member
        `user_id` (`mine`) may no longer be used by them, and whether the voice saved as a server's
        default (`servers`) may no longer be used by every member. An id that is no voice id is
        no voice anybody may use; a voice not saved (None) is not withdrawn."""
        parsed = {saved: parse_voice_id(saved) for saved in (mine, servers) if saved}
        wanted = [voice_id for voice_id in parsed.values() if voice_id is not None]
        records: dict[str, VoiceOwnership] = {}
        if wanted:
            query = select(VoiceOwnership).where(VoiceOwnership.voice_id.in_(wanted))
            async with self._db.session() as session:
                records = {row.voice_id: row for row in (await session.scalars(query)).all()}

        def refused(saved: str | None, allowed: Callable[[VoiceOwnership | None], bool]) -> bool:
            voice_id = parsed.get(saved) if saved else None
            return bool(saved) and (voice_id is None or not allowed(records.get(voice_id)))

        return refused(mine, lambda record: may_use(record, user_id)), refused(servers, shared)

    async def of_user(self, user_id: int) -> list[VoiceOwnership]:
        query = (
            select(VoiceOwnership)
            .where(VoiceOwnership.user_id == user_id)
            .order_by(VoiceOwnership.created_at.desc())
        )
        async with self._db.session() as session:
            return list((await session.scalars(query)).all())

    async def update(self, voice_id: VoiceId, *, title: str | None = None,
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
        """Forget a voice once it is deleted on Fish (or Fish says it is gone)."""
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
