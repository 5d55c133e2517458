"""The usage ledger and the quota service (`bot.usage`).

Reserving is one transaction per request: for each counter row that applies (the member in the
guild, and the guild's total) insert it if missing, then

    UPDATE usage_counters SET used = used + :n WHERE <row> AND used + :n <= :limit

and treat a rowcount of 0 as "over quota", which rolls the whole transaction back. The condition
is evaluated against the row as committed by any concurrent writer (PostgreSQL re-checks it
after waiting for the row lock; SQLite serialises writers with BEGIN IMMEDIATE), so no number of
concurrent requests or bot processes sharing the database can push `used` past the limit. Rows
are always touched in the same order (guild total first), so two reservations cannot deadlock.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import case, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot import clock, metrics
from bot.config import Settings
from bot.errors import DatabaseUnavailable, QuotaExceeded
from bot.storage.db import Database, affected_rows
from bot.storage.models import UsageCounter, UsageEvent
from bot.storage.settings import SettingsStore
from bot.usage.quotas import (
    KINDS,
    OVERRIDES_NAMESPACE,
    SPENT,
    Kind,
    Limits,
    Outcome,
    QuotaOverrides,
    Scope,
    next_reset,
    resolve_limits,
    seconds_to_reset,
    utc_day,
)
from bot.usage.reservation import Reservation, ReserveContext

log = logging.getLogger(__name__)
# A ledger write that meets a database outage (a server restart) is retried this long, in the
# background, before it is given up (and logged).
LEDGER_RETRY_S = 120.0

# Counters are only needed for today's quotas; a week is kept for reports. Pruned every 6 hours.
COUNTER_RETENTION_DAYS = 7
PRUNE_INTERVAL_S = 6 * 3600

GUILD_TOTAL = 0  # user_id of a guild's total row
FORGOTTEN_MEMBER = 0  # user_id of the ledger rows of members who asked to be forgotten
DIRECT_MESSAGES = 0  # guild_id of usage outside any guild


class _OverQuota(Exception):
    def __init__(self, scope: Scope, limit: int) -> None:
        self.scope, self.limit = scope, limit


@dataclass(frozen=True)
class MemberUsage:
    """Today's usage of one member in one guild, with the limits that apply."""

    used: dict[Kind, int]
    guild_used: dict[Kind, int]
    limits: dict[Kind, Limits]
    reset_in: float

    def remaining(self, kind: Kind) -> int | None:
        """What the member can still use today (the tighter of their and the guild's quota)."""
        limits = self.limits[kind]
        left = [
            limit - used
            for limit, used in ((limits.member, self.used[kind]), (limits.guild, self.guild_used[kind]))
            if limit is not None
        ]
        return max(0, min(left)) if left else None


