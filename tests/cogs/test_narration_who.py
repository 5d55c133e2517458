"""Who and what narration reads, driven through discord.py's gateway parsers: ignore lists, the
member's own opt-out, @silent messages, forwards, the required prefix, stage audiences, the
voice channel's chat, the name template and join/leave announcements."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from bot.spoken.settings import NAMESPACE, ServerSpeech
from tests.discord_harness import message_payload, snowflake, wait_for
from tests.discord_internals import gateway_event
from tests.helpers.narration import (
    ANN,
    BOB,
    CAT,
    HELPER_BOT,
    MANAGE,
    Room,
    configure,
    settings_for,
    settle,
    spoken,
    voice_update,
)

SUPPRESS_NOTIFICATIONS = 1 << 12


@pytest.fixture
def bot_settings(fakefish: Any, tmp_path: Path) -> Settings:
    fakefish.ms_per_char = 5.0  # short clips keep the tests quick
    fakefish.min_seconds = 0.2
    return settings_for(fakefish.base_url, tmp_path)


def resolved_member(room: Room, user_id: int) -> dict[str, Any]:
    member = next(m for m in room.guild.members if m["user"]["id"] == str(user_id))
    return {"users": {str(user_id): member["user"]}, "members": {str(user_id): member}}


async def test_ignore_lists_for_members_and_roles(bot, room, guild, fakefish) -> None:
    role = guild.add_role("Muted", 0)
    guild.members = [m for m in guild.members if m["user"]["id"] != str(CAT)]
    guild.add_member(CAT, "cat", roles=[role])
    voice_update(room, CAT, room.voice_channel)
    await room.join_and_bind()
    harness = room.harness
    sent = await harness.run("settings ignore add", user_id=ANN, guild=guild, permissions=MANAGE,
                             member=str(BOB), resolved=resolved_member(room, BOB))
    assert sent[-1].content == f"<@{BOB}> won't be read aloud any more." and sent[-1].ephemeral
    assert sent[-1].allowed_mentions == {"parse": []}
    await harness.run("settings ignore add", user_id=ANN, guild=guild, permissions=MANAGE, role=str(role),
                      resolved={"roles": {str(role): guild.roles[-1]}})
    again = await harness.run("settings ignore add", user_id=ANN, guild=guild, permissions=MANAGE,
                              member=str(BOB), resolved=resolved_member(room, BOB))
    assert "is already ignored" in again[-1].content
    listed = await harness.run("settings ignore list", user_id=ANN, guild=guild, permissions=MANAGE)
    fields = {f.name: f.value for f in listed[-1].embeds[0].fields}
    assert fields == {"Members": f"<@{BOB}>", "Roles": f"<@&{role}>"}
    room.say(BOB, "ignored member")
    room.say(CAT, "ignored role")
    room.say(ANN, "read")
    await wait_for(lambda: len(spoken(fakefish)) == 1)
    await harness.run("settings ignore remove", user_id=ANN, guild=guild, permissions=MANAGE,
                      member=str(BOB), resolved=resolved_member(room, BOB))
    room.say(BOB, "read again")
    await wait_for(lambda: len(spoken(fakefish)) == 2)
    await settle(bot)
    assert spoken(fakefish) == ["ann said: read", "bob said: read again"]
    refused = await harness.run("settings ignore add", user_id=BOB, guild=guild,
                                permissions=0, member=str(ANN), resolved=resolved_member(room, ANN))
    assert "Manage Server" in refused[-1].content


async def test_ignore_edits_at_the_same_instant_are_all_kept(bot, room, guild) -> None:
    """Each edit reads and writes the list as one step under the store's row lock."""
    members = [guild.add_member(snowflake(), f"m{i}") for i in range(6)]
    edits = [room.harness.run("settings ignore add", user_id=ANN, guild=guild, permissions=MANAGE,
                              member=str(m), resolved=resolved_member(room, m)) for m in members]
    roles = [guild.add_role(f"r{i}", 0) for i in range(3)]
    edits += [room.harness.run("settings ignore add", user_id=ANN, guild=guild, permissions=MANAGE,
                               role=str(r), resolved={"roles": {str(r): guild.roles[-3 + i]}})
              for i, r in enumerate(roles)]
    replies = await asyncio.gather(*edits)
    assert all(sent[-1].content.endswith("won't be read aloud any more.") for sent in replies)
    config = await bot.store.get_guild(guild.id, NAMESPACE, ServerSpeech)
    assert sorted(config.ignored_members) == sorted(members)
    assert sorted(config.ignored_roles) == sorted(roles)
    removals = [room.harness.run("settings ignore remove", user_id=ANN, guild=guild, permissions=MANAGE,
                                 member=str(m), resolved=resolved_member(room, m)) for m in members[:4]]
    await asyncio.gather(*removals)
    config = await bot.store.get_guild(guild.id, NAMESPACE, ServerSpeech)
    assert sorted(config.ignored_members) == sorted(members[4:])


