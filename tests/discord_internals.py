"""Every private part of discord.py the tests use, in one place, each with the reason.

discord.py has no public way to run a bot without Discord: no way to hand it a gateway event, an
interaction or a READY without a real connection. These are the seams its own test suite uses
(tests/test_app_commands_invoke.py builds interactions on a client's `_connection`). A discord.py
upgrade that moves one of them breaks this module, not the tests that rely on it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextvars import Token
from typing import Any

import aiohttp
import discord
import discord.opus
import yarl
from discord import app_commands
from discord.gateway import DiscordWebSocket
from discord.state import ConnectionState
from discord.webhook.async_ import AsyncWebhookAdapter, async_context


def state(client: discord.Client) -> ConnectionState[Any]:
    """The bot's parsed gateway state (`Client._connection`): objects built from raw payloads
    (a Message, an Attachment, an Interaction) need it, exactly as discord.py builds them."""
    return client._connection


def gateway_event(client: discord.Client, event: str, payload: dict[str, Any]) -> None:
    """A gateway dispatch (`MESSAGE_CREATE` as "message_create", ...) through discord.py's own parser
    (`ConnectionState.parse_<event>`), which updates the cache and dispatches the listeners, as the
    gateway's receive loop does."""
    getattr(state(client), f"parse_{event}")(payload)


def learn_application(client: discord.Client, application_id: int) -> None:
    """What login() learns from Discord: the application id (the command tree needs it)."""
    state(client).application_id = application_id


def learn_user(client: discord.Client, payload: dict[str, Any]) -> None:
    """What READY tells discord.py: the bot's own user (`client.user`, and `self_id` from it)."""
    connection = state(client)
    connection.user = discord.ClientUser(state=connection, data=payload)  # type: ignore[arg-type]


def knows_user(client: discord.Client) -> bool:
    return state(client).user is not None


async def set_up_without_login(client: discord.Client, application_id: int) -> None:
    """What login() does before setup_hook, minus the network: the application id, and discord.py's
    own set-up (`Client._async_setup_hook`: its loop, ready event and voice support)."""
    learn_application(client, application_id)
    await client._async_setup_hook()


def mark_ready(client: discord.Client) -> None:
    """What discord.py does on READY (`Client._ready`): `is_ready()` turns true."""
    client._ready.set()


def put_guild(client: discord.Client, payload: dict[str, Any]) -> discord.Guild:
    """A guild in the cache, replacing any earlier one of that id (GUILD_CREATE's effect, without
    the member chunking and events a real GUILD_CREATE starts: `_guilds`, `_add_guild`)."""
    connection = state(client)
    connection._guilds.pop(int(payload["id"]), None)
    guild = discord.Guild(data=payload, state=connection)  # type: ignore[arg-type]
    connection._add_guild(guild)
    return guild


async def run_interaction(tree: app_commands.CommandTree[Any], interaction: discord.Interaction) -> None:
    """A slash command, context menu or autocomplete through the tree's own dispatch
    (`CommandTree._call`, what the INTERACTION_CREATE listener schedules): checks, transformers,
    the command and on_error, awaited to the end."""
    await tree._call(interaction)


def voice_websocket(client: discord.Client, connect: Callable[..., Any]) -> None:
    """Route the bot's voice WebSocket connections to a loopback voice server: discord.py opens
    them through `ConnectionState._get_websocket`, the main gateway's hook."""
    state(client)._get_websocket = connect  # type: ignore[method-assign]


def http_session(client: discord.Client, session: aiohttp.ClientSession) -> None:
    """The aiohttp session discord.py opens voice WebSockets with, normally made at login
    (`HTTPClient.__session`, name-mangled)."""
    client.http._HTTPClient__session = session  # type: ignore[attr-defined]


def answer_rest(client: discord.Client, answer: Callable[[str, str], Awaitable[Any] | None]) -> None:
    """Put `answer(method, path)` in front of discord.py's lowest REST layer (`HTTPClient.request`,
    which every REST call passes through with a `Route`): it returns the coroutine of the JSON
    Discord would send (or raise as Discord would), or None to let the request through."""
    original = client.http.request

    async def request(route: Any, **kwargs: Any) -> Any:
        answered = answer(route.method, route.url.removeprefix(route.BASE))
        return await answered if answered is not None else await original(route, **kwargs)

    client.http.request = request  # type: ignore[method-assign]


def reconnect_task(voice: discord.VoiceClient) -> Any:
    """The task in which discord.py reconnects a voice connection (`VoiceConnectionState._runner`):
    a test waits for discord.py's own reconnect to end."""
    return voice._connection._runner


# --- replies, the gateway address, libopus ----------------------------------------------------------

# discord.py sends every interaction response, follow-up and edit through this adapter class; the
# harness subclasses it to record the requests instead of sending them (its lowest layer only).
WebhookAdapter = AsyncWebhookAdapter


def use_webhook_adapter(adapter: AsyncWebhookAdapter) -> Token[AsyncWebhookAdapter]:
    """Make discord.py's webhooks (interaction replies) go through `adapter` in this context: it
    picks its adapter from the `async_context` context variable."""
    return async_context.set(adapter)


def stop_using_webhook_adapter(token: Token[AsyncWebhookAdapter]) -> None:
    async_context.reset(token)


def point_at_gateway(base_url: str) -> None:
    """Point discord.py's gateway client at a stand-in (its REST base is the public `Route.BASE`;
    the WebSocket address it falls back to is `DiscordWebSocket.DEFAULT_GATEWAY`)."""
    discord.http.Route.BASE = f"{base_url}/api/v10"
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(base_url.replace("http://", "ws://", 1) + "/gateway")


def opus_encoder_ctl(encoder: discord.opus.Encoder, request: int, value: Any) -> None:
    """A libopus encoder request discord.py doesn't wrap (e.g. the look-ahead the stand-in writes
    into Ogg Opus headers), on discord.py's loaded library (`opus._lib`) and encoder (`_state`)."""
    discord.opus._lib.opus_encoder_ctl(encoder._state, request, value)  # type: ignore[attr-defined]
