"""Per-guild and per-user feature settings: namespaced JSON blobs behind a read-through cache.

Each feature owns a namespace (e.g. ``"speak"``) and a small pydantic model whose fields all
have defaults::

    class SpeakGuildSettings(BaseModel):
        voice: str | None = None
        max_queue: int = 20

    settings = await store.get_guild(guild.id, "speak", SpeakGuildSettings)
    await store.update_guild(guild.id, "speak", {"voice": voice_id}, model=SpeakGuildSettings)

Rows only hold the fields somebody set, so changing a default in code changes it for everyone
who has not overridden it, and adding a field needs no migration.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeVar, overload

from cachetools import TTLCache
from pydantic import BaseModel, ValidationError
from sqlalchemy import Text, cast, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot import clock
from bot.storage.db import Database, affected_rows
from bot.storage.models import NAMESPACE_MAX_LENGTH, GuildSettings, UserSettings
from bot.storage.notify import ChangeListener, notify

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)
Kind = Literal["guild", "user"]
_Key = tuple[Kind, int, str]
_TABLES: dict[Kind, type[GuildSettings] | type[UserSettings]] = {
    "guild": GuildSettings,
    "user": UserSettings,
}


def _owner_column(table: type[GuildSettings] | type[UserSettings]) -> Any:
    return table.guild_id if issubclass(table, GuildSettings) else table.user_id
_MAX_SNOWFLAKE = 2**63 - 1  # BIGINT is signed


@dataclass(slots=True)
class _Entry:
    blob: dict[str, Any] | None  # None: no row, i.e. all defaults
    model_type: type[BaseModel] | None = None
    model: BaseModel | None = None


class SettingsStore:
    """Read-through, write-invalidated cache over ``guild_settings`` and ``user_settings``.

    The cache is per process (LRU, ``max_entries``) with a TTL. A write invalidates this
    process's entry after commit. On PostgreSQL, several processes may share the database (a
    user talks to the bot in many guilds, handled by different shards): every write also sends
    a NOTIFY in its transaction, and ``listen()`` makes this process drop the entries other
    processes changed (``bot.storage.notify``), so a change is in effect everywhere at once.
    ``ttl`` only bounds staleness while the listening connection is down.
    """

    def __init__(
        self,
        db: Database,
        *,
        ttl: float = 30.0,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if ttl < 0 or max_entries < 0:
            raise ValueError("ttl and max_entries must not be negative")
        self.db = db
        self.ttl = ttl
        self.max_entries = max_entries
        self._cache: TTLCache[_Key, _Entry] = TTLCache(max_entries, ttl, timer=clock)
        # Bumped by every write. A read that raced with a write (the counter moved while it was
        # reading) does not cache its possibly outdated result.
        self._writes = 0
        self._listener = ChangeListener(db, self._changed_elsewhere)
        self.remote_changes = 0  # notifications applied (for tests and metrics)

    async def listen(self) -> None:
        """Follow other processes' writes (PostgreSQL; nothing to do on SQLite)."""
        self._listener.start()

    async def close(self) -> None:
        await self._listener.close()

    @property
    def listening(self) -> asyncio.Event:
        """Set while this process receives other processes' changes."""
        return self._listener.connected

    def _changed_elsewhere(self, payload: str | None) -> None:
        if payload is None:
            self.invalidate()
            return
        try:
            kind, owner, namespace = payload.split(":", 2)
            owner_id = int(owner)
        except ValueError:
            self.invalidate()
            return
        if kind not in _TABLES:
            self.invalidate()
        elif namespace:
            self._writes += 1  # a read in flight must not cache what it saw before the change
            self._cache.pop((kind, owner_id, namespace), None)
        else:
            self.invalidate(kind, owner_id)
        self.remote_changes += 1

    # --- public API -------------------------------------------------------------------------

    async def get_guild(self, guild_id: int, namespace: str, model: type[M]) -> M:
        """The guild's settings; defaults when nothing is stored. Never raises on bad data."""
        return await self._get("guild", guild_id, namespace, model)

    async def get_user(self, user_id: int, namespace: str, model: type[M]) -> M:
        """The user's settings; defaults when nothing is stored. Never raises on bad data."""
        return await self._get("user", user_id, namespace, model)

    @overload
    async def update_guild(self, guild_id: int, namespace: str, changes: M) -> M: ...
    @overload
    async def update_guild(
        self, guild_id: int, namespace: str, changes: Mapping[str, Any], *, model: type[M]
    ) -> M: ...
    @overload
    async def update_guild(
        self, guild_id: int, namespace: str, changes: Mapping[str, Any], *, model: None = None
    ) -> dict[str, Any]: ...
    async def update_guild(
        self,
        guild_id: int,
        namespace: str,
        changes: BaseModel | Mapping[str, Any],
        *,
        model: type[BaseModel] | None = None,
    ) -> BaseModel | dict[str, Any]:
        """Merge ``changes`` into the guild's stored settings (see ``_update``)."""
        return await self._update("guild", guild_id, namespace, changes, model)

    @overload
    async def update_user(self, user_id: int, namespace: str, changes: M) -> M: ...
    @overload
    async def update_user(
        self, user_id: int, namespace: str, changes: Mapping[str, Any], *, model: type[M]
    ) -> M: ...
    @overload
    async def update_user(
        self, user_id: int, namespace: str, changes: Mapping[str, Any], *, model: None = None
    ) -> dict[str, Any]: ...
    async def update_user(
        self,
        user_id: int,
        namespace: str,
        changes: BaseModel | Mapping[str, Any],
        *,
        model: type[BaseModel] | None = None,
    ) -> BaseModel | dict[str, Any]:
        """Merge ``changes`` into the user's stored settings (see ``_update``)."""
        return await self._update("user", user_id, namespace, changes, model)

    async def edit_guild(
        self, guild_id: int, namespace: str, model: type[M], edit: Callable[[M], Mapping[str, Any]]
    ) -> M:
        """Read, change and write the guild's settings as one step: ``edit(current)`` is called
        under the row lock with the stored settings and returns the fields to change (or raises,
        and nothing is written). Edits of the same field at the same instant (two additions to a
        list), in this process or another, each see the other's result instead of overwriting it."""
        result = await self._update("guild", guild_id, namespace, {}, model, edit)
        assert isinstance(result, model)
        return result

    async def edit_user(
        self, user_id: int, namespace: str, model: type[M], edit: Callable[[M], Mapping[str, Any]]
    ) -> M:
        """``edit_guild`` for a user's settings."""
        result = await self._update("user", user_id, namespace, {}, model, edit)
        assert isinstance(result, model)
        return result

    async def delete_guild(self, guild_id: int, namespace: str | None = None) -> int:
        """Delete the guild's settings (one namespace, or all); return the rows deleted."""
        return await self._delete("guild", guild_id, namespace)

    async def delete_user(self, user_id: int, namespace: str | None = None) -> int:
        """Data deletion: remove every namespace of the user (or just one); return rows deleted."""
        return await self._delete("user", user_id, namespace)

    async def user_namespaces(self, user_id: int) -> list[str]:
        """The namespaces stored for a user (what a data-deletion request will delete)."""
        _check_id(user_id)
        query = select(UserSettings.namespace).where(UserSettings.user_id == user_id)
        async with self.db.session() as session:
            return sorted((await session.scalars(query)).all())

    async def guilds_mentioning(self, namespace: str, model: type[M], member_id: int) -> dict[int, M]:
        """The guilds whose `namespace` settings mention `member_id` anywhere, read straight from
        the database (a data-deletion request looks for a member's entries in every server). The
        text match only narrows the search: callers check the fields they mean."""
        _check_id(member_id)
        query = select(GuildSettings.guild_id, GuildSettings.data).where(
            GuildSettings.namespace == _check_namespace(namespace),
            cast(GuildSettings.data, Text).contains(str(member_id), autoescape=True),
        )
        async with self.db.session() as session:
            rows = (await session.execute(query)).all()
        return {guild_id: _validate_leniently(model, data, ("guild", guild_id, namespace))
                for guild_id, data in sorted(rows)}

    def invalidate(self, kind: Kind | None = None, owner_id: int | None = None) -> None:
        """Drop cached entries: all, one kind, or one guild/user (e.g. on a cross-process hint)."""
        self._writes += 1
        if kind is None:
            self._cache.clear()
            return
        for key in [k for k in self._cache if k[0] == kind and owner_id in (None, k[1])]:
            del self._cache[key]

    # --- internals --------------------------------------------------------------------------

    async def _get(self, kind: Kind, owner_id: int, namespace: str, model: type[M]) -> M:
        key = _key(kind, owner_id, namespace)
        entry = self._cache.get(key)  # None once expired; a hit counts as a use
        if entry is None:
            writes_before = self._writes
            table = _TABLES[kind]
            async with self.db.session() as session:
                blob = await session.scalar(select(table.data).where(*_where(table, key)))
            entry = _Entry(blob=blob)
            if writes_before == self._writes:
                self._store(key, entry)
        cached = entry.model
        if entry.model_type is not model or not isinstance(cached, model):
            cached = _validate_leniently(model, entry.blob, key)
            entry.model = cached
            entry.model_type = model
        return _fresh_copy(cached)

    async def _update(
        self,
        kind: Kind,
        owner_id: int,
        namespace: str,
        changes: BaseModel | Mapping[str, Any],
        model: type[BaseModel] | None,
        edit: Callable[[Any], Mapping[str, Any]] | None = None,
    ) -> BaseModel | dict[str, Any]:
        """Merge ``changes`` (or what ``edit`` returns, given the stored settings as ``model``)
        into the stored blob under a row lock and write it back.

        ``changes`` is either a mapping of field -> value, or a model instance whose explicitly
        set fields are written (``model_fields_set``: constructor arguments and attributes
        assigned after ``get_*``, which returns models with an empty set). Fields not mentioned
        are left as stored, so concurrent updates of different fields never overwrite each
        other. With a model, the merged result is validated (ValidationError on bad values,
        ValueError on unknown fields; nothing written) and returned; without one, the merged
        dict is returned.
        """
        key = _key(kind, owner_id, namespace)
        if isinstance(changes, BaseModel):
            model = model or type(changes)
            patch = changes.model_dump(mode="json", include=set(changes.model_fields_set))
        else:
            patch = dict(changes)
        _check_fields(model, patch)
        table = _TABLES[kind]
        self._writes += 1
        try:
            async with self.db.session(write=True) as session:
                stored = await self._lock_row(session, table, key)
                merged: dict[str, Any] = dict(stored)
                result: BaseModel | dict[str, Any]
                if model is not None:
                    # Stored fields that no longer validate are dropped rather than failing the
                    # write; the patch itself must validate.
                    current, kept = _clean(model, stored, key)
                    if edit is not None:
                        patch = dict(edit(_fresh_copy(current)))
                        _check_fields(model, patch)
                    merged = kept | patch
                    result = model.model_validate(merged)
                    # Store the normalised values of the fields that are set, plus any keys the
                    # model does not know (written by a newer version of the bot).
                    fields = set(type(result).model_fields)
                    merged = result.model_dump(mode="json", include=set(merged) & fields) | {
                        k: v for k, v in merged.items() if k not in fields
                    }
                else:
                    merged.update(patch)
                    result = dict(merged)
                await session.execute(_upsert(self.db.dialect, table, key, merged))
                await self._notify(session, kind, owner_id, namespace)
        finally:
            # Invalidate after commit (and after failures: the row may have changed anyway).
            self._writes += 1
            self._cache.pop(key, None)
        return _fresh_copy(result) if isinstance(result, BaseModel) else result

    async def _lock_row(
        self, session: AsyncSession, table: type[GuildSettings] | type[UserSettings], key: _Key
    ) -> dict[str, Any]:
        """The stored blob, with the row locked until commit.

        The row is created first if missing (ON CONFLICT DO NOTHING) because FOR UPDATE cannot
        lock a row that does not exist: two first-time writers would otherwise both see
        nothing and the second upsert would overwrite the first. On PostgreSQL the second
        writer's insert waits for the first to commit, then FOR UPDATE reads the committed row.
        On SQLite the session began with BEGIN IMMEDIATE, so writers (in this or any other
        process using the file) are already serialised and FOR UPDATE is simply not rendered.
        """
        await session.execute(_insert(self.db.dialect, table, key, {}).on_conflict_do_nothing())
        stored = await session.scalar(select(table.data).where(*_where(table, key)).with_for_update())
        return stored if isinstance(stored, dict) else {}

    async def _delete(self, kind: Kind, owner_id: int, namespace: str | None) -> int:
        _check_id(owner_id)
        table = _TABLES[kind]
        owner_col = _owner_column(table)
        stmt = delete(table).where(owner_col == owner_id)
        if namespace is not None:
            stmt = stmt.where(table.namespace == _check_namespace(namespace))
        self._writes += 1
        try:
            async with self.db.session() as session:
                result = await session.execute(stmt)
                await self._notify(session, kind, owner_id, namespace or "")
        finally:
            self._writes += 1
            self.invalidate(kind, owner_id)
        return affected_rows(result)

    async def _notify(self, session: AsyncSession, kind: Kind, owner_id: int, namespace: str) -> None:
        """Tell the other processes (on commit) which entry changed; "" = every namespace."""
        if self.db.dialect == "postgresql":
            await notify(session, f"{kind}:{owner_id}:{namespace}")

    def _store(self, key: _Key, entry: _Entry) -> None:
        if self.max_entries == 0 or self.ttl == 0:
            return
        self._cache[key] = entry  # the least recently used entry makes room


