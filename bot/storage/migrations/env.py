"""Alembic environment for the Alembic CLI (developers only).

The bot does not execute this file: ``bot.storage.migrations.upgrade()`` sets up the same
context in code. From the CLI it connects to ``-x url=…`` or $DATABASE_URL, for example::

    DATABASE_URL=sqlite:///data/dev.db alembic -c bot/storage/migrations/alembic.ini upgrade head
    alembic -c bot/storage/migrations/alembic.ini -x url=sqlite:///data/dev.db check
"""

from __future__ import annotations

import asyncio
import os

from alembic import context

from bot.storage.db import Database
from bot.storage.migrations import configure_and_run, run_locked


async def _run_online(url: str) -> None:
    db = Database(url)
    try:
        await db.connect()
        async with db.write_engine.connect() as conn:
            await conn.run_sync(run_locked, configure_and_run)
    finally:
        await db.close()


def _main() -> None:
    if context.is_offline_mode():
        raise SystemExit("offline (--sql) mode is not supported; run against a database")
    url = context.get_x_argument(as_dictionary=True).get("url") or os.environ.get("DATABASE_URL")
    if not url:
        raise SystemExit("set DATABASE_URL or pass -x url=… to choose the database")
    asyncio.run(_run_online(url))


_main()
