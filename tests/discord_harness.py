"""Run slash commands, context menus, autocomplete and button presses offline through the real
discord.py `CommandTree` and view store, recording everything the bot sends.

The pattern is discord.py's own tests/test_app_commands_invoke.py: interactions are built from raw
gateway payloads. Responses, follow-ups and edits all go through discord.py's webhook adapter; the
recorder replaces only its lowest `request()` layer, so every layer above it is discord.py's own.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
import weakref
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

import discord
from discord import app_commands

from bot import clock
from tests import discord_internals as internals
from tests.discord_internals import gateway_event

_ids = itertools.count(1_100_000_000_000_000_000)
_message_sequence = itertools.count()
APPLICATION_ID = 1_000_000_000_000_000_001
# How long a test waits for a button's or modal's callback before failing.
CALLBACK_TIMEOUT_S = 30.0
# The Discord account that owns the application (what `GET /oauth2/applications/@me` names).
APPLICATION_OWNER_ID = 1_000_000_000_000_000_099
BOT_USER_ID = 1_000_000_000_000_000_002
EPHEMERAL = 1 << 6

# Interaction callback types (Discord API).
MESSAGE = 4
DEFERRED_MESSAGE = 5
DEFERRED_UPDATE = 6
UPDATE_MESSAGE = 7
AUTOCOMPLETE_RESULT = 8
MODAL = 9


def snowflake() -> int:
    return next(_ids)


def message_id_at(moment: datetime) -> int:
    """A message id as Discord makes one: its creation time in the top bits (discord.py's
    `Message.created_at` reads it back), a sequence below, so ids made at one moment differ."""
    return discord.utils.time_snowflake(moment) + next(_message_sequence) % (1 << 22)


async def events_handled() -> None:
    """A barrier for gateway events: wait until every listener discord.py has scheduled (one task
    per event, named "discord.py: <event>") has finished, including any they scheduled."""
    while handlers := [task for task in asyncio.all_tasks()
                       if task.get_name().startswith("discord.py: ") and not task.done()]:
        await asyncio.wait(handlers)


async def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Poll until `condition()` holds (events and the player thread settle in their own time)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


@dataclass
class Sent:
    """One request the bot made to Discord about an interaction."""

    kind: str  # "response", "followup", "edit_original", "edit_message", "delete_original"
    payload: dict[str, Any]
    files: list[discord.File] = field(default_factory=list)
    callback_type: int | None = None

    @property
    def data(self) -> dict[str, Any]:
        return self.payload.get("data", self.payload) if self.kind == "response" else self.payload

    @property
    def content(self) -> str:
        return self.data.get("content") or ""

    @property
    def embeds(self) -> list[discord.Embed]:
        return [discord.Embed.from_dict(e) for e in self.data.get("embeds") or []]

    @property
    def ephemeral(self) -> bool:
        return bool((self.data.get("flags") or 0) & EPHEMERAL)

    @property
    def components(self) -> list[dict[str, Any]]:
        return self.data.get("components") or []

    @property
    def allowed_mentions(self) -> dict[str, Any] | None:
        return self.data.get("allowed_mentions")

    @property
    def text(self) -> str:
        """Content plus every embed's text, for assertions that don't care where words went."""
        parts = [self.content]
        for embed in self.embeds:
            parts += [embed.title or "", embed.description or ""]
            parts += [f"{f.name} {f.value}" for f in embed.fields]
            if embed.footer and embed.footer.text:
                parts.append(embed.footer.text)
        return "\n".join(part for part in parts if part)

    def file_bytes(self) -> list[tuple[str, bytes]]:
        out = []
        for file in self.files:
            file.reset()
            out.append((file.filename, file.fp.read()))
        return out


class RecordingAdapter(internals.WebhookAdapter):
    """discord.py's webhook adapter with the HTTP request replaced by a recorder."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[Sent] = []
        self.messages: dict[int, dict[str, Any]] = {}
        self.channel_id = 0
        self.event = asyncio.Event()

    def _message(self, payload: dict[str, Any], message_id: int | None = None) -> dict[str, Any]:
        message_id = message_id or snowflake()
        message = {
            "id": str(message_id),
            "channel_id": str(self.channel_id),
            "author": {"id": str(BOT_USER_ID), "username": "fishbot", "discriminator": "0",
                       "avatar": None, "bot": True},
            "content": payload.get("content") or "",
            "timestamp": clock.utc_now().isoformat(),  # the test's pinned clock
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": payload.get("embeds") or [],
            "components": payload.get("components") or [],
            "pinned": False,
            "type": 0,
            "flags": payload.get("flags") or 0,
        }
        self.messages[message_id] = message
        return message

    async def request(self, route: Any, session: Any, *, payload: dict[str, Any] | None = None,
                      multipart: list[dict[str, Any]] | None = None, files: Any = None,
                      **kwargs: Any) -> Any:
        if payload is None and multipart:
            # With files, the JSON payload travels as the multipart field "payload_json".
            payload = json.loads(next(p["value"] for p in multipart if p["name"] == "payload_json"))
        payload = payload or {}
        files = list(files or [])
        method, path = route.method, route.path
        self.event.set()
        if path.endswith("/callback"):
            callback_type = payload["type"]
            self.sent.append(Sent("response", payload, files, callback_type))
            data = payload.get("data") or {}
            result: dict[str, Any] = {
                "interaction": {
                    "id": str(route.webhook_id), "type": 2,
                    "response_message_loading": callback_type == DEFERRED_MESSAGE,
                    "response_message_ephemeral": bool((data.get("flags") or 0) & EPHEMERAL),
                }
            }
            if callback_type in (MESSAGE, UPDATE_MESSAGE):
                message = self._message(data)
                result["interaction"]["response_message_id"] = message["id"]
                result["resource"] = {"type": callback_type, "message": message}
            elif callback_type is not None:
                result["resource"] = {"type": callback_type}
            return result
        if method == "POST":
            self.sent.append(Sent("followup", payload, files))
            return self._message(payload)
        if method == "PATCH":
            original = path.endswith("@original")
            self.sent.append(Sent("edit_original" if original else "edit_message", payload, files))
            # …/messages/{message_id} or …/messages/@original
            return self._message(payload, None if original else int(route.url.rsplit("/", 1)[-1]))
        if method == "DELETE":
            self.sent.append(Sent("delete_original", payload))
            return None
        if method == "GET":
            return self._message({})
        raise AssertionError(f"unexpected webhook request {method} {path}")


