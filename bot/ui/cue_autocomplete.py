"""Autocomplete for a delivery style (`/speak style`, `/voice style`): the cues the chosen model
understands (the command's `model` option, else the bot's model), filtered by what was typed; on
models that take free descriptions, what was typed comes first. A cog with a style option mixes in
`StyleOptions` and names `StyleOptions.style_autocomplete` as the option's autocompleter."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.expressive import cues
from bot.i18n import _

MAX_CHOICES = 25
NAME_LIMIT = 100


def style_choices(model: str, typed: str) -> list[app_commands.Choice[str]]:
    wanted = " ".join(typed.split())
    key = wanted.casefold()
    choices: dict[str, app_commands.Choice[str]] = {}
    if wanted and cues.dialect(model) in ("brackets", "drama"):
        piece = cues.parse_style(wanted)
        if piece is not None:
            own = _("“{words}” (your own words)")
            name = own.format(words=wanted[:NAME_LIMIT - len(own.format(words=""))])
            choices[wanted] = app_commands.Choice(name=name, value=wanted)
    for cue in cues.catalogue(model):
        if key in cue.label.casefold() or key in cue.written.casefold():
            choices.setdefault(cue.style, app_commands.Choice(name=f"{cue.written}  {cue.label}"[:NAME_LIMIT],
                                                              value=cue.style))
    return list(choices.values())[:MAX_CHOICES]


def chosen_model(interaction: discord.Interaction, default: str) -> str:
    """The command's `model` option as typed so far, else `default` (the bot's model)."""
    picked = getattr(interaction.namespace, "model", None)  # a namespace holds only the options given
    return picked if isinstance(picked, str) and picked else default


class StyleOptions(commands.Cog):
    """Mixed into a cog with a style option, which sets `default_model` (the bot's configured model).
    discord.py calls an autocompleter named as `Class.method` with the command's cog as `self`."""

    default_model: str

    async def style_autocomplete(self, interaction: discord.Interaction,
                                 current: str) -> list[app_commands.Choice[str]]:
        return style_choices(chosen_model(interaction, self.default_model), current)