async def test_a_member_can_opt_out_and_back_in(bot, room, guild, fakefish) -> None:
    await room.join_and_bind()
    sent = await room.harness.run("voice mute-me", user_id=BOB, guild=guild)
    assert "won't be read aloud in this server" in sent[-1].content and sent[-1].ephemeral
    room.say(BOB, "not read")
    room.say(ANN, "barrier")
    await wait_for(lambda: len(spoken(fakefish)) == 1)
    await room.harness.run("voice unmute-me", user_id=BOB, guild=guild)
    room.say(BOB, "read again")
    await wait_for(lambda: len(spoken(fakefish)) == 2)
    assert spoken(fakefish) == ["ann said: barrier", "bob said: read again"]
    assert (await bot.forget_user(BOB)).records >= 1  # the opt-out is the member's data


async def test_silent_messages_are_not_read_unless_allowed(bot, room, guild, fakefish) -> None:
    await room.join_and_bind()
    room.say(ANN, "shh", flags=SUPPRESS_NOTIFICATIONS)
    room.say(ANN, "barrier")
    await wait_for(lambda: len(spoken(fakefish)) == 1)
    await configure(room, read_silent=True)
    room.say(ANN, "now read", flags=SUPPRESS_NOTIFICATIONS)
    await wait_for(lambda: len(spoken(fakefish)) == 2)
    assert spoken(fakefish) == ["ann said: barrier", "now read"]


def forward(room: Room, author_id: int, content: str) -> dict[str, Any]:
    payload = message_payload(room.guild, author_id=author_id, content="")
    payload["message_reference"] = {"type": 1, "message_id": str(snowflake()),
                                    "channel_id": str(snowflake()), "guild_id": str(snowflake())}
    payload["message_snapshots"] = [{"message": {
        "type": 0, "content": content, "embeds": [], "attachments": [
            {"id": str(snowflake()), "filename": "cat.png", "size": 10, "url": "https://cdn/cat.png",
             "proxy_url": "https://cdn/cat.png", "content_type": "image/png"}],
        "timestamp": "2026-11-25T11:00:00+00:00", "edited_timestamp": None, "flags": 0,
        "mentions": [], "mention_roles": [], "sticker_items": [], "components": [],
    }}]
    gateway_event(room.bot, "message_create", payload)
    return payload


async def test_forwarded_messages_are_read_from_their_snapshot(bot, room, guild, fakefish) -> None:
    await room.join_and_bind()
    room.say(ANN, "first")
    await wait_for(lambda: len(spoken(fakefish)) == 1)
    forward(room, ANN, "look at **this** https://example.com")
    await wait_for(lambda: len(spoken(fakefish)) == 2)
    assert spoken(fakefish) == ["ann said: first", "ann forwarded: look at this a link, with an image"]


async def test_required_prefix_alongside_the_ignore_prefix(bot, room, guild, fakefish) -> None:
    await room.join_and_bind()
    sent = await configure(room, required_prefix="!", announce_names=False)
    fields = {f.name: f.value for f in sent.embeds[0].fields}
    assert fields["Required prefix"] == "`!`" and fields["Ignore prefix"] == "`;`"
    room.say(ANN, "no prefix")
    room.say(ANN, ";! ignored")
    forward(room, ANN, "a forward has no prefix")
    room.say(ANN, "! read this")
    await wait_for(lambda: len(spoken(fakefish)) == 1)
    await settle(bot)
    assert spoken(fakefish) == ["read this"]