class UsageLedger:
    def __init__(self, db: Database, settings: Settings, *, store: SettingsStore | None = None) -> None:
        self._db = db
        self._settings = settings
        self._store = store
        # Writes still under way, each with what it records (named in the log if it is lost).
        self._tasks: dict[asyncio.Future[None], str] = {}

    # --- limits -------------------------------------------------------------------------------

    async def overrides(self, guild_id: int | None) -> QuotaOverrides | None:
        if guild_id is None or self._store is None:
            return None
        return await self._store.get_guild(guild_id, OVERRIDES_NAMESPACE, QuotaOverrides)

    async def limits(self, kind: Kind, guild_id: int | None) -> Limits:
        limits = resolve_limits(kind, self._settings.quotas, await self.overrides(guild_id))
        # Outside a guild there is no guild total to charge.
        return limits if guild_id is not None else Limits(member=limits.member, guild=None)

    # --- reserving ----------------------------------------------------------------------------

    def reserve(self, *, kind: Kind, amount: int, user_id: int, guild_id: int | None,
                model: str | None = None) -> ReserveContext:
        """Reserve `amount` of today's quotas before calling Fish, or raise QuotaExceeded.
        Speech names its `model` (what Fish bills it as), for the cost estimates.

        ``async with ledger.reserve(...) as r:`` commits on success and releases on an
        exception; ``r = await ledger.reserve(...)`` leaves `r.commit()`/`r.release()` to you.
        """
        if kind not in KINDS:
            raise ValueError(f"unknown usage kind {kind!r}")
        if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
            raise ValueError(f"amount must be a non-negative int, got {amount!r}")
        if user_id <= GUILD_TOTAL:  # 0 is the guild's total row, and no Discord id is 0
            raise ValueError(f"not a Discord user id: {user_id!r}")
        return ReserveContext(lambda: self._acquire(kind, amount, user_id, guild_id, model))

    async def _acquire(self, kind: Kind, amount: int, user_id: int, guild_id: int | None,
                       model: str | None) -> Reservation:
        limits = await self.limits(kind, guild_id)
        day = utc_day()
        gid = guild_id if guild_id is not None else DIRECT_MESSAGES
        rows: list[tuple[Scope, tuple[int, int], int | None]] = []
        if guild_id is not None:
            rows.append(("guild", (gid, GUILD_TOTAL), limits.guild))
        rows.append(("member", (gid, user_id), limits.member))
        try:
            async with self._db.session(write=True) as session:
                for _, key, _ in rows:
                    await session.execute(self._insert_counter(key, day, kind))
                for scope, key, limit in rows:
                    stmt = (
                        update(UsageCounter)
                        .where(*self._counter_where(key, day, kind))
                        .values(used=UsageCounter.used + amount)
                    )
                    if limit is not None:
                        stmt = stmt.where(UsageCounter.used + amount <= limit)
                    result = await session.execute(stmt)
                    if affected_rows(result) != 1:
                        raise _OverQuota(scope, limit or 0)
        except _OverQuota as over:
            key = rows[0][1] if over.scope == "guild" and guild_id is not None else (gid, user_id)
            used = await self._used(key, day, kind)
            await self._record(user_id, guild_id, kind, amount, "denied", model)
            raise QuotaExceeded(
                kind=kind, scope=over.scope, limit=over.limit, used=used, requested=amount,
                resets_at=next_reset(),
            ) from None
        return Reservation(
            ledger=self, kind=kind, amount=amount, user_id=user_id, guild_id=guild_id, day=day,
            counters=tuple(key for _, key, _ in rows), model=model,
        )

    def settle(self, reservation: Reservation, outcome: Outcome) -> asyncio.Future[None]:
        """Record a reservation's outcome and give its amount back unless it was spent, in a task
        of its own (kept until `drain`), so a cancelled caller can't leave it half-done."""
        what = (f"the {outcome} outcome of a {reservation.kind} reservation of {reservation.amount}"
                f"{_whose(reservation.user_id, reservation.guild_id)}")
        return self._keep(self._settle(reservation, outcome, what), what)

    def _keep(self, write: Awaitable[None], what: str) -> asyncio.Future[None]:
        task = asyncio.ensure_future(write)
        self._tasks[task] = what
        task.add_done_callback(self._tasks.pop)
        return task

    async def _settle(self, reservation: Reservation, outcome: Outcome, what: str) -> None:
        """Never raises: this is bookkeeping after the fact, and a failed release only
        over-counts (the safe side). While the database is away the write is retried in the
        background, so no ledger row is lost to a server restart and nobody waits for it."""
        await self._write(lambda: self._settle_once(reservation, outcome), what)

    async def _write(self, attempt: Callable[[], Awaitable[None]], what: str) -> None:
        try:
            await attempt()
        except DatabaseUnavailable:
            self._keep(self._write_later(attempt, what), what)
        except Exception:
            log.exception("could not record %s in the usage ledger", what)

    async def _write_later(self, attempt: Callable[[], Awaitable[None]], what: str) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + LEDGER_RETRY_S
        delay = 0.5
        log.warning("database unavailable: recording %s once it is back", what)
        while True:
            await asyncio.sleep(delay)
            try:
                await attempt()
                log.info("recorded %s after the database came back", what)
                return
            except DatabaseUnavailable:
                if loop.time() >= deadline:
                    log.error("gave up recording %s: the database stayed unavailable", what)
                    return
                delay = min(delay * 2, 5.0)
            except Exception:
                log.exception("could not record %s in the usage ledger", what)
                return

    async def _settle_once(self, reservation: Reservation, outcome: Outcome) -> None:
        async with self._db.session(write=True) as session:
            if outcome not in SPENT and reservation.amount:
                for key in reservation.counters:
                    used = UsageCounter.used
                    await session.execute(
                        update(UsageCounter)
                        .where(*self._counter_where(key, reservation.day, reservation.kind))
                        .values(used=case((used >= reservation.amount, used - reservation.amount),
                                          else_=0))
                    )
            await self._insert_event(
                session, reservation.user_id, reservation.guild_id, reservation.kind,
                reservation.amount, outcome, reservation.model,
            )
        if outcome in SPENT:
            metrics.spent(reservation.kind, reservation.amount)

    async def record(self, *, kind: Kind, amount: int, user_id: int, guild_id: int | None,
                     outcome: Outcome, model: str | None = None) -> None:
        """Record a request that needed no reservation (e.g. served from the TTS cache)."""
        await self._record(user_id, guild_id, kind, amount, outcome, model)

    async def drain(self, timeout: float | None = None) -> None:
        """Wait for outcomes still being written (at shutdown), for at most `timeout` seconds: a
        write still waiting for the database then is given up, and logged with its amount."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        # A write that meets an outage hands over to a retrying task of its own: wait for those too.
        while self._tasks:
            left = None if deadline is None else deadline - loop.time()
            if left is not None and left <= 0:
                break
            await asyncio.wait(list(self._tasks), timeout=left)
        lost = {task: what for task, what in self._tasks.items() if not task.done()}
        for task, what in lost.items():
            task.cancel()
            log.error("gave up recording %s at shutdown: the database stayed unavailable", what)
        await asyncio.gather(*lost, return_exceptions=True)

    # --- reports ------------------------------------------------------------------------------

    async def member_today(self, user_id: int, guild_id: int | None) -> MemberUsage:
        day = utc_day()
        gid = guild_id if guild_id is not None else DIRECT_MESSAGES
        query = select(UsageCounter.user_id, UsageCounter.kind, UsageCounter.used).where(
            UsageCounter.guild_id == gid,
            UsageCounter.day == day,
            UsageCounter.user_id.in_([user_id, GUILD_TOTAL]),
        )
        used: dict[Kind, int] = dict.fromkeys(KINDS, 0)
        guild_used: dict[Kind, int] = dict.fromkeys(KINDS, 0)
        async with self._db.session() as session:
            for uid, kind, amount in (await session.execute(query)).all():
                if kind in used:
                    (guild_used if uid == GUILD_TOTAL and guild_id is not None else used)[kind] = amount
        limits = {kind: await self.limits(kind, guild_id) for kind in KINDS}
        return MemberUsage(used=used, guild_used=guild_used, limits=limits, reset_in=seconds_to_reset())

    async def guild_totals(self, guild_id: int, since: datetime) -> dict[Kind, int]:
        """What was spent in the guild since `since` (outcome "ok"), per kind."""
        query = (
            select(UsageEvent.kind, func.sum(UsageEvent.amount))
            .where(UsageEvent.guild_id == guild_id, UsageEvent.created_at >= since,
                   UsageEvent.outcome.in_(SPENT))
            .group_by(UsageEvent.kind)
        )
        totals: dict[Kind, int] = dict.fromkeys(KINDS, 0)
        async with self._db.session() as session:
            for kind, amount in (await session.execute(query)).all():
                if kind in totals:
                    totals[kind] = int(amount or 0)
        return totals

    async def outcome_counts(self, guild_id: int, since: datetime, kind: Kind) -> dict[str, int]:
        """How many requests of `kind` ended in each outcome (e.g. how many the cache served)."""
        query = (
            select(UsageEvent.outcome, func.count())
            .where(UsageEvent.guild_id == guild_id, UsageEvent.created_at >= since,
                   UsageEvent.kind == kind)
            .group_by(UsageEvent.outcome)
        )
        async with self._db.session() as session:
            return {outcome: int(n) for outcome, n in (await session.execute(query)).all()}

    async def speech_by_model(self, guild_id: int | None, since: datetime, *,
                              user_id: int | None = None) -> dict[str | None, int]:
        """Speech bytes billed since `since` per model, in one guild (None: direct messages),
        optionally for one member. Rows from before models were recorded are under None."""
        query = (
            select(UsageEvent.model, func.sum(UsageEvent.amount))
            .where(UsageEvent.guild_id.is_(None) if guild_id is None else UsageEvent.guild_id == guild_id,
                   UsageEvent.created_at >= since, UsageEvent.kind == "tts_bytes",
                   UsageEvent.outcome.in_(SPENT))
            .group_by(UsageEvent.model)
        )
        if user_id is not None:
            query = query.where(UsageEvent.user_id == user_id)
        async with self._db.session() as session:
            return {model: int(amount or 0) for model, amount in (await session.execute(query)).all()}

    async def spent_since(self, since: datetime) -> dict[tuple[Kind, str | None], int]:
        """Everything billed since `since` across every guild, per kind and model (bot-wide)."""
        query = (
            select(UsageEvent.kind, UsageEvent.model, func.sum(UsageEvent.amount))
            .where(UsageEvent.created_at >= since, UsageEvent.outcome.in_(SPENT))
            .group_by(UsageEvent.kind, UsageEvent.model)
        )
        async with self._db.session() as session:
            return {(kind, model): int(amount or 0)
                    for kind, model, amount in (await session.execute(query)).all() if kind in KINDS}

    async def first_recorded(self) -> datetime | None:
        """When the ledger's oldest row was written (None: empty), so a rate over "the last 7
        days" of a bot that started 2 days ago is taken over 2 days."""
        query = select(UsageEvent.created_at).order_by(UsageEvent.id).limit(1)
        async with self._db.session() as session:
            first = await session.scalar(query)
        # SQLite hands timestamps back without their zone; they were written in UTC.
        return None if first is None else first if first.tzinfo else first.replace(tzinfo=UTC)

    async def top_users(
        self, guild_id: int, since: datetime, limit: int = 10
    ) -> list[tuple[int, dict[Kind, int]]]:
        """The guild's biggest spenders since `since`: by speech characters, then clones, then
        transcription, then voice designs."""
        query = (
            select(UsageEvent.user_id, UsageEvent.kind, func.sum(UsageEvent.amount))
            .where(UsageEvent.guild_id == guild_id, UsageEvent.created_at >= since,
                   UsageEvent.outcome.in_(SPENT), UsageEvent.user_id != FORGOTTEN_MEMBER)
            .group_by(UsageEvent.user_id, UsageEvent.kind)
        )
        per_user: dict[int, dict[Kind, int]] = {}
        async with self._db.session() as session:
            for user_id, kind, amount in (await session.execute(query)).all():
                if kind in KINDS:
                    per_user.setdefault(user_id, dict.fromkeys(KINDS, 0))[kind] = int(amount or 0)
        ranked = sorted(per_user.items(), key=lambda item: tuple(-item[1][k] for k in KINDS))
        return ranked[:limit]

    # --- housekeeping -------------------------------------------------------------------------

    async def has_events(self, user_id: int) -> bool:
        """Whether the ledger holds rows of this member (what /forget-me keeps, without the id)."""
        query = select(UsageEvent.id).where(UsageEvent.user_id == user_id).limit(1)
        async with self._db.session() as session:
            return await session.scalar(query) is not None

    async def forget_user(self, user_id: int) -> int:
        """Data deletion: the member's ledger rows stay for the operator's accounting (what was
        spent, where and when) with their id replaced by FORGOTTEN_MEMBER; their past counters go.
        Today's counters stay until the day ends, so deleting one's data is not a way around a
        quota."""
        async with self._db.session() as session:
            events = await session.execute(update(UsageEvent).where(UsageEvent.user_id == user_id)
                                           .values(user_id=FORGOTTEN_MEMBER))
            counters = await session.execute(
                delete(UsageCounter).where(UsageCounter.user_id == user_id, UsageCounter.day < utc_day())
            )
        return affected_rows(events) + affected_rows(counters)

    async def prune_forever(self, every: float = PRUNE_INTERVAL_S) -> None:
        """Delete counters older than COUNTER_RETENTION_DAYS now and then every `every` seconds,
        until cancelled (the bot runs it from start to close). Failures are logged, not fatal."""
        while True:
            try:
                removed = await self.prune_counters(utc_day() - timedelta(days=COUNTER_RETENTION_DAYS))
                log.debug("pruned %d old quota counters", removed)
            except Exception:
                log.exception("could not prune old quota counters")
            await asyncio.sleep(every)

    async def prune_counters(self, before: date) -> int:
        """Delete counters of days before `before` (the ledger keeps the history)."""
        async with self._db.session() as session:
            result = await session.execute(delete(UsageCounter).where(UsageCounter.day < before))
        return affected_rows(result)

    # --- internals ----------------------------------------------------------------------------

    @staticmethod
    def _counter_where(key: tuple[int, int], day: date, kind: Kind) -> tuple[Any, ...]:
        return (UsageCounter.guild_id == key[0], UsageCounter.user_id == key[1],
                UsageCounter.day == day, UsageCounter.kind == kind)

    def _insert_counter(self, key: tuple[int, int], day: date, kind: Kind) -> Any:
        values = {"guild_id": key[0], "user_id": key[1], "day": day, "kind": kind, "used": 0}
        dialect = self._db.dialect
        if dialect == "postgresql":
            return postgresql.insert(UsageCounter).values(values).on_conflict_do_nothing()
        if dialect == "sqlite":
            return sqlite.insert(UsageCounter).values(values).on_conflict_do_nothing()
        raise NotImplementedError(f"no quota counters for dialect {dialect!r}")

    async def _used(self, key: tuple[int, int], day: date, kind: Kind) -> int:
        async with self._db.session() as session:
            used = await session.scalar(select(UsageCounter.used).where(*self._counter_where(key, day, kind)))
        return int(used or 0)

    async def _record(self, user_id: int, guild_id: int | None, kind: Kind, amount: int,
                      outcome: Outcome, model: str | None) -> None:
        async def attempt() -> None:
            async with self._db.session() as session:
                await self._insert_event(session, user_id, guild_id, kind, amount, outcome, model)

        await self._write(attempt, f"a {outcome} {kind} request of {amount}{_whose(user_id, guild_id)}")

    @staticmethod
    async def _insert_event(session: AsyncSession, user_id: int, guild_id: int | None, kind: Kind,
                            amount: int, outcome: Outcome, model: str | None) -> None:
        await session.execute(
            insert(UsageEvent).values(
                user_id=user_id, guild_id=guild_id, kind=kind, amount=amount, outcome=outcome,
                model=model if kind == "tts_bytes" else None, created_at=clock.utc_now(),
            )
        )


def _whose(user_id: int, guild_id: int | None) -> str:
    return f" (member {user_id}, guild {guild_id})" if guild_id is not None else f" (member {user_id})"


__all__ = ["MemberUsage", "UsageLedger"]
