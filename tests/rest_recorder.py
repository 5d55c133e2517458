"""Records the few discord.py REST calls made outside interactions (channel messages, replies,
DMs) by replacing those HTTPClient methods: what the bot sent, never a real request."""

from __future__ import annotations

from typing import Any

import discord
import pytest

from bot import clock
from tests.discord_harness import BOT_USER_ID, snowflake, user_payload


class RestRecorder:
    """Replaces channel sends (and replies), DM channel creation and user lookups with a recorder."""

    def __init__(self, bot: Any, monkeypatch: pytest.MonkeyPatch, *, fail_channel: bool = False) -> None:
        self.messages: list[tuple[int, dict[str, Any]]] = []
        self.dm_channels: dict[int, int] = {}
        self.fail_channel = fail_channel
        monkeypatch.setattr(bot.http, "send_message", self.send_message)
        monkeypatch.setattr(bot.http, "start_private_message", self.start_private_message)
        monkeypatch.setattr(bot.http, "get_user", self.get_user)

    async def send_message(self, channel_id: int, *, params: Any) -> dict[str, Any]:
        if self.fail_channel and channel_id not in self.dm_channels.values():
            raise discord.Forbidden(FakeResponse(403), {"code": 50013, "message": "Missing Permissions"})
        self.messages.append((int(channel_id), params.payload))
        return {"id": str(snowflake()), "channel_id": str(channel_id), "content": params.payload["content"],
                "author": user_payload(BOT_USER_ID, "fishbot", bot=True),
                "timestamp": clock.utc_now().isoformat(), "edited_timestamp": None, "tts": False,
                "mention_everyone": False, "mentions": [], "mention_roles": [], "attachments": [],
                "embeds": [], "pinned": False, "type": 0}

    async def start_private_message(self, user_id: int) -> dict[str, Any]:
        channel_id = self.dm_channels.setdefault(int(user_id), snowflake())
        return {"id": str(channel_id), "type": 1, "recipients": [user_payload(user_id, "owner")]}

    async def get_user(self, user_id: int) -> dict[str, Any]:
        return user_payload(user_id, "owner")


class FakeResponse:
    def __init__(self, status: int) -> None:
        self.status = status
        self.reason = "Forbidden"


class CommandSyncRecorder:
    """Replaces the global bulk upsert (what `tree.sync()` sends) on every bot's HTTP client:
    records each payload and answers as Discord does, or fails with `fail_status`."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[list[dict[str, Any]]] = []
        self.fail_status: int | None = None
        recorder = self

        async def bulk_upsert_global_commands(
            http: Any, application_id: int, payload: list[dict[str, Any]]
        ) -> list[dict[str, Any]]:
            if recorder.fail_status is not None:
                raise discord.HTTPException(FakeResponse(recorder.fail_status), "failed")
            recorder.calls.append(payload)
            return [{"description": "", **command, "id": str(snowflake()),
                     "application_id": str(application_id),
                     "version": str(snowflake()), "default_member_permissions": None}
                    for command in payload]

        monkeypatch.setattr(discord.http.HTTPClient, "bulk_upsert_global_commands",
                            bulk_upsert_global_commands)
