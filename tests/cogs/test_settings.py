"""/settings narration's options come from one table (cogs.settings.NARRATION_OPTIONS): each
option is stored in the field its row names, through the real command tree."""

from __future__ import annotations

import discord
from discord import app_commands

from bot.client import FishBot
from bot.spoken.settings import NAMESPACE, ServerSpeech
from cogs.settings import NARRATION_OPTIONS
from tests.discord_harness import FakeGuild, Harness

ANN = 4242
MANAGE = discord.Permissions(manage_guild=True).value

# A value for every option that differs from the stored default (the role options separately).
CHOSEN = {
    "announce_names": False, "same_channel": False, "read_bots": True, "auto_join": True,
    "ignore_prefix": "!", "max_length": 123, "max_seconds": 12.5, "max_wait": 90, "custom_emoji": "skip",
    "unicode_emoji": "name", "repeat_cap": 5, "expressive_cues": True, "read_everyone": False,
    "read_silent": True, "required_prefix": ">", "read_audience": True, "voice_chat": False,
    "name_template": "{name} says", "announce_joins": True,
}


def test_every_option_sets_a_stored_field_and_the_command_offers_each_once(bot: FishBot) -> None:
    settings = bot.tree.get_command("settings")
    assert isinstance(settings, app_commands.Group)
    command = settings.get_command("narration")
    assert isinstance(command, app_commands.Command)
    assert [p.name for p in command.parameters] == [o.name for o in NARRATION_OPTIONS]
    assert all(not p.required and p.description != "…" for p in command.parameters)
    assert {o.sets for o in NARRATION_OPTIONS} <= set(ServerSpeech.model_fields)
    assert set(CHOSEN) | {"required_role", "any_role"} == {o.name for o in NARRATION_OPTIONS}


async def test_each_option_is_stored_in_its_field(bot: FishBot, harness: Harness, guild: FakeGuild) -> None:
    guild.add_member(ANN, "ann")
    defaults = ServerSpeech()
    for option in NARRATION_OPTIONS:
        if option.name in CHOSEN:
            assert getattr(defaults, option.sets) != CHOSEN[option.name], option.name
    sent = await harness.run("settings narration", user_id=ANN, guild=guild, permissions=MANAGE, **CHOSEN)
    assert sent[-1].embeds and sent[-1].ephemeral
    stored = await bot.store.get_guild(guild.id, NAMESPACE, ServerSpeech)
    for option in NARRATION_OPTIONS:
        if option.name in CHOSEN:
            assert getattr(stored, option.sets) == CHOSEN[option.name], option.name
    assert stored.max_repeat == 5  # the option called repeat_cap

    role = guild.add_role("Readers", 0)
    await harness.run("settings narration", user_id=ANN, guild=guild, permissions=MANAGE,
                      required_role=str(role), resolved={"roles": {str(role): guild.roles[-1]}})
    assert (await bot.store.get_guild(guild.id, NAMESPACE, ServerSpeech)).required_role == role
    await harness.run("settings narration", user_id=ANN, guild=guild, permissions=MANAGE, any_role=False)
    assert (await bot.store.get_guild(guild.id, NAMESPACE, ServerSpeech)).required_role == role
    await harness.run("settings narration", user_id=ANN, guild=guild, permissions=MANAGE, any_role=True)
    assert (await bot.store.get_guild(guild.id, NAMESPACE, ServerSpeech)).required_role is None