# --- gateway payloads ----------------------------------------------------------------------------


def user_payload(user_id: int, name: str, *, bot: bool = False) -> dict[str, Any]:
    return {"id": str(user_id), "username": name, "global_name": name, "discriminator": "0",
            "avatar": None, "bot": bot}


def member_payload(user_id: int, name: str, *, roles: list[int] | None = None,
                   permissions: int | None = None, bot: bool = False,
                   timed_out_until: datetime | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "user": user_payload(user_id, name, bot=bot),
        "roles": [str(r) for r in roles or []],
        "joined_at": "2026-01-01T00:00:00+00:00",
        "deaf": False, "mute": False, "flags": 0, "nick": None,
        "communication_disabled_until": timed_out_until.isoformat() if timed_out_until else None,
    }
    if permissions is not None:
        data["permissions"] = str(permissions)
    return data


def message_payload(guild: FakeGuild | None, *, author_id: int, channel_id: int | None = None,
                    content: str = "", attachments: list[dict[str, Any]] | None = None,
                    flags: int = 0, message_id: int | None = None) -> dict[str, Any]:
    """A MESSAGE_CREATE-shaped message, as Discord sends it and as context menus resolve it: written
    now by the test's pinned clock (its id says so), unless `message_id` says otherwise."""
    if guild is not None:
        member = next(m for m in guild.members if m["user"]["id"] == str(author_id))
        author = member["user"]
        channel_id = channel_id or guild.text_channel_id
    else:
        author = user_payload(author_id, "someone")
    message_id = message_id or message_id_at(clock.utc_now())
    data: dict[str, Any] = {
        "id": str(message_id), "channel_id": str(channel_id or snowflake()),
        "author": author, "content": content,
        "timestamp": discord.utils.snowflake_time(message_id).isoformat(),
        "edited_timestamp": None, "tts": False, "mention_everyone": False, "mentions": [],
        "mention_roles": [], "attachments": attachments or [], "embeds": [], "pinned": False,
        "type": 0, "flags": flags,
    }
    if guild is not None:
        data["guild_id"] = str(guild.id)
        data["member"] = {k: v for k, v in member.items() if k != "user"}
    return data


