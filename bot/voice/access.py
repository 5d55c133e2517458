"""Which Fish voices a member may use. The API key is the operator's, so the API shows every voice
the operator's account owns; the bot's own ownership records keep one member's private voices
away from everyone else."""

from __future__ import annotations

from bot.errors import UserFacingError
from bot.fish import FishClient, NotFoundError, Voice
from bot.i18n import _
from bot.storage.db import Database
from bot.storage.voice_owners import VoiceOwners


def unknown_voice(voice_id: str) -> UserFacingError:
    text = _("There's no Fish Audio voice with the id `{voice_id}` that you can use.")
    return UserFacingError(text.format(voice_id=voice_id[:64]))


async def usable_voice(fish: FishClient, db: Database, user_id: int, voice_id: str) -> Voice:
    """The voice, if it exists and `user_id` may speak with it: library voices, and voices cloned
    through the bot only by the member who cloned them unless made public. Another member's
    private or unlisted voice looks exactly like a missing one."""
    record = await VoiceOwners(db).get(voice_id)
    if record is not None and record.user_id != user_id and record.visibility != "public":
        raise unknown_voice(voice_id)
    try:
        voice = await fish.voices.get(voice_id)
    except NotFoundError:
        raise unknown_voice(voice_id) from None
    if not voice.ready:
        raise UserFacingError(
            _("That voice is still being trained on Fish Audio (or its training failed): "
              "it can speak once it is ready.")
        )
    return voice
