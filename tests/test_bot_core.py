"""The bot core: commands through the real CommandTree, the one error handler, shutdown."""

from __future__ import annotations

import asyncio
import logging

import discord
import pytest
from discord import app_commands

from bot.errors import UserFacingError
from bot.fish import InsufficientCreditError, RateLimitError
from bot.wording import GENERIC_FAILURE, user_message
from tests.discord_harness import snowflake, wait_for


async def test_about_answers_ephemerally(bot, harness, guild) -> None:
    user_id = guild.add_member(snowflake(), "Alice")
    sent = await harness.run("about", user_id=user_id, guild=guild)
    assert len(sent) == 1 and sent[0].ephemeral
    assert sent[0].embeds[0].title == "fishbot"


def _add(bot, name: str, error: BaseException, **checks) -> None:
    @app_commands.command(name=name, description="test")
    async def command(interaction: discord.Interaction) -> None:
        raise error

    for check in checks.values():
        command = check(command)
    bot.tree.add_command(command)


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (InsufficientCreditError(402, "Insufficient API credit", ""), None),
        (RateLimitError(429, "slow down", "", 12.0), None),
        (UserFacingError("You need to be in a voice channel."), "You need to be in a voice channel."),
        (ZeroDivisionError("boom"), GENERIC_FAILURE),
    ],
)
async def test_errors_become_one_ephemeral_message(bot, harness, guild, caplog, error, expected) -> None:
    _add(bot, "explode", error)
    user_id = guild.add_member(snowflake(), "Bob")
    with caplog.at_level(logging.INFO):
        sent = await harness.run("explode", user_id=user_id, guild=guild)
    assert len(sent) == 1 and sent[0].ephemeral
    assert sent[0].content == (expected or user_message(error))
    assert sent[0].allowed_mentions == {"parse": []}
    unexpected = isinstance(error, ZeroDivisionError)
    tracebacks = [r for r in caplog.records if r.exc_info]
    assert bool(tracebacks) == unexpected  # only the unexpected error is logged with a traceback
    if unexpected:
        assert "command=explode" in tracebacks[0].getMessage()


async def test_error_after_defer_goes_to_a_followup(bot, harness, guild) -> None:
    @app_commands.command(name="slow", description="test")
    async def slow(interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        raise UserFacingError("Nope.")

    bot.tree.add_command(slow)
    user_id = guild.add_member(snowflake(), "Carol")
    sent = await harness.run("slow", user_id=user_id, guild=guild)
    assert [s.kind for s in sent] == ["response", "followup"]
    assert sent[1].content == "Nope." and sent[1].ephemeral


async def test_missing_permission_is_named(bot, harness, guild) -> None:
    @app_commands.command(name="admin-only", description="test")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def admin_only(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("ok")

    bot.tree.add_command(admin_only)
    user_id = guild.add_member(snowflake(), "Dave")
    sent = await harness.run("admin-only", user_id=user_id, guild=guild,
                             permissions=discord.Permissions(send_messages=True).value)
    assert sent[0].content == "You need the Manage Server permission to do that."


async def test_cooldown_message_has_the_time_left(bot, harness, guild) -> None:
    @app_commands.command(name="once", description="test")
    @app_commands.checks.cooldown(1, 90)
    async def once(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("done", ephemeral=True)

    bot.tree.add_command(once)
    user_id = guild.add_member(snowflake(), "Erin")
    await harness.run("once", user_id=user_id, guild=guild)
    sent = await harness.run("once", user_id=user_id, guild=guild)
    assert sent[0].content.startswith("Slow down: you can use this again in 1 min")


async def test_close_closes_the_fish_client_and_database(bot) -> None:
    await bot.close()
    assert bot.fish._core.client.is_closed
    assert bot.db.engine.pool.checkedout() == 0


async def test_forget_me_deletes_stored_settings(bot, harness, guild) -> None:
    from bot.storage.voice_prefs import NAMESPACE, VoicePrefs

    user_id = guild.add_member(snowflake(), "Frank")
    other_id = guild.add_member(snowflake(), "Grace")
    await bot.store.update_user(user_id, NAMESPACE, {"voice_id": "abc"}, model=VoicePrefs)
    # The command waits on its confirmation view, as it would with Discord: run it alongside.
    command = asyncio.create_task(harness.run("forget-me", user_id=user_id, guild=guild))
    await wait_for(lambda: bool(harness.sent))
    prompt = harness.sent[0]
    assert prompt.ephemeral and "Delete my data" in str(prompt.components)
    refused = await harness.click(prompt, "confirm", user_id=other_id, guild=guild)
    assert "someone else's" in refused[0].content and refused[0].ephemeral
    await harness.click(prompt, "confirm", user_id=user_id, guild=guild)
    sent = await asyncio.wait_for(command, 5)
    assert sent[-1].content.startswith("Done: deleted 1 stored record")
    assert (await bot.store.get_user(user_id, NAMESPACE, VoicePrefs)).voice_id is None
