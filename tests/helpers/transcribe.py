"""A voice message as Discord sends it, served by the stand-in CDN."""

from __future__ import annotations

from typing import Any

from tests.attachments import VOICE_MESSAGE_FLAG, FakeCDN
from tests.discord_harness import FakeGuild, message_payload
from tests.media_samples import MediaSamples

ANN = 4242


def voice_message(guild: FakeGuild, cdn: FakeCDN, media: MediaSamples, channel_id: int) -> dict[str, Any]:
    return message_payload(guild, author_id=ANN, channel_id=channel_id, flags=VOICE_MESSAGE_FLAG,
                           attachments=[cdn.attachment(media.bytes("voice-message.ogg"),
                                                       "voice-message.ogg", content_type="audio/ogg",
                                                       voice=True, duration_secs=5.0)])
