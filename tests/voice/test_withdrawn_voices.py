"""A voice made private again by the member who cloned it (`/voices edit`): the members and servers
that had saved it while it was public fall back at their next use, with the stale-voice notice;
its owner keeps it. Fish would still speak with it (every clone is on the operator's account):
this is the bot's own rule, read from its ownership records at each use."""

from __future__ import annotations

from typing import Any

import discord
import pytest

from bot.storage.voice_prefs import NAMESPACE, VoicePrefs
from cogs.speak_message import MENU_NAME
from tests.discord_harness import FakeGuild, message_payload, snowflake
from tests.helpers.narration import settings_for
from tests.helpers.voices import own_voice

MANAGE = discord.Permissions(manage_guild=True).value
FELL_BACK = ("{whose} “Ann Shared” no longer exists on Fish Audio (it was deleted or made private). I forgot "
             "it and used Fish Audio's default voice instead. Pick a new one with `/voice set`.")


@pytest.fixture
def bot_settings(fakefish: Any, tmp_path: Any) -> Any:
    return settings_for(fakefish.base_url, tmp_path)


def voices_sent(fakefish: Any) -> list[str | None]:
    return [r.body.get("reference_id") for r in fakefish.requests_for("tts")]


async def test_a_voice_made_private_again_stops_everyone_who_saved_it(bot, harness, guild,
                                                                       fakefish) -> None:
    ann, bob, admin = (guild.add_member(snowflake(), name) for name in ("Ann", "Bob", "Admin"))
    elsewhere = FakeGuild(bot, name="Elsewhere")
    cat, other_admin = (elsewhere.add_member(snowflake(), name) for name in ("Cat", "Other Admin"))
    anns = await own_voice(bot, fakefish, ann, "Ann Shared", visibility="public")
    # While it is public, Bob makes it his voice and two servers make it their default.
    assert "Your voice is now **Ann Shared**" in (
        await harness.run("voice set", user_id=bob, guild=guild, voice=anns))[-1].content
    for server, by in ((guild, admin), (elsewhere, other_admin)):
        await harness.run("settings voice", user_id=by, guild=server, permissions=MANAGE, voice=anns)
        assert (await bot.store.get_guild(server.id, NAMESPACE, VoicePrefs)).voice_id == anns

    edited = await harness.run("voices edit", user_id=ann, guild=guild, voice=anns, visibility="private")
    assert "Updated **Ann Shared**" in edited[-1].content

    # Bob's next clip (a file: he is not in voice) is not in Ann's voice, and he is told once.
    sent = await harness.run("speak", user_id=bob, guild=guild, text="Hello again.")
    assert sent[-1].file_bytes() and voices_sent(fakefish) == [None]
    assert [s.content for s in sent if "no longer exists" in s.content] == [
        FELL_BACK.format(whose="Your saved voice")]
    assert (await bot.store.get_user(bob, NAMESPACE, VoicePrefs)).voice_id is None
    assert (await bot.store.get_guild(guild.id, NAMESPACE, VoicePrefs)).voice_id is None

    # The other server's default goes at its next use too, whoever speaks there.
    sent = await harness.run("speak", user_id=cat, guild=elsewhere, text="Hello from elsewhere.")
    assert voices_sent(fakefish) == [None, None]
    assert [s.content for s in sent if "no longer exists" in s.content] == [
        FELL_BACK.format(whose="This server's default voice")]
    assert (await bot.store.get_guild(elsewhere.id, NAMESPACE, VoicePrefs)).voice_id is None

    # Ann keeps her voice; Bob can't take it back.
    await harness.run("voice set", user_id=ann, guild=guild, voice=anns)
    await harness.run("speak", user_id=ann, guild=guild, text="Still mine.")
    assert voices_sent(fakefish) == [None, None, anns]
    refused = await harness.run("voice set", user_id=bob, guild=guild, voice=anns)
    assert "that you can use" in refused[-1].content


async def test_voice_show_tells_a_member_their_saved_voice_was_withdrawn(bot, harness, guild,
                                                                        fakefish) -> None:
    ann, dan = guild.add_member(snowflake(), "Ann"), guild.add_member(snowflake(), "Dan")
    anns = await own_voice(bot, fakefish, ann, "Ann Shared", visibility="public")
    await harness.run("voice set", user_id=dan, guild=guild, voice=anns)
    await harness.run("voices edit", user_id=ann, guild=guild, voice=anns, visibility="unlist")
    before = len(fakefish.requests_for("model_get"))
    shown = await harness.run("voice show", user_id=dan, guild=guild)
    assert shown[-1].content == (FELL_BACK.format(whose="Your saved voice")
                                 + "\nVoice: Fish Audio's default voice\nSpeed: normal")
    assert len(fakefish.requests_for("model_get")) == before  # decided without asking Fish
    assert (await bot.store.get_user(dan, NAMESPACE, VoicePrefs)).voice_id is None


async def test_a_server_default_must_be_a_voice_everyone_may_use(bot, harness, guild, fakefish) -> None:
    admin = guild.add_member(snowflake(), "Admin")
    mine = await own_voice(bot, fakefish, admin, "Admin's private voice")
    refused = await harness.run("settings voice", user_id=admin, guild=guild, permissions=MANAGE, voice=mine)
    assert "must be a library voice or a public one" in refused[-1].content
    assert (await bot.store.get_guild(guild.id, NAMESPACE, VoicePrefs)).voice_id is None


async def test_no_one_else_can_have_a_withdrawn_voice_read_a_message(bot, harness, guild, fakefish) -> None:
    """"Speak this message" reads a message in its author's voice: never in a voice the author may
    no longer use, while the owner's own messages keep the owner's voice."""
    ann, bob, cat = (guild.add_member(snowflake(), name) for name in ("Ann", "Bob", "Cat"))
    anns = await own_voice(bot, fakefish, ann, "Ann Shared", visibility="public")
    for member in (ann, bob):
        await harness.run("voice set", user_id=member, guild=guild, voice=anns)
    await harness.run("voices edit", user_id=ann, guild=guild, voice=anns, visibility="private")
    for author in (bob, ann):  # Cat (not in voice) asks for each as a file
        message = message_payload(guild, author_id=author, content="a message")
        sent = await harness.context_menu(MENU_NAME, message=message, user_id=cat, guild=guild)
        assert sent[-1].file_bytes()
    assert voices_sent(fakefish) == [None, anns]
    # Bob's saved voice is still his setting until his own next use tells him.
    assert (await bot.store.get_user(bob, NAMESPACE, VoicePrefs)).voice_id == anns