async def test_stage_audience_is_not_read_unless_allowed(bot, room, guild, fakefish) -> None:
    stage = guild.add_channel("Stage", kind=13)
    await room.join_and_bind()
    await configure(room, same_channel=False)
    voice_update(room, CAT, stage, suppress=True)  # in the audience
    room.say(CAT, "from the audience")
    room.say(ANN, "barrier")
    await wait_for(lambda: len(spoken(fakefish)) == 1)
    voice_update(room, CAT, stage, suppress=False)  # made a speaker
    room.say(CAT, "from the stage")
    await wait_for(lambda: len(spoken(fakefish)) == 2)
    await configure(room, read_audience=True)
    voice_update(room, CAT, stage, suppress=True)
    room.say(CAT, "audience allowed")
    await wait_for(lambda: len(spoken(fakefish)) == 3)
    assert spoken(fakefish) == ["ann said: barrier", "cat said: from the stage", "audience allowed"]


async def test_the_voice_channels_chat_is_read_while_the_bot_is_there(bot, room, guild, fakefish) -> None:
    room.say(ANN, "not in voice yet", channel_id=room.voice_channel)
    await settle(bot)
    assert spoken(fakefish) == []
    await room.harness.run("join", user_id=ANN, guild=guild)
    room.say(ANN, "in the voice chat", channel_id=room.voice_channel)
    room.say(ANN, "not bound", channel_id=room.text)
    await wait_for(lambda: len(spoken(fakefish)) == 1)
    await configure(room, voice_chat=False)
    await room.harness.run("narrate start", user_id=ANN, guild=guild, permissions=MANAGE)
    room.say(ANN, "voice chat off", channel_id=room.voice_channel)
    room.say(ANN, "explicitly bound", channel_id=room.text)
    await wait_for(lambda: len(spoken(fakefish)) == 2)
    await settle(bot)
    assert spoken(fakefish) == ["ann said: in the voice chat", "explicitly bound"]


async def test_name_template(bot, room, guild, fakefish) -> None:
    await room.join_and_bind()
    for template, reason in (("Hello", "must contain {name}"), ("{name} <@123>", "can't contain mentions"),
                             ("{name} " + "x" * 60, "at most 60"), ("{name} {0}", "only placeholder")):
        sent = await configure(room, name_template=template)
        assert reason in sent.content and sent.ephemeral
    sent = await configure(room, name_template="{name} writes")
    assert {f.name: f.value for f in sent.embeds[0].fields}["Name announcement"] == "“{name} writes”"
    room.say(ANN, "hi")
    await wait_for(lambda: len(spoken(fakefish)) == 1)
    assert spoken(fakefish) == ["ann writes hi"]


async def test_join_and_leave_announcements(bot, room, guild, fakefish) -> None:
    await room.join_and_bind()
    voice_update(room, CAT, room.voice_channel)  # off by default
    room.say(ANN, "barrier")  # handled after the voice update (both take the server's turn)
    await wait_for(lambda: len(spoken(fakefish)) == 1)
    await configure(room, announce_joins=True)
    voice_update(room, BOB, None)
    await wait_for(lambda: len(spoken(fakefish)) == 2)
    voice_update(room, BOB, room.voice_channel)  # flapping: not announced again so soon
    voice_update(room, BOB, None)
    guild.add_member(HELPER_BOT + 1, "otherbot", bot=True)
    voice_update(room, HELPER_BOT + 1, room.voice_channel)  # bots are not announced
    elsewhere = guild.add_channel("Other voice", kind=2)
    voice_update(room, CAT, elsewhere)
    await wait_for(lambda: len(spoken(fakefish)) == 3)
    await settle(bot)
    assert spoken(fakefish) == ["ann said: barrier", "bob left", "cat left"]
