"""Only members who may speak in a voice channel make the bot speak there: a member who is
server-muted, in a stage's audience or without the Speak permission is refused by /speak, "Speak
this message", /scene, a voice preview and a design candidate played in voice, and narration
doesn't read them. Voice states and permissions reach the bot as Discord sends them (GUILD_CREATE,
VOICE_STATE_UPDATE, CHANNEL_UPDATE), through the real CommandTree and view store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import discord
import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.storage.models import UsageEvent
from cogs.speak_message import MENU_NAME
from tests.bot_fixtures import make_settings
from tests.discord_harness import FakeGuild, message_payload, snowflake, wait_for
from tests.discord_internals import gateway_event
from tests.helpers.narration import ANN, BOB, Room, settle, spoken

MUTED = "You're server-muted, so I won't speak for you in <#{channel}>."
AUDIENCE = "You're in the audience of <#{channel}>: only its speakers can have me speak there."
NO_SPEAK = "You don't have the Speak permission in <#{channel}>, so I won't speak for you there."
NO_SPEAK_OVERWRITE = str(discord.Permissions(speak=True).value)


@pytest.fixture
def bot_settings(fakefish: Any, tmp_path: Path) -> Settings:
    fakefish.ms_per_char = 5.0  # short clips keep the tests quick
    fakefish.min_seconds = 0.2
    return make_settings(fakefish.base_url, tmp_path, narration={"enabled": True},
                         speak={"stall_timeout_s": 2.0, "idle_timeout_s": 60.0, "alone_leave_delay_s": 5.0},
                         fish={"timeout_s": 5.0, "max_retries": 0})


def member_who_may_not_speak(guild: FakeGuild, why: str) -> tuple[int, int, str]:
    """A member in a voice (or stage) channel, and the refusal they get there."""
    user_id = guild.add_member(snowflake(), "Mo")
    if why == "muted":  # a moderator's server mute (the member can't unmute themselves)
        channel = guild.add_channel("Voice", kind=2)
        guild.put_in_voice(user_id, channel, mute=True)
        return user_id, channel, MUTED.format(channel=channel)
    if why == "audience":  # listening on a stage, not one of its speakers
        channel = guild.add_channel("Stage", kind=13)
        guild.put_in_voice(user_id, channel, suppress=True)
        return user_id, channel, AUDIENCE.format(channel=channel)
    # The channel denies this member Speak (a permission overwrite).
    overwrite = {"id": str(user_id), "type": 1, "allow": "0", "deny": NO_SPEAK_OVERWRITE}
    channel = guild.add_channel("Voice", kind=2, overwrites=[overwrite])
    guild.put_in_voice(user_id, channel)
    return user_id, channel, NO_SPEAK.format(channel=channel)


async def spent(bot: Any) -> list[tuple[int, str]]:
    """Ledger rows that count against a quota."""
    await bot.usage.drain()
    async with bot.db.session() as session:
        rows = (await session.scalars(select(UsageEvent).order_by(UsageEvent.id))).all()
    return [(r.amount, r.outcome) for r in rows if r.outcome in ("ok", "partial", "spent")]


WHY = ["muted", "audience", "no-speak"]


@pytest.mark.parametrize("why", WHY)
async def test_speak_is_refused(bot, harness, guild, fakefish, why: str) -> None:
    user_id, _channel, refusal = member_who_may_not_speak(guild, why)
    sent = await harness.run("speak", user_id=user_id, guild=guild, text="let me speak")
    assert sent[-1].content == refusal and sent[-1].ephemeral
    assert fakefish.requests_for("tts") == []
    assert bot.voice_sessions.get(guild.id) is None  # didn't join for it either
    assert await spent(bot) == []


@pytest.mark.parametrize("why", WHY)
async def test_speak_this_message_is_refused(bot, harness, guild, fakefish, why: str) -> None:
    user_id, _channel, refusal = member_who_may_not_speak(guild, why)
    author = guild.add_member(snowflake(), "Ann")
    message = message_payload(guild, author_id=author, content="read me please")
    sent = await harness.context_menu(MENU_NAME, message=message, user_id=user_id, guild=guild)
    assert sent[-1].content == refusal and sent[-1].ephemeral
    assert fakefish.requests_for("tts") == [] and bot.voice_sessions.get(guild.id) is None


@pytest.mark.parametrize("why", WHY)
async def test_scene_is_refused_before_the_script_is_asked_for(bot, harness, guild, fakefish,
                                                               why: str) -> None:
    user_id, _channel, refusal = member_who_may_not_speak(guild, why)
    sent = await harness.run("scene", user_id=user_id, guild=guild)
    assert [s.callback_type for s in sent] == [4]  # a message, not the script's form
    assert sent[-1].content == refusal and sent[-1].ephemeral
    # Asked for as a file, the scene speaks nowhere: the form opens.
    sent = await harness.run("scene", user_id=user_id, guild=guild, as_file=True)
    assert sent[-1].callback_type == 9


async def test_a_scene_submitted_after_a_server_mute_is_refused(bot, harness, guild, fakefish) -> None:
    user_id = guild.add_member(snowflake(), "Mo")
    channel = guild.add_channel("Voice", kind=2)
    guild.put_in_voice(user_id, channel)
    [form] = await harness.run("scene", user_id=user_id, guild=guild)
    guild.put_in_voice(user_id, channel, mute=True)  # muted while writing the script
    sent = await harness.submit_modal(form, {"script": "Mo: hello\nMo: and goodbye"}, user_id=user_id,
                                      guild=guild)
    assert sent[-1].content == MUTED.format(channel=channel) and sent[-1].ephemeral
    assert fakefish.requests_for("tts") == [] and await spent(bot) == []


@pytest.mark.parametrize("why", WHY)
async def test_a_voice_preview_is_not_played_in_voice(bot, harness, guild, fakefish, why: str) -> None:
    user_id, _channel, refusal = member_who_may_not_speak(guild, why)
    zebra = fakefish.add_voice("Zebra Plain", mine=False, samples=[])
    page = (await harness.run("voices search", user_id=user_id, guild=guild, query="Zebra Plain"))[-1]
    card = (await harness.click(page, "pick", user_id=user_id, guild=guild, values=[zebra["_id"]]))[-1]
    sent = await harness.click(card, "preview", user_id=user_id, guild=guild)
    assert sent[-1].content == refusal and sent[-1].ephemeral
    assert fakefish.requests_for("tts") == [] and bot.voice_sessions.get(guild.id) is None


async def test_a_design_candidate_is_not_played_in_voice(bot, harness, guild, fakefish) -> None:
    user_id, _channel, refusal = member_who_may_not_speak(guild, "muted")
    design = await harness.run("voices design", user_id=user_id, guild=guild,
                               description="A calm, low-pitched narrator")
    reply = next(s for s in design if s.kind == "followup")
    sent = await harness.click(reply, "play-0", user_id=user_id, guild=guild)
    assert sent[-1].content == refusal and sent[-1].ephemeral
    assert bot.voice_sessions.get(guild.id) is None


async def test_self_muted_members_still_speak_through_the_bot(bot, harness, guild, fakefish) -> None:
    # Muting oneself is the usual reason to type instead of talking: it is no refusal.
    user_id = guild.add_member(snowflake(), "Quiet")
    guild.put_in_voice(user_id, guild.add_channel("Voice", kind=2), self_mute=True)
    sent = await harness.run("speak", user_id=user_id, guild=guild, text="I type, the bot talks")
    assert "Speaking now" in sent[-1].content
    await wait_for(lambda: len(fakefish.requests_for("tts")) == 1)


def voice_state_update(bot: Any, guild: FakeGuild, user_id: int, channel: int, *, mute: bool) -> None:
    """VOICE_STATE_UPDATE as Discord sends it when a moderator (un)mutes a member."""
    guild.put_in_voice(user_id, channel, mute=mute)
    member = next(m for m in guild.members if m["user"]["id"] == str(user_id))
    gateway_event(bot, "voice_state_update", {
        "guild_id": str(guild.id), "channel_id": str(channel), "user_id": str(user_id),
        "session_id": "s", "deaf": False, "mute": mute, "self_deaf": False, "self_mute": False,
        "self_video": False, "suppress": False, "request_to_speak_timestamp": None, "member": member,
    })


async def test_a_server_mute_refuses_and_an_unmute_allows_again(bot, harness, guild, fakefish) -> None:
    user_id = guild.add_member(snowflake(), "Mo")
    channel = guild.add_channel("Voice", kind=2)
    guild.put_in_voice(user_id, channel)
    sent = await harness.run("speak", user_id=user_id, guild=guild, text="one")
    assert "Speaking now" in sent[-1].content
    voice_state_update(bot, guild, user_id, channel, mute=True)
    sent = await harness.run("speak", user_id=user_id, guild=guild, text="two")
    assert sent[-1].content == MUTED.format(channel=channel)
    voice_state_update(bot, guild, user_id, channel, mute=False)
    sent = await harness.run("speak", user_id=user_id, guild=guild, text="three")
    assert "Speaking now" in sent[-1].content or "Queued" in sent[-1].content
    await wait_for(lambda: len(fakefish.requests_for("tts")) == 2)
    assert [r.body["text"] for r in fakefish.requests_for("tts")] == ["one", "three"]


async def test_speak_this_message_wont_read_an_author_who_may_not_speak(bot, harness, guild,
                                                                        fakefish) -> None:
    ann = guild.add_member(snowflake(), "Ann")
    channel = guild.add_channel("Voice", kind=2)
    guild.put_in_voice(ann, channel)
    mo = guild.add_member(snowflake(), "Mo")
    guild.put_in_voice(mo, channel, mute=True)
    message = message_payload(guild, author_id=mo, content="words of a muted member")
    sent = await harness.context_menu(MENU_NAME, message=message, user_id=ann, guild=guild)
    assert sent[-1].content == (f"That member may not speak in <#{channel}>, so I won't read their "
                                "messages there.")
    assert fakefish.requests_for("tts") == []
    # Not in voice, Ann gets it as a file: nobody is made to hear it.
    guild.put_in_voice(ann, None)
    sent = await harness.context_menu(MENU_NAME, message=message, user_id=ann, guild=guild)
    assert sent[-1].file_bytes()


# --- narration --------------------------------------------------------------------------------------


def channel_update(room: Room, channel_id: int, overwrites: list[dict[str, Any]]) -> None:
    """CHANNEL_UPDATE as Discord sends it when the channel's permissions change."""
    channel = next(c for c in room.guild.channels if c["id"] == str(channel_id))
    channel["permission_overwrites"] = overwrites
    gateway_event(room.bot, "channel_update", channel)


async def test_narration_doesnt_read_members_who_may_not_speak(bot, room, guild, fakefish) -> None:
    await room.join_and_bind()
    voice_state_update(bot, guild, BOB, room.voice_channel, mute=True)
    room.say(BOB, "muted words")
    room.say(ANN, "first barrier")
    await wait_for(lambda: len(spoken(fakefish)) == 1)
    voice_state_update(bot, guild, BOB, room.voice_channel, mute=False)
    channel_update(room, room.voice_channel,
                   [{"id": str(BOB), "type": 1, "allow": "0", "deny": NO_SPEAK_OVERWRITE}])
    room.say(BOB, "no speak permission")
    room.say(ANN, "second barrier")
    await wait_for(lambda: len(spoken(fakefish)) == 2)
    channel_update(room, room.voice_channel, [])
    room.say(BOB, "allowed again")
    await wait_for(lambda: len(spoken(fakefish)) == 3)
    await settle(bot)
    assert spoken(fakefish) == ["ann said: first barrier", "second barrier", "bob said: allowed again"]