class FakeGuild:
    """Builds a guild in the bot's cache from a real GUILD_CREATE-shaped payload."""

    def __init__(self, bot: discord.Client, *, name: str = "Test Server",
                 owner_id: int | None = None) -> None:
        self.bot = bot
        self.id = snowflake()
        self.owner_id = owner_id or snowflake()
        self.everyone_permissions = discord.Permissions.general().value | discord.Permissions.voice().value
        self.channels: list[dict[str, Any]] = []
        self.members: list[dict[str, Any]] = []
        self.voice_states: list[dict[str, Any]] = []
        # Members Discord has but the bot's cache doesn't (no members intent): only a REST fetch
        # (GET /guilds/{id}/members/{id}, answered by `DiscordApi`) finds them.
        self.uncached: list[dict[str, Any]] = []
        self.roles: list[dict[str, Any]] = [
            {"id": str(self.id), "name": "@everyone", "permissions": str(self.everyone_permissions),
             "position": 0, "color": 0, "hoist": False, "managed": False, "mentionable": False,
             "flags": 0}
        ]
        self.name = name
        self.locale = "en-US"  # the server's Discord community locale (preferred_locale)
        self.text_channel_id = self.add_channel("general", kind=0)
        self.add_member(BOT_USER_ID, "fishbot", bot=True)
        DiscordApi.of(bot).guilds[self.id] = self

    def add_channel(self, name: str, *, kind: int = 0, user_limit: int = 0,
                    overwrites: list[dict[str, Any]] | None = None) -> int:
        channel_id = snowflake()
        channel: dict[str, Any] = {"id": str(channel_id), "type": kind, "name": name,
                                   "position": len(self.channels), "permission_overwrites":
                                   overwrites or [], "guild_id": str(self.id), "nsfw": False,
                                   "parent_id": None}
        if kind in (2, 13):
            channel.update({"bitrate": 64000, "user_limit": user_limit, "rtc_region": None})
        self.channels.append(channel)
        return channel_id

    def add_role(self, name: str, permissions: int) -> int:
        role_id = snowflake()
        self.roles.append({"id": str(role_id), "name": name, "permissions": str(permissions),
                           "position": len(self.roles), "color": 0, "hoist": False,
                           "managed": False, "mentionable": False, "flags": 0})
        return role_id

    def add_member(self, user_id: int, name: str, *, cached: bool = True, **kwargs: Any) -> int:
        """A member of the server; `cached=False`: one the bot has not seen (not in the guild's
        payload, so `guild.get_member` doesn't know them; Discord's REST API does)."""
        (self.members if cached else self.uncached).append(member_payload(user_id, name, **kwargs))
        return user_id

    def put_in_voice(self, user_id: int, channel_id: int | None, *, mute: bool = False,
                     suppress: bool = False, self_mute: bool = False) -> None:
        """A VOICE_STATE: `mute` is a server mute, `suppress` a stage's audience."""
        self.voice_states = [v for v in self.voice_states if v["user_id"] != str(user_id)]
        if channel_id is not None:
            self.voice_states.append({"user_id": str(user_id), "channel_id": str(channel_id),
                                      "session_id": "s", "deaf": False, "mute": mute,
                                      "self_deaf": False, "self_mute": self_mute,
                                      "self_video": False, "suppress": suppress,
                                      "request_to_speak_timestamp": None})

    def payload(self) -> dict[str, Any]:
        self.roles[0]["permissions"] = str(self.everyone_permissions)
        return {"id": str(self.id), "name": self.name, "owner_id": str(self.owner_id),
                "roles": self.roles, "channels": self.channels, "members": self.members,
                "voice_states": self.voice_states, "emojis": [], "stickers": [],
                "features": [], "member_count": len(self.members), "large": False,
                "unavailable": False, "afk_timeout": 300, "verification_level": 0,
                "default_message_notifications": 0, "explicit_content_filter": 0,
                "mfa_level": 0, "nsfw_level": 0, "premium_tier": 0,
                "preferred_locale": self.locale, "system_channel_flags": 0, "threads": [],
                "stage_instances": [], "guild_scheduled_events": [], "icon": None,
                "splash": None, "banner": None, "description": None}

    def sync(self) -> discord.Guild:
        """(Re)create the discord.Guild in the bot's cache from the current payload."""
        return internals.put_guild(self.bot, self.payload())

    @property
    def guild(self) -> discord.Guild:
        guild = self.bot.get_guild(self.id)
        return guild if guild is not None else self.sync()


