"""The server's speech settings (`ServerSpeech`, once `ServerSpeech`) load from the rows
servers saved before the rename: the stored namespace is still "narration"."""

from __future__ import annotations

from sqlalchemy import insert

from bot.spoken.settings import NAMESPACE, ServerSpeech
from bot.storage.db import Database
from bot.storage.models import GuildSettings
from bot.storage.settings import SettingsStore

GUILD = 123456789012345678


async def test_a_row_saved_as_narration_settings_loads(migrated_db: Database) -> None:
    saved = {"channels": [42], "announce_names": False, "volume": 6.0, "normalize_loudness": False,
             "expressive_cues": True, "name_template": "{name}:"}
    async with migrated_db.session(write=True) as session:  # as a bot before the rename wrote it
        await session.execute(insert(GuildSettings).values(guild_id=GUILD, namespace="narration", data=saved))
    loaded = await SettingsStore(migrated_db).get_guild(GUILD, NAMESPACE, ServerSpeech)
    assert loaded == ServerSpeech(**saved)
    assert loaded.spec_volume == 6.0 and loaded.spec_normalize_loudness is False
