"""Migration scripts, applied in order by ``bot.storage.migrations.upgrade()``.

How a feature adds a migration:

1. Add one file here named after the next number, e.g. ``0002_voice_presets.py``, with
   ``revision = "0002_voice_presets"`` and ``down_revision =`` the current head (the highest
   existing revision id, e.g. ``"0001_initial"``). Keep ids fixed and readable; never edit a
   migration that has been released, add a new one instead. (``alembic -c
   bot/storage/migrations/alembic.ini revision --rev-id 0002_voice_presets -m "voice presets"``
   writes the skeleton; ``--autogenerate`` with ``-x url=…`` fills it from the models.)
2. Write ``upgrade()`` with ``op.create_table(...)``/``op.add_column(...)`` and ``downgrade()``
   undoing it. Use plain SQLAlchemy types (``sa.BigInteger`` for Discord ids) so it runs on
   SQLite and PostgreSQL; do not import the ORM models (they change, migrations must not).
3. SQLite cannot alter or drop columns/constraints in place: wrap such changes in
   ``with op.batch_alter_table("table") as batch: batch.alter_column(...)`` (it recreates the
   table on SQLite and issues normal ALTERs on PostgreSQL). Name constraints explicitly or rely
   on ``models.NAMING_CONVENTION``.
4. Update ``bot/storage/models.py`` to match; ``tests/storage`` applies every migration on both
   databases and fails if the migrated schema differs from the models.

Small per-feature settings usually need no migration at all: store them in a namespace of
``guild_settings``/``user_settings`` through ``bot.storage.settings.SettingsStore``.
"""
