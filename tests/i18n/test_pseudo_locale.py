"""The localized commands, run through the real command tree in a pseudo-locale: any English
that reaches the member was never marked for translation."""

from __future__ import annotations

from typing import Any

import discord

from bot.i18n.commands import CatalogTranslator
from tests.discord_harness import Sent, wait_for
from tests.helpers.pseudo_locale import PSEUDO_DISCORD_LOCALE, shown
from tests.helpers.speak import in_voice, speak
from tests.i18n import pseudo


def test_the_checker_finds_an_unmarked_sentence() -> None:
    assert pseudo.unmarked(["Queued at #2 in <#123>."]) == ["Queued at in"]
    assert pseudo.unmarked([pseudo.pseudo("Queued at #{n} in {c}.").format(n=2, c="<#123>")]) == []
    assert pseudo.unmarked(["⟦Néééd ⟦Mááñáÿé Šérvér⟧⟧ plain"]) == ["plain"]


async def test_speak_replies_errors_and_embeds_are_all_translated(bot, harness, guild, fakefish,
                                                                  pseudo_locale) -> None:
    sent: list[Sent] = []
    user_id, _ = in_voice(guild, "Alice")
    sent += await harness.run("skip", user_id=user_id, guild=guild)  # not in voice
    sent += await speak(harness, guild, user_id, "   ")
    sent += await speak(harness, guild, user_id, "x" * 5000)
    fakefish.rtf = 1.0
    sent += await speak(harness, guild, user_id, "the first message, long enough to still play " * 3)
    sent += await speak(harness, guild, user_id, "second")
    session = bot.voice_sessions.get(guild.id)
    await wait_for(lambda: session.current is not None)
    queue = await harness.run("queue", user_id=user_id, guild=guild)
    sent += queue
    sent += await harness.run("skip", user_id=user_id, guild=guild)
    sent += await harness.run("stop", user_id=user_id, guild=guild)
    sent += await harness.run("leave", user_id=user_id, guild=guild)
    sent += await harness.run("join", user_id=user_id, guild=guild)
    outsider = guild.add_member(4242, "Bob")
    sent += await harness.run("skip", user_id=outsider, guild=guild)  # not in the bot's channel
    sent += await harness.run("settings language", user_id=outsider, guild=guild,
                              permissions=discord.Permissions(send_messages=True).value)
    texts = shown(sent)
    assert len(texts) >= 12
    # /queue's waiting lines are what members wrote, by their names: data, not the bot's words.
    assert "1. Alice: second" in (queue[-1].embeds[0].description or "")
    assert pseudo.unmarked(texts, values=["1. Alice: second"]) == []
    await session.close()


async def test_a_fish_failure_told_later_is_translated(bot, harness, guild, fakefish, pseudo_locale) -> None:
    fakefish.fail("tts", status=402)
    user_id, _ = in_voice(guild)
    await speak(harness, guild, user_id, "no credit left")
    session = bot.voice_sessions.get(guild.id)
    await wait_for(lambda: session.clips_played == 1, timeout=15)
    assert pseudo.unmarked(shown(harness.sent)) == []


async def test_every_command_string_goes_through_the_catalog(bot, pseudo_locale) -> None:
    """Names, descriptions and choices are all looked up (a string added to a command without
    running the extraction would come back untranslated here)."""
    translator = CatalogTranslator()
    untranslated = []

    def walk(payload: dict[str, Any], where: str) -> None:
        if PSEUDO_DISCORD_LOCALE not in payload.get("name_localizations", {}):
            untranslated.append(f"{where} name {payload['name']!r}")
        if payload.get("description") and PSEUDO_DISCORD_LOCALE not in payload.get(
                "description_localizations", {}):
            untranslated.append(f"{where} description {payload['description']!r}")
        for choice in payload.get("choices", []):
            if PSEUDO_DISCORD_LOCALE not in choice.get("name_localizations", {}):
                untranslated.append(f"{where} choice {choice['name']!r}")
        for option in payload.get("options", []):
            walk(option, f"{where} {option['name']}")

    for command in bot.tree.get_commands():
        walk(await command.get_translated_payload(bot.tree, translator), f"/{command.name}")
    assert untranslated == []
