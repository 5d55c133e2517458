"""The usage tests run every database test on SQLite and on the real PostgreSQL, with the
storage tests' fixtures (PostgreSQL from FISHBOT_TEST_POSTGRES_URL: skipped locally when unset,
a failure when CI=true)."""

from tests.storage.conftest import (  # noqa: F401  (fixtures, registered by import)
    database_url,
    db,
    migrated_database_url,
    migrated_db,
    migrated_postgresql_url,
    migrated_sqlite_url,
    postgresql_migrated_database,
    postgresql_url,
    sqlite_url,
)
