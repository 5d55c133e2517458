"""Which Fish voices a member may use. The API key is the operator's, so the API shows every voice
the operator's account owns; the bot's own ownership records keep one member's private voices
away from everyone else (the rule: bot/storage/voice_owners.py)."""

from __future__ import annotations

import logging

from bot.errors import UnknownVoice, VoiceTraining
from bot.fish import FishClient, NotFoundError, PermissionDeniedError, Voice, parse_voice_id
from bot.storage.voice_owners import VoiceOwners, may_use, shared

log = logging.getLogger(__name__)


async def usable_voice(fish: FishClient, owners: VoiceOwners, user_id: int | None, typed: str) -> Voice:
    """The voice `typed` names, if it exists and `user_id` may speak with it (None: every member
    may, as a server's default voice must be): library voices, and voices cloned through the bot
    only by the member who cloned them unless made public. Another member's private or unlisted
    voice looks exactly like a missing one, and so does anything that isn't exactly a voice id:
    refused before Fish is asked."""
    voice_id = parse_voice_id(typed)
    if voice_id is None:
        raise UnknownVoice(typed)
    record = await owners.get(voice_id)
    if not (shared(record) if user_id is None else may_use(record, user_id)):
        raise UnknownVoice(typed)
    try:
        voice = await fish.voices.get(voice_id)
    except (NotFoundError, PermissionDeniedError):  # 403: another Fish account's private voice
        raise UnknownVoice(typed) from None
    if voice.id != voice_id:
        # The rule was checked on the id asked about; a voice under any other id is not that one.
        log.warning("Fish answered GET /model/%s with voice %s", voice_id, voice.id[:64])
        raise UnknownVoice(typed)
    if record is None and voice.visibility == "private":
        # A private voice on the operator's account that no member is recorded to own (made on
        # Fish's website, or cloned before the records were kept): nobody's to hand out.
        raise UnknownVoice(typed)
    if not voice.ready:
        raise VoiceTraining()
    return voice