# --- Discord's REST API ----------------------------------------------------------------------------


class _Response:
    """What discord.py's HTTP errors read of a response."""

    def __init__(self, status: int, reason: str) -> None:
        self.status = status
        self.reason = reason


_MEMBER_URL = re.compile(r"/guilds/(\d+)/members/(\d+)")


class DiscordApi:
    """The REST reads the bot makes outside interactions, answered from the fake guilds at
    discord.py's lowest HTTP layer (`HTTPClient.request`), so every layer above it is discord.py's
    own (`Guild.fetch_member` → `HTTPClient.get_member` → a `Member` from the payload). Answers
    GET /guilds/{guild.id}/members/{user.id} as Discord does: the member (cached or not), else
    404 Unknown Member (code 10007); `down` makes it answer 500. One per bot; `requests` lists
    the (method, path) of each call it answered."""

    _of: ClassVar[weakref.WeakKeyDictionary[discord.Client, DiscordApi]] = weakref.WeakKeyDictionary()

    def __init__(self, bot: discord.Client) -> None:
        self.guilds: dict[int, FakeGuild] = {}
        self.requests: list[tuple[str, str]] = []
        self.down = False
        internals.answer_rest(bot, self.answer)

    @classmethod
    def of(cls, bot: discord.Client) -> DiscordApi:
        if bot not in cls._of:
            cls._of[bot] = cls(bot)
        return cls._of[bot]

    def answer(self, method: str, path: str) -> Awaitable[Any] | None:
        member = _MEMBER_URL.fullmatch(path)
        if method != "GET" or member is None:
            return None
        self.requests.append((method, path))
        return self._member(int(member[1]), member[2])

    async def _member(self, guild_id: int, user_id: str) -> dict[str, Any]:
        if self.down:
            raise discord.DiscordServerError(_Response(500, "Internal Server Error"),
                                             {"code": 0, "message": "500: Internal Server Error"})
        guild = self.guilds.get(guild_id)
        found = next((m for m in (guild.members + guild.uncached if guild else [])
                      if m["user"]["id"] == user_id), None)
        if found is None:
            raise discord.NotFound(_Response(404, "Not Found"), {"code": 10007, "message": "Unknown Member"})
        return found


# --- invoking ------------------------------------------------------------------------------------


def _option_type(command: app_commands.Command[Any, ..., Any], name: str) -> int:
    for parameter in command.parameters:
        if parameter.name == name:
            return parameter.type.value
    raise AssertionError(f"/{command.qualified_name} has no option {name!r}")


def _command_data(command: app_commands.Command[Any, ..., Any] | app_commands.Group,
                  options: list[dict[str, Any]]) -> dict[str, Any]:
    data: dict[str, Any] = {"name": command.name, "type": 1, "options": options}
    if command.parent is None:
        data["id"] = str(snowflake())
        return data
    data["type"] = 1 if isinstance(command, app_commands.Command) else 2
    return _command_data(command.parent, [data])