def _check_fields(model: type[BaseModel] | None, patch: Mapping[str, Any]) -> None:
    if model is not None and model.model_config.get("extra") != "allow":
        # pydantic would silently ignore a misspelt field; refuse to store it instead.
        unknown = set(patch) - set(model.model_fields)
        if unknown:
            raise ValueError(f"{model.__name__} has no fields {sorted(unknown)}")


def _check_id(owner_id: int) -> int:
    if isinstance(owner_id, bool) or not isinstance(owner_id, int):
        raise TypeError(f"Discord ids are ints, got {type(owner_id).__name__}")
    if not 0 <= owner_id <= _MAX_SNOWFLAKE:
        raise ValueError(f"{owner_id} is not a Discord id")
    return owner_id


def _check_namespace(namespace: str) -> str:
    if not namespace or len(namespace) > NAMESPACE_MAX_LENGTH:
        raise ValueError(f"namespace must be 1-{NAMESPACE_MAX_LENGTH} characters: {namespace!r}")
    return namespace


def _key(kind: Kind, owner_id: int, namespace: str) -> _Key:
    return (kind, _check_id(owner_id), _check_namespace(namespace))


def _where(table: type[GuildSettings] | type[UserSettings], key: _Key) -> tuple[Any, Any]:
    owner_col = _owner_column(table)
    return (owner_col == key[1], table.namespace == key[2])


