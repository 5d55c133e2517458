"""A cast of members and their voices for /scene, and running a scene through the command tree."""

from __future__ import annotations

from typing import Any

from tests.discord_harness import FakeGuild, Harness, Sent, snowflake, wait_for


class Cast:
    def __init__(self, bot: Any, guild: FakeGuild, fakefish: Any) -> None:
        self.ann = guild.add_member(snowflake(), "Ann")
        self.bob = guild.add_member(snowflake(), "Bob")
        self.ann_voice = fakefish.add_voice("Ann Voice")["_id"]
        self.bob_voice = fakefish.add_voice("Bob Voice")["_id"]
        self.narrator = fakefish.add_voice("Narrator", mine=False)["_id"]
        self.bot = bot

    async def give_voices(self) -> None:
        for user_id, voice_id in ((self.ann, self.ann_voice), (self.bob, self.bob_voice)):
            await self.bot.store.update_user(user_id, "voice", {"voice_id": voice_id})


async def scene(harness: Harness, guild: FakeGuild, user_id: int, script: str, **options: Any) -> list[Sent]:
    [modal] = await harness.run("scene", user_id=user_id, guild=guild, **options)
    before = len(harness.sent)
    await harness.submit_modal(modal, {"script": script}, user_id=user_id, guild=guild)
    await wait_for(lambda: any(s.kind == "followup" or s.callback_type == 4 for s in harness.sent[before:]))
    return harness.sent[before:]


def reply(sent: list[Sent]) -> Sent:
    return [s for s in sent if s.kind == "followup" or s.callback_type == 4][-1]


def put_in_voice(guild: FakeGuild, *user_ids: int) -> None:
    channel = guild.add_channel("Stage", kind=2)
    for user_id in user_ids:
        guild.put_in_voice(user_id, channel)