class Harness:
    """Builds interactions for one bot and records what the bot sends back."""

    def __init__(self, bot: discord.Client) -> None:
        self.bot = bot
        self.adapter = RecordingAdapter()
        self.locale = "en-US"  # the member's Discord client language, sent with every interaction
        self._token = internals.use_webhook_adapter(self.adapter)
        internals.learn_application(bot, APPLICATION_ID)
        # The one REST call a bot makes to learn its owner (the owner check's fallback).
        self._http_application_info = bot.http.application_info
        setattr(bot.http, "application_info", self._application_info)  # noqa: B010
        if not internals.knows_user(bot):
            internals.learn_user(bot, user_payload(BOT_USER_ID, "fishbot", bot=True))

    def close(self) -> None:
        internals.stop_using_webhook_adapter(self._token)
        setattr(self.bot.http, "application_info", self._http_application_info)  # noqa: B010

    async def _application_info(self) -> dict[str, Any]:
        return {"id": str(APPLICATION_ID), "name": "fishbot", "description": "", "icon": None,
                "bot_public": True, "bot_require_code_grant": False, "verify_key": "0" * 64,
                "owner": user_payload(APPLICATION_OWNER_ID, "app-owner"), "team": None, "flags": 0}

    @property
    def sent(self) -> list[Sent]:
        return self.adapter.sent

    def find(self, qualified_name: str) -> app_commands.Command[Any, ..., Any]:
        command = self.bot.tree.get_command(qualified_name.split()[0])
        for part in qualified_name.split()[1:]:
            assert isinstance(command, app_commands.Group), qualified_name
            command = command.get_command(part)
        assert isinstance(command, app_commands.Command), f"no command /{qualified_name}"
        return command

    def _base(self, guild: FakeGuild | None, user_id: int, channel_id: int | None,
              permissions: int | None, app_permissions: int | None,
              kind: int, data: dict[str, Any], user_install: bool = False) -> dict[str, Any]:
        # Who authorised the interaction, as Discord says: the server's install (0 → the server's
        # id, or "0" in the bot's DMs), or the member's own user install (1 → their id).
        server = str(guild.id) if guild is not None else "0"
        owners = {"1": str(user_id)} if user_install else {"0": server}
        payload: dict[str, Any] = {
            "id": str(snowflake()), "application_id": str(APPLICATION_ID), "type": kind,
            "token": f"token-{snowflake()}", "version": 1, "locale": self.locale,
            "entitlements": [], "authorizing_integration_owners": owners, "data": data,
            "attachment_size_limit": 10 * 1024 * 1024,
        }
        if guild is not None:
            guild.sync()
            channel_id = channel_id or guild.text_channel_id
            member = next(m for m in guild.members if m["user"]["id"] == str(user_id))
            perms = permissions if permissions is not None else guild.everyone_permissions
            payload.update({
                "guild_id": str(guild.id), "guild_locale": guild.locale, "context": 0,
                "member": {**member, "permissions": str(perms)},
                "app_permissions": str(app_permissions if app_permissions is not None
                                       else discord.Permissions.all().value),
                "channel_id": str(channel_id),
                "channel": next(c for c in guild.channels if c["id"] == str(channel_id)),
            })
        else:
            channel_id = channel_id or snowflake()
            payload.update({"user": user_payload(user_id, "someone"), "context": 1,
                            "channel_id": str(channel_id),
                            "channel": {"id": str(channel_id), "type": 1}})
        self.adapter.channel_id = int(channel_id)
        return payload

    def command_interaction(self, name: str, /, *, user_id: int, guild: FakeGuild | None = None,
                            channel_id: int | None = None, permissions: int | None = None,
                            app_permissions: int | None = None, focused: str | None = None,
                            resolved: dict[str, Any] | None = None, user_install: bool = False,
                            **options: Any) -> discord.Interaction:
        command = self.find(name)
        opts = []
        for key, value in options.items():
            option: dict[str, Any] = {"name": key, "type": _option_type(command, key), "value": value}
            if key == focused:
                option["focused"] = True
            opts.append(option)
        data = _command_data(command, opts)
        if resolved:
            data["resolved"] = resolved
        kind = 4 if focused else 2
        payload = self._base(guild, user_id, channel_id, permissions, app_permissions, kind, data,
                             user_install)
        return discord.Interaction(data=payload, state=internals.state(self.bot))  # type: ignore[arg-type]

    async def run(self, name: str, /, **kwargs: Any) -> list[Sent]:
        """Invoke a slash command to completion; returns what it sent."""
        before = len(self.sent)
        interaction = self.command_interaction(name, **kwargs)
        # In a task of its own, as discord.py runs it: what the handler sets in its context (the
        # reply language) stays there.
        await asyncio.create_task(internals.run_interaction(self.bot.tree, interaction))
        return self.sent[before:]

    async def autocomplete(self, name: str, focused: str, /, **kwargs: Any) -> list[dict[str, Any]]:
        before = len(self.sent)
        interaction = self.command_interaction(name, focused=focused, **kwargs)
        await asyncio.create_task(internals.run_interaction(self.bot.tree, interaction))
        answers = [s for s in self.sent[before:] if s.callback_type == AUTOCOMPLETE_RESULT]
        assert answers, "autocomplete sent no choices"
        return answers[-1].payload["data"]["choices"]

    async def context_menu(self, name: str, *, message: dict[str, Any], user_id: int,
                           guild: FakeGuild | None = None, **kwargs: Any) -> list[Sent]:
        before = len(self.sent)
        data = {"id": str(snowflake()), "name": name, "type": 3, "target_id": message["id"],
                "resolved": {"messages": {message["id"]: message}}}
        payload = self._base(guild, user_id, int(message["channel_id"]), kwargs.get("permissions"),
                             None, 2, data, kwargs.get("user_install", False))
        interaction = discord.Interaction(data=payload, state=internals.state(self.bot))  # type: ignore[arg-type]
        await asyncio.create_task(internals.run_interaction(self.bot.tree, interaction))
        return self.sent[before:]

    def _start(self, payload: dict[str, Any]) -> asyncio.Future[Any]:
        """Hand an interaction to discord.py's parser; the view or modal callbacks it scheduled
        (discord.py runs each in a task of its own, named discord-ui-...), as one future."""
        before = asyncio.all_tasks()
        gateway_event(self.bot, "interaction_create", payload)
        dispatched = [task for task in asyncio.all_tasks() - before
                      if task.get_name().startswith("discord-ui-")]
        return asyncio.gather(*dispatched)

    async def _dispatch(self, payload: dict[str, Any]) -> None:
        await asyncio.wait_for(self._start(payload), CALLBACK_TIMEOUT_S)

    async def click(self, message: Sent, custom_id: str, *, user_id: int,
                    guild: FakeGuild | None = None, values: list[str] | None = None) -> list[Sent]:
        """Press a button (or choose select values) on a message the bot sent."""
        before = len(self.sent)
        component = self.component(message, custom_id)
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": component["type"]}
        if values is not None:
            data["values"] = values
        payload = self._base(guild, user_id, None, None, None, 3, data)
        payload["message"] = self.message_of(message)
        await self._dispatch(payload)
        return self.sent[before:]

    async def submit_modal(self, modal: Sent, values: dict[str, str], *, user_id: int,
                           guild: FakeGuild | None = None) -> list[Sent]:
        """Fill in and submit a modal the bot opened (a response of callback type MODAL); returns
        once its callback has finished."""
        before = len(self.sent)
        await asyncio.wait_for(self.start_submit_modal(modal, values, user_id=user_id, guild=guild),
                               CALLBACK_TIMEOUT_S)
        return self.sent[before:]

    def start_submit_modal(self, modal: Sent, values: dict[str, str], *, user_id: int,
                           guild: FakeGuild | None = None) -> asyncio.Future[Any]:
        """Submit a modal whose callback goes on to wait for the member (e.g. a consent button):
        the callback as a future to await once the test has answered."""
        assert modal.callback_type == MODAL, "that response did not open a modal"
        inputs = [c for c in _walk(modal.data["components"]) if c.get("type") == 4]
        rows = [{"type": 1, "components": [{"type": 4, "custom_id": c["custom_id"],
                                            "value": values.get(c["custom_id"], "")}]} for c in inputs]
        data = {"custom_id": modal.data["custom_id"], "components": rows}
        return self._start(self._base(guild, user_id, None, None, None, 5, data))

    def message_of(self, sent: Sent) -> dict[str, Any]:
        """The message payload the recorder answered with for this send."""
        for message in reversed(self.adapter.messages.values()):
            if message["components"] == sent.components and message["content"] == sent.content:
                return message
        raise AssertionError("no recorded message for that send")

    @staticmethod
    def component(sent: Sent, custom_id: str) -> dict[str, Any]:
        for component in _walk(sent.components):
            if component.get("custom_id") == custom_id:
                return component
        raise AssertionError(f"no component {custom_id!r} in {sent.components}")


def _walk(components: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for component in components:
        yield component
        yield from _walk(component.get("components") or [])
