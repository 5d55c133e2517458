"""Registering slash commands with Discord only when they changed.

`run` hashes the payload discord.py would send for the global commands (translations included)
and compares it with the hash stored after the last successful global sync for this application.
Only a difference triggers a sync, so restarts cost no request and never approach Discord's
daily limit on command creation; a newcomer still sees the commands without a manual `sync`.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

import aiohttp
import discord
from discord import app_commands

from bot.storage.state import StateStore

log = logging.getLogger(__name__)


def _state_key(application_id: int) -> str:
    # Per application: pointing the same database at another bot token must sync that bot too.
    return f"command_sync:{application_id}"


async def global_payload(tree: app_commands.CommandTree[Any]) -> list[dict[str, Any]]:
    """Exactly what `tree.sync()` sends for the global commands."""
    commands = tree._get_all_commands(guild=None)
    translator = tree.translator
    if translator is not None:
        return [await command.get_translated_payload(tree, translator) for command in commands]
    return [command.to_dict(tree) for command in commands]


async def tree_hash(tree: app_commands.CommandTree[Any]) -> str:
    """A stable hash of the global payload: independent of command order and dict ordering."""
    payload = await global_payload(tree)
    canonical = sorted(json.dumps(command, sort_keys=True, separators=(",", ":"))
                       for command in payload)
    return hashlib.sha256("\n".join(canonical).encode()).hexdigest()


async def sync_global(tree: app_commands.CommandTree[Any], state: StateStore) -> int:
    """Sync the global commands unconditionally and record the hash; returns how many."""
    application_id = tree.client.application_id
    if application_id is None:
        raise app_commands.MissingApplicationID
    digest = await tree_hash(tree)
    synced = await tree.sync()
    await state.set(_state_key(application_id), digest)
    return len(synced)


async def sync_if_changed(tree: app_commands.CommandTree[Any], state: StateStore) -> bool:
    """Sync the global commands when they differ from the last sync; True when it synced.

    A failure is logged, not raised: the bot keeps running with the commands Discord has, and
    the next start tries again (nothing was recorded).
    """
    application_id = tree.client.application_id
    if application_id is None:
        log.warning("not syncing slash commands: the application id is unknown")
        return False
    digest = await tree_hash(tree)
    if await state.get(_state_key(application_id)) == digest:
        log.debug("slash commands unchanged since the last sync")
        return False
    try:
        synced = await tree.sync()
    except (discord.HTTPException, aiohttp.ClientError, OSError) as exc:
        why = f"HTTP {exc.status}" if isinstance(exc, discord.HTTPException) else type(exc).__name__
        log.warning("could not register the slash commands (%s); the next start tries again, "
                    "or run `fishbot sync`", why)
        return False
    await state.set(_state_key(application_id), digest)
    log.info("registered %d slash commands globally (they changed since the last sync; "
             "Discord can take up to an hour to show them everywhere)", len(synced))
    return True
