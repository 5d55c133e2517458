"""Cloning through the command tree: start a clone, read the message it last edited."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.discord_harness import FakeGuild, Harness, Sent

ANN, BOB, OWNER = 4242, 5353, 6464
SLOTS = ("sample", "sample2", "sample3")


def start_clone(harness: Harness, guild: FakeGuild, samples: list[dict[str, Any]], *, user_id: int = ANN,
                title: str = "Ann's voice", cover: dict[str, Any] | None = None,
                **options: Any) -> asyncio.Task[list[Sent]]:
    """/clone runs until the member answers the consent question, so it runs as a task."""
    attachments = {p["id"]: p for p in [*samples, *([cover] if cover else [])]}
    slots = {slot: p["id"] for slot, p in zip(SLOTS, samples, strict=False)}
    if cover:
        options["cover"] = cover["id"]
    return asyncio.create_task(harness.run("clone", user_id=user_id, guild=guild, title=title,
                                           resolved={"attachments": attachments}, **slots, **options))


def last_edit(harness: Harness) -> Sent:
    return [s for s in harness.sent if s.kind == "edit_message"][-1]
