"""Designing voices through the command tree and answering its buttons."""

from __future__ import annotations

from typing import Any

from tests.discord_harness import FakeGuild, Harness, Sent

ANN, BOB = 4242, 5353
DESCRIPTION = "A calm, low-pitched narrator with a hint of gravel"


async def design(harness: Harness, guild: FakeGuild, user_id: int = ANN, **options: Any) -> list[Sent]:
    return await harness.run("voices design", user_id=user_id, guild=guild, **options)


def answer(sent: list[Sent]) -> Sent:
    return next(s for s in sent if s.kind == "followup")