def _insert(
    dialect: str, table: type[GuildSettings] | type[UserSettings], key: _Key, data: dict[str, Any]
) -> Any:
    owner = "guild_id" if table is GuildSettings else "user_id"
    values = {owner: key[1], "namespace": key[2], "data": data, "updated_at": clock.utc_now()}
    if dialect == "postgresql":
        return postgresql.insert(table).values(values)
    if dialect == "sqlite":
        return sqlite.insert(table).values(values)
    raise NotImplementedError(f"no upsert for dialect {dialect!r}")


def _upsert(
    dialect: str, table: type[GuildSettings] | type[UserSettings], key: _Key, data: dict[str, Any]
) -> Any:
    stmt = _insert(dialect, table, key, data)
    owner = "guild_id" if table is GuildSettings else "user_id"
    return stmt.on_conflict_do_update(
        index_elements=[owner, "namespace"],
        set_={"data": stmt.excluded.data, "updated_at": stmt.excluded.updated_at},
    )


def _validate_leniently(model: type[M], blob: object, key: _Key) -> M:
    return _clean(model, blob, key)[0]


def _clean(model: type[M], blob: object, key: _Key) -> tuple[M, dict[str, Any]]:
    """Validate a stored blob, dropping fields that fail (logged); as a last resort, defaults.

    Returns the model and the stored data that was kept. Stored data can outlive the code that
    wrote it (a field changed type, an enum value was removed), and a user must never see an
    error for that.
    """
    data = dict(blob) if isinstance(blob, dict) else {}
    if blob is not None and not isinstance(blob, dict):
        log.warning("%s settings %s/%s: stored value is not an object; using defaults", *key)
    for _ in range(len(data) + 1):
        try:
            return model.model_validate(data), data
        except ValidationError as exc:
            bad = {str(err["loc"][0]) for err in exc.errors() if err["loc"]} & set(data)
            if not bad:
                break
            # Field names only: the values may be user data.
            log.warning(
                "%s settings %s/%s: ignoring stored fields that no longer validate: %s",
                *key,
                ", ".join(sorted(bad)),
            )
            for name in bad:
                del data[name]
    log.warning("%s settings %s/%s: stored value does not validate; using defaults", *key)
    return model(), {}


def _fresh_copy(model: M) -> M:
    """A private copy for the caller, with no fields marked as set.

    Callers may mutate what they get without corrupting the cache, and after assigning
    attributes can pass the model to ``update_*``, which then writes exactly those fields.
    """
    copy = model.model_copy(deep=True)
    object.__setattr__(copy, "__pydantic_fields_set__", set())
    return copy
