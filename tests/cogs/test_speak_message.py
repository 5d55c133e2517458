"""The "Speak this message" menu through the real CommandTree: the author's voice, narration's
cleaning and access rules, the invoker's channel (or a file) and quota."""

from __future__ import annotations

from typing import Any

import discord
import pytest

from bot.spoken.settings import NAMESPACE, ServerSpeech
from bot.storage.voice_prefs import NAMESPACE as VOICE_NAMESPACE
from bot.storage.voice_prefs import VoicePrefs
from cogs.speak_message import MENU_NAME
from tests.discord_harness import FakeGuild, Harness, message_payload, snowflake, wait_for

MANAGE = discord.Permissions(manage_guild=True).value


def spoken(fakefish: Any) -> list[str]:
    return [r.body["text"] for r in fakefish.requests_for("tts")]


@pytest.fixture
def people(guild: FakeGuild) -> dict[str, int]:
    ids = {name: guild.add_member(snowflake(), name) for name in ("ann", "bob", "cat")}
    ids["robot"] = guild.add_member(snowflake(), "robot", bot=True)
    channel = guild.add_channel("Voice", kind=2)
    guild.put_in_voice(ids["ann"], channel)
    return ids


async def menu(harness: Harness, guild: FakeGuild, invoker: int, author: int, content: str) -> list[Any]:
    message = message_payload(guild, author_id=author, content=content)
    return await harness.context_menu(MENU_NAME, message=message, user_id=invoker, guild=guild)


async def test_reads_the_message_in_its_authors_voice(bot, harness, guild, people, fakefish) -> None:
    voice = fakefish.add_voice("Bob's voice", mine=False)
    await bot.store.update_user(people["bob"], VOICE_NAMESPACE, {"voice_id": voice["_id"]}, model=VoicePrefs)
    sent = await menu(harness, guild, people["ann"], people["bob"], "hello **there** https://example.com")
    assert "Speaking now" in sent[-1].content and sent[-1].ephemeral
    await wait_for(lambda: len(spoken(fakefish)) == 1)
    request = fakefish.requests_for("tts")[0]
    assert request.body["text"] == "bob said: hello there a link"
    assert request.body["reference_id"] == voice["_id"]
    await bot.usage.drain()
    assert (await bot.usage.member_today(people["ann"], guild.id)).used["tts_bytes"] == len(
        "bob said: hello there a link")
    # Not in voice: it comes back as a file, only to the invoker.
    sent = await menu(harness, guild, people["cat"], people["bob"], "[sic] as a file")
    assert sent[-1].file_bytes() and sent[-1].ephemeral
    assert spoken(fakefish)[-1] == "bob said: (sic) as a file"


async def test_narrations_access_rules_apply(bot, harness, guild, people, fakefish) -> None:
    await harness.run("voice mute-me", user_id=people["bob"], guild=guild)
    sent = await menu(harness, guild, people["ann"], people["bob"], "opted out")
    assert "aren't read aloud in this server" in sent[-1].content and sent[-1].ephemeral
    await bot.store.update_guild(guild.id, NAMESPACE, {"ignored_members": [people["cat"]]},
                                 model=ServerSpeech)
    sent = await menu(harness, guild, people["ann"], people["cat"], "ignored")
    assert "aren't read aloud in this server" in sent[-1].content
    sent = await menu(harness, guild, people["ann"], people["robot"], "beep")
    assert "bots and webhooks" in sent[-1].content
    sent = await menu(harness, guild, people["ann"], people["ann"], ";the ignore prefix")
    assert "nothing in that message" in sent[-1].content
    assert spoken(fakefish) == []
    # A required prefix asks for automatic reading; asking for a message needs none.
    await bot.store.update_guild(guild.id, NAMESPACE, {"required_prefix": "!", "announce_names": False},
                                 model=ServerSpeech)
    await menu(harness, guild, people["ann"], people["ann"], "no prefix needed")
    await wait_for(lambda: len(spoken(fakefish)) == 1)
    assert spoken(fakefish) == ["no prefix needed"]


def test_at_most_five_message_menus(bot) -> None:
    menus = bot.tree.get_commands(type=discord.AppCommandType.message)
    assert MENU_NAME in [m.name for m in menus] and len(menus) <= 5
