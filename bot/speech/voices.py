"""Which voice and speed a member speaks with: their own choice, else the server's, else config."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import Settings
from bot.expressive.cues import parse_style, style_works
from bot.storage.settings import SettingsStore
from bot.storage.voice_owners import VoiceOwners
from bot.storage.voice_prefs import NAMESPACE, VoicePrefs


@dataclass(frozen=True)
class ResolvedVoice:
    voice_id: str | None
    speed: float | None


async def resolve_voice(
    store: SettingsStore,
    settings: Settings,
    owners: VoiceOwners,
    *,
    user_id: int,
    guild_id: int | None,
    voice_id: str | None = None,
    speed: float | None = None,
) -> ResolvedVoice:
    """Explicit arguments win, then the member's choice, the server default and the config. A
    saved voice is passed over when the one it is saved for may no longer use it (its owner made
    it private again; a server's must be usable by every member): whoever asks for this member's
    voice (narration, "Speak this message", a scene) gets only what the member may use. The
    speech service forgets such a voice and tells the member (bot/tts/gone.py)."""
    member = await store.get_user(user_id, NAMESPACE, VoicePrefs)
    server = (
        await store.get_guild(guild_id, NAMESPACE, VoicePrefs) if guild_id is not None else None
    )
    servers = server.voice_id if server else None
    mine_out, servers_out = await owners.withdrawn(user_id, member.voice_id, servers)
    chosen_voice = voice_id or (None if mine_out else member.voice_id) or (None if servers_out else servers)
    chosen_speed = speed or member.speed or (server.speed if server else None)
    return ResolvedVoice(chosen_voice or settings.fish.default_voice, chosen_speed)


async def default_style(store: SettingsStore, user_id: int, model: str) -> str | None:
    """The member's default style if `model` can take it (else none: it would be dropped)."""
    style = (await store.get_user(user_id, NAMESPACE, VoicePrefs)).style
    piece = parse_style(style) if style else None
    return style if piece is not None and style_works(piece, model) else None
