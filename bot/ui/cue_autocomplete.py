"""Autocomplete for a delivery style (`/speak style`, `/voice style`): the cues the chosen model
understands (the command's `model` option, else the bot's model), filtered by what was typed; on
models that take free descriptions, what was typed comes first."""

from __future__ import annotations

import discord
from discord import app_commands

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


def chosen_model(interaction: discord.Interaction) -> str:
    picked = getattr(interaction.namespace, "model", None)
    if isinstance(picked, str) and picked:
        return picked
    settings = getattr(interaction.client, "settings", None)
    return str(getattr(getattr(settings, "fish", None), "model", "s2.1-pro"))


async def style_autocomplete(interaction: discord.Interaction,
                             current: str) -> list[app_commands.Choice[str]]:
    return style_choices(chosen_model(interaction), current)
