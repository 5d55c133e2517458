"""Persistence for fishbot.

- ``bot.storage.db``: ``Database`` (async engine + sessions), ``normalize_database_url``,
  ``redact_url``.
- ``bot.storage.migrations``: ``upgrade(db)`` / ``current_revision(db)`` (Alembic, run on start).
- ``bot.storage.models``: ORM tables; ``bot.storage.settings``: ``SettingsStore``.

Nothing is imported here so that importing ``bot.storage.db`` (e.g. from the config) stays light.
"""
