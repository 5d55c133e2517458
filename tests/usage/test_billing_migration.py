"""Migration 0005: speech counted in characters becomes speech counted in UTF-8 bytes, on SQLite
and on PostgreSQL, with the data a bot running the previous version left behind."""

from __future__ import annotations

import importlib.util
import json
from datetime import UTC, date, datetime

from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect, text

from bot.config import Settings
from bot.storage.db import Database
from bot.storage.migrations import MIGRATIONS_DIR, current_revision, head_revision, upgrade
from bot.storage.settings import SettingsStore
from bot.usage import UsageLedger

GUILD, ALICE = 111_111_111_111_111_111, 222_222_222_222_222_222
TODAY = date(2026, 12, 20)


async def test_existing_counters_ledger_and_server_limits_convert_one_for_one(db: Database) -> None:
    await upgrade(db, "0004_bot_state_and_cooldowns")
    async with db.session(write=True) as session:
        for user_id, used in ((0, 900), (ALICE, 300)):  # the guild's total and Alice: characters
            await session.execute(text(
                "INSERT INTO usage_counters (guild_id, user_id, day, kind, used) VALUES (:g, :u, :d, :k, :n)"
            ), {"g": GUILD, "u": user_id, "d": TODAY, "k": "tts_chars", "n": used})
        await session.execute(text(
            "INSERT INTO usage_counters (guild_id, user_id, day, kind, used) VALUES (:g, :u, :d, 'clones', 1)"
        ), {"g": GUILD, "u": ALICE, "d": TODAY})
        for kind, amount in (("tts_chars", 300), ("tts_chars", 42), ("clones", 1)):
            await session.execute(text(
                "INSERT INTO usage_ledger (user_id, guild_id, kind, amount, outcome, created_at) "
                "VALUES (:u, :g, :k, :n, 'ok', :t)"
            ), {"u": ALICE, "g": GUILD, "k": kind, "n": amount, "t": datetime(2026, 12, 20, 9, tzinfo=UTC)})
        await session.execute(text(
            "INSERT INTO guild_settings (guild_id, namespace, data) VALUES (:g, 'quotas', :data)"
        ), {"g": GUILD, "data": '{"tts_chars_per_member": 500, "clones_per_member": 1}'})

    assert await upgrade(db) == [await head_revision()]
    assert await current_revision(db) == "0005_billing"
    async with db.session() as session:
        counters = (await session.execute(text(
            "SELECT user_id, kind, used FROM usage_counters ORDER BY user_id, kind"))).all()
        ledger = (await session.execute(text(
            "SELECT kind, amount, model FROM usage_ledger ORDER BY id"))).all()
        [limits] = (await session.execute(text(
            "SELECT data FROM guild_settings WHERE namespace = 'quotas'"))).scalars().all()
    # Characters are a lower bound of bytes (equal for English): kept one for one, never guessed up.
    assert [tuple(row) for row in counters] == [(0, "tts_bytes", 900), (ALICE, "clones", 1),
                                                (ALICE, "tts_bytes", 300)]
    assert [tuple(row) for row in ledger] == [("tts_bytes", 300, None), ("tts_bytes", 42, None),
                                              ("clones", 1, None)]
    limits = limits if isinstance(limits, dict) else json.loads(limits)
    assert limits == {"tts_bytes_per_member": 500, "clones_per_member": 1}

    # The bot reads them as it left them: the server's own limit of 500 holds, now in bytes, and
    # the old rows are speech whose model was not recorded.
    ledger = UsageLedger(db, Settings(), store=SettingsStore(db))
    assert (await ledger.limits("tts_bytes", GUILD)).member == 500
    assert await ledger.speech_by_model(GUILD, datetime(2026, 12, 20, tzinfo=UTC)) == {None: 342}

    # And back: the names return, the model column goes, the numbers stay.
    await _downgrade_0005(db)
    async with db.session() as session:
        kinds = await session.execute(text("SELECT DISTINCT kind FROM usage_ledger ORDER BY kind"))
        assert list(kinds.scalars()) == ["clones", "tts_chars"]
        [limits] = (await session.execute(text(
            "SELECT data FROM guild_settings WHERE namespace = 'quotas'"))).scalars().all()
    limits = limits if isinstance(limits, dict) else json.loads(limits)
    assert limits == {"tts_chars_per_member": 500, "clones_per_member": 1}
    async with db.engine.connect() as conn:
        columns = await conn.run_sync(lambda sync: inspect(sync).get_columns("usage_ledger"))
    assert "model" not in [column["name"] for column in columns]


async def _downgrade_0005(db: Database) -> None:
    spec = importlib.util.spec_from_file_location("m0005", MIGRATIONS_DIR / "versions" / "0005_billing.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    def run(connection: Connection) -> None:
        context = MigrationContext.configure(connection, opts={"render_as_batch": True})
        with Operations.context(context):
            module.downgrade()

    async with db.write_engine.begin() as conn:
        await conn.run_sync(run)
