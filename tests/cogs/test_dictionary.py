"""/dictionary through the real CommandTree, and the dictionary reaching Fish from /speak and
narration (phoneme spans for models that read them, the plain fallback for others)."""

from __future__ import annotations

import asyncio
from typing import Any

import discord
import pytest

from bot.spoken.pronunciation import MAX_ENTRIES
from bot.spoken.settings import DICTIONARY_NAMESPACE, PronunciationSettings
from tests.discord_harness import FakeGuild, Harness, message_payload, snowflake, wait_for
from tests.discord_internals import gateway_event

MANAGE = discord.Permissions(manage_guild=True).value
PLAIN = discord.Permissions(send_messages=True).value
SPAN = "<|phoneme_start|>JH IY1 P IY1 Y UW1<|phoneme_end|>"


async def add(harness: Harness, guild: FakeGuild, user_id: int, word: str, replacement: str,
              **options: Any) -> str:
    sent = await harness.run("dictionary add", user_id=user_id, guild=guild, permissions=MANAGE,
                             word=word, replacement=replacement, **options)
    assert sent[-1].ephemeral
    return sent[-1].content


def spoken(fakefish: Any) -> list[str]:
    return [r.body["text"] for r in fakefish.requests_for("tts")]


async def test_add_list_remove(bot, harness, guild) -> None:
    admin = guild.add_member(snowflake(), "Admin")
    assert "Added: Nguyen → win" in await add(harness, guild, admin, "Nguyen", "win")
    assert "Changed: nguyen → wen" in await add(harness, guild, admin, "nguyen", "wen")
    assert "Added" in await add(harness, guild, admin, "GPU", SPAN, fallback="gee pee you")
    member = guild.add_member(snowflake(), "Member")
    listed = await harness.run("dictionary list", user_id=member, guild=guild, permissions=PLAIN)
    embed = listed[-1].embeds[0]
    assert embed.description.splitlines() == [
        f"GPU → `{SPAN}` (else “gee pee you”)",
        "nguyen → wen",
    ]
    assert embed.footer.text == "Page 1 of 1 · 2 words"
    remove = {"user_id": admin, "guild": guild, "permissions": MANAGE}
    sent = await harness.run("dictionary remove", word="NGUYEN", **remove)
    assert "Removed “nguyen”" in sent[-1].content
    sent = await harness.run("dictionary remove", word="nguyen", **remove)
    assert "isn't in this server's dictionary" in sent[-1].content and sent[-1].ephemeral
    stored = await bot.store.get_guild(guild.id, DICTIONARY_NAMESPACE, PronunciationSettings)
    assert list(stored.entries) == ["gpu"]


async def test_list_is_paged(bot, harness, guild) -> None:
    entries = {f"word{i:02}": (f"word{i:02}", f"say{i}", "") for i in range(45)}
    await bot.store.update_guild(guild.id, DICTIONARY_NAMESPACE, {"entries": entries},
                                 model=PronunciationSettings)
    member = guild.add_member(snowflake(), "Member")
    third = await harness.run("dictionary list", user_id=member, guild=guild, page=3)
    embed = third[-1].embeds[0]
    assert embed.description.splitlines() == [f"word{i} → say{i}" for i in range(40, 45)]
    assert embed.footer.text == "Page 3 of 3 · 45 words"
    beyond = await harness.run("dictionary list", user_id=member, guild=guild, page=4)
    assert "only 3 pages" in beyond[-1].content
    empty = FakeGuild(bot)
    sent = await harness.run("dictionary list", user_id=empty.add_member(snowflake(), "x"), guild=empty)
    assert "dictionary is empty" in sent[-1].content


async def test_changing_needs_manage_server_and_bad_entries_are_refused(bot, harness, guild) -> None:
    member = guild.add_member(snowflake(), "Member")
    for command, options in (("dictionary add", {"word": "a", "replacement": "b"}),
                             ("dictionary remove", {"word": "a"})):
        sent = await harness.run(command, user_id=member, guild=guild, permissions=PLAIN, **options)
        assert "Manage Server" in sent[-1].content and sent[-1].ephemeral
    admin = guild.add_member(snowflake(), "Admin")
    assert "can't contain mentions" in await add(harness, guild, admin, "hi", "<@123>")
    assert "markup" in await add(harness, guild, admin, "hi", "[laugh] hi")
    assert "can't be empty" in await add(harness, guild, admin, "hi", "  ")
    full = {f"w{i}": (f"w{i}", "x", "") for i in range(MAX_ENTRIES)}
    await bot.store.update_guild(guild.id, DICTIONARY_NAMESPACE, {"entries": full},
                                 model=PronunciationSettings)
    assert "dictionary is full" in await add(harness, guild, admin, "another", "one")
    assert "Changed" in await add(harness, guild, admin, "w1", "double-u one")  # changing still works
    stored = await bot.store.get_guild(guild.id, DICTIONARY_NAMESPACE, PronunciationSettings)
    assert len(stored.entries) == MAX_ENTRIES and stored.entries["w1"][1] == "double-u one"


@pytest.mark.usefixtures("before_s1_retires")  # s1 itself reads no phoneme spans
async def test_speak_sends_phonemes_only_to_models_that_read_them(bot, harness, guild, fakefish) -> None:
    admin = guild.add_member(snowflake(), "Admin")
    await add(harness, guild, admin, "GPU", SPAN, fallback="gee pee you")
    await add(harness, guild, admin, "東京", "とうきょう")
    for model in ("s2.1-pro", "s1"):  # not in voice: each comes back as a file
        await harness.run("speak", user_id=admin, guild=guild, text=f"my GPU in 東京に [sic] ({model})",
                          model=model)
    assert spoken(fakefish) == [f"my {SPAN} in とうきょうに (sic) (s2.1-pro)",
                                "my gee pee you in とうきょうに sic (s1)"]
    assert [r.headers["model"] for r in fakefish.requests_for("tts")] == ["s2.1-pro", "s1"]


async def test_narration_applies_the_dictionary_to_names_too(bot, harness, guild, fakefish) -> None:
    bot.settings.narration.enabled = True
    ann = guild.add_member(snowflake(), "Nguyen")
    voice_channel = guild.add_channel("Voice", kind=2)
    guild.put_in_voice(ann, voice_channel)
    await add(harness, guild, ann, "Nguyen", "win")
    await add(harness, guild, ann, "GPU", SPAN)
    await harness.run("join", user_id=ann, guild=guild)
    await harness.run("narrate start", user_id=ann, guild=guild, permissions=MANAGE)
    gateway_event(bot, "message_create", message_payload(guild, author_id=ann, content="my gpu, Nguyen"))
    await wait_for(lambda: len(spoken(fakefish)) == 1)
    assert spoken(fakefish) == [f"win said: my {SPAN}, win"]


async def test_words_added_at_the_same_time_are_all_kept(bot, harness, guild) -> None:
    admin = guild.add_member(snowflake(), "Admin")
    words = [f"word{i}" for i in range(8)]
    await asyncio.gather(*(add(harness, guild, admin, word, f"say {word}") for word in words))
    stored = await bot.store.get_guild(guild.id, DICTIONARY_NAMESPACE, PronunciationSettings)
    assert sorted(stored.entries) == sorted(words)
