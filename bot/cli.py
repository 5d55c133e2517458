"""The command line: `fishbot run | check | sync | db upgrade` (also `python -m bot ...`)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import shutil
import signal
import sys
import threading
from collections.abc import Coroutine, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
import discord
from pydantic import SecretStr

from bot.config import ConfigError, MetricsSection, Settings, load_settings
from bot.logs import setup_logging

if TYPE_CHECKING:
    from bot.client import FishBot
    from bot.fish import FishClient
    from bot.storage.db import Database

log = logging.getLogger("fishbot")

EXIT_CONFIG = 2
EXIT_UNREACHABLE = 3  # Discord or Fish Audio could not be reached at start-up
EXIT_SESSION_STARTS = 4  # too few of Discord's daily session starts left (bot/gateway.py)
# A stop ends the process this long after the signal at the latest, finished or not (Docker kills
# at 10 s): the bot's orderly close takes up to 3.5 s (bot.client.SHUTDOWN_TIMEOUT_S), but closing
# connections to a database that stopped answering can wait forever.
STOP_DEADLINE_S = 4.0


def _count(minimum: int) -> Any:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"use a whole number from {minimum}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"use a whole number from {minimum}")
        return value

    return parse


def _shard_ids(text: str) -> list[int]:
    try:
        ids = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError("use comma-separated numbers, e.g. 0,1,2") from None
    if not ids or min(ids) < 0:
        raise argparse.ArgumentTypeError("use comma-separated numbers from 0, e.g. 0,1,2")
    return ids


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fishbot", description=__doc__)
    parser.add_argument(
        "--config", type=Path, default=None, help="path to config.toml (default: ./config.toml)"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="start the bot (applies database migrations first)")
    run.add_argument("--shard-count", type=_count(1), default=None, help="total shards of all processes")
    shards = run.add_mutually_exclusive_group()
    shards.add_argument(
        "--shard-ids", type=_shard_ids, default=None, help="shards this process runs, e.g. 0,1"
    )
    shards.add_argument(
        "--shards-per-process", type=_count(1), default=None, metavar="K",
        help="run K consecutive shards, chosen by the process index: index i runs shards i*K to "
        "i*K+K-1 (every process of a fleet runs the same command)",
    )
    run.add_argument(
        "--process-index", type=_count(0), default=None, metavar="I",
        help="this process's index for --shards-per-process (default: $FISHBOT_PROCESS_INDEX, else "
        "the number ending the host name, as in a StatefulSet pod fishbot-2)",
    )

    check = commands.add_parser("check", help="validate config, system libraries and the API key")
    check.add_argument("--discord", action="store_true", help="also log in to Discord")

    sync = commands.add_parser("sync", help="register slash commands with Discord")
    target = sync.add_mutually_exclusive_group()
    target.add_argument("--guild", type=int, default=None, help="sync to one server only (instant)")
    target.add_argument("--dev", action="store_true", help="sync to dev_guild_id from the config")

    commands.add_parser("health", help="ask a running bot's /healthz (metrics.port) if it is connected")

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_commands.add_parser("upgrade", help="apply schema migrations")
    return parser


REQUIRED = {
    "run": ("discord_token", "fish_api_key"),
    "check": ("discord_token", "fish_api_key"),
    "sync": ("discord_token",),
    "db": (),
    "health": (),
}


def main(argv: Sequence[str] | None = None) -> int:
    # Until the event loop's handlers take over (`_until_stopped`), SIGTERM stops the process the
    # way Ctrl-C does (KeyboardInterrupt, exit 0) rather than killing it with exit code 143.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        return _command(argv)
    except KeyboardInterrupt:
        return 0


def _command(argv: Sequence[str] | None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings(args.config, require=REQUIRED[args.command])
    except ConfigError as exc:
        print(exc.render(), file=sys.stderr)
        return EXIT_CONFIG
    secrets = [
        secret.get_secret_value()
        for secret in (settings.discord_token, settings.fish_api_key)
        if secret is not None
    ]
    setup_logging(settings.log_level, secrets)
    handlers = {"run": _run, "check": _check, "sync": _sync, "db": _db, "health": _health}
    return asyncio.run(_until_stopped(handlers[args.command](settings, args)))


async def _until_stopped(command: Coroutine[Any, Any, int]) -> int:
    """Run a command so that SIGTERM (docker stop) or SIGINT (Ctrl-C) stops it at any moment, by
    one path: the command's task is cancelled wherever it waits (migrations, reaching Discord or
    Fish, login, command sync, the running gateway), its own clean-up runs on the way out (the
    bot's bounded close()), and the process exits 0, within STOP_DEADLINE_S whatever hangs."""
    task = asyncio.current_task()
    assert task is not None
    loop = asyncio.get_running_loop()
    received: list[str] = []

    def stop(name: str) -> None:
        if received:
            return  # already stopping; the shutdown is bounded
        received.append(name)
        log.info("%s received: shutting down", name)
        task.cancel()
        deadline = threading.Timer(STOP_DEADLINE_S, _exit_now, args=(name,))
        deadline.daemon = True  # a stop that finishes in time ends the process as usual
        deadline.start()

    # Kept until asyncio.run closes the loop: a signal during its last clean-up is a no-op.
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):  # Windows: Ctrl+C still raises
            loop.add_signal_handler(sig, stop, sig.name)
    try:
        return await command
    except asyncio.CancelledError:
        if not received:
            raise
        task.uncancel()
        return 0


# --- building the bot from its parts ---------------------------------------------------------


async def _open_database(settings: Settings) -> Database:
    from bot.storage.db import Database

    db = Database(settings.resolved_database_url)
    try:
        await db.connect()
    except BaseException:  # a stop (CancelledError) too: a server that hangs leaves no connection
        await db.close()
        raise
    return db


def _fish_client(settings: Settings, db: Database | None = None) -> FishClient:
    """The Fish client, with the account's admission gate: its slots shared through `db` when that
    is PostgreSQL (several processes), counted in this process otherwise."""
    from bot.fish import FishClient
    from bot.fish.admission import AdmissionGate
    from bot.fish.admission.shared import SharedSlots

    assert settings.fish_api_key is not None
    pool = SharedSlots(db.url) if db is not None and db.dialect == "postgresql" else None
    return FishClient(
        api_key=settings.fish_api_key.get_secret_value(),
        base_url=settings.fish_base_url,
        timeout=settings.fish.timeout_s,
        max_retries=settings.fish.max_retries,
        gate=AdmissionGate(settings.fish.max_concurrency, pool=pool),
    )


async def build_bot(
    settings: Settings,
    *,
    voice_client_cls: type[discord.VoiceClient] = discord.VoiceClient,
    **options: Any,
) -> FishBot:
    """Every service the bot runs, built here and handed in (the tests build their bots here too;
    they pass a `voice_client_cls` that records packets instead of sending them)."""
    from bot.client import FishBot
    from bot.speech.mentions import MentionedMembers
    from bot.speech.prepare import Preparer
    from bot.speech.service import SpeechService
    from bot.spoken.dictionaries import Dictionaries
    from bot.storage.migrations import upgrade
    from bot.storage.settings import SettingsStore
    from bot.storage.voice_owners import VoiceOwners
    from bot.tts.breaker import FishBreaker
    from bot.tts.cache import TTSCache
    from bot.tts.gone import StaleVoices
    from bot.tts.synthesizer import Synthesizer
    from bot.usage import UsageLedger
    from bot.voice.manager import SessionManager

    db = await _open_database(settings)
    try:
        applied = await upgrade(db)
    except BaseException:  # a stop during migrations too
        await db.close()
        raise
    if applied:
        log.info("applied database migrations: %s", ", ".join(applied))
    fish = _fish_client(settings, db)
    store = SettingsStore(db)
    # The one rule of who may use a cloned voice, for everything that asks.
    owners = VoiceOwners(db)
    usage = UsageLedger(db, settings, store=store)
    tts_cache = TTSCache(settings.credits.tts_cache_entries, settings.credits.tts_cache_max_chars)
    # One per process: every TTS request (voice clips and files) counts towards it.
    breaker = FishBreaker(failures=settings.fish.breaker_failures, cool_off=settings.fish.breaker_cool_off_s,
                          max_cool_off=settings.fish.breaker_max_cool_off_s)
    synth = Synthesizer(fish, stall_timeout=settings.speak.stall_timeout_s, cache=tts_cache, breaker=breaker)
    sessions = SessionManager(synth, settings, voice_client_cls=voice_client_cls)
    # From a member's text in a server to a spec: each server's compiled dictionary, the names of
    # mentioned members the bot hasn't seen.
    preparer = Preparer(settings=settings, store=store, fish=fish, owners=owners,
                        dictionaries=Dictionaries(store), members=MentionedMembers())
    speech = SpeechService(synth=synth, ledger=usage, sessions=sessions, settings=settings,
                           stale=StaleVoices(store, settings, owners), preparer=preparer)
    return FishBot(
        settings=settings, fish=fish, db=db, store=store, usage=usage, tts_cache=tts_cache,
        voice_sessions=sessions, speech=speech, voice_owners=owners, **options,
    )


# --- commands --------------------------------------------------------------------------------


def shard_options(args: argparse.Namespace) -> dict[str, Any]:
    """`shard_count` and `shard_ids` for the bot from the run options; raises ShardPlanError."""
    from bot.shards import ShardPlanError, process_index, shard_range

    options: dict[str, Any] = {}
    if args.shard_count is not None:
        options["shard_count"] = args.shard_count
    ids = args.shard_ids
    if args.shards_per_process is not None:
        if args.shard_count is None:
            raise ShardPlanError("--shards-per-process needs --shard-count")
        ids = shard_range(args.shard_count, args.shards_per_process, process_index(args.process_index))
    elif args.process_index is not None:
        raise ShardPlanError("--process-index goes with --shards-per-process")
    if ids is not None:
        if args.shard_count is None:
            raise ShardPlanError("--shard-ids needs --shard-count")
        if max(ids) >= args.shard_count:
            raise ShardPlanError("every --shard-ids value must be below --shard-count")
        options["shard_ids"] = ids
    return options


async def _run(settings: Settings, args: argparse.Namespace) -> int:
    from bot.gateway import SessionStartsSpent
    from bot.shards import ShardPlanError

    assert settings.discord_token is not None
    try:
        options: dict[str, Any] = {"auto_sync": True, **shard_options(args)}
    except ShardPlanError as exc:
        print(f"fishbot: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    if "shard_ids" in options:
        log.info("running shards %s of %d", _ranges(options["shard_ids"]), options["shard_count"])
    bot = await build_bot(settings, **options)
    async with bot:
        try:
            await _reach(bot, settings)
            await _plan_identify(bot)
            # From here on gateway outages are discord.py's to ride out (it reconnects by itself).
            await bot.connect()
        except Unreachable as exc:
            print(f"fishbot: {exc}", file=sys.stderr)
            return EXIT_UNREACHABLE
        except SessionStartsSpent as exc:
            print(f"fishbot: {exc}", file=sys.stderr)
            return EXIT_SESSION_STARTS
        except discord.LoginFailure:
            print("fishbot: Discord rejected DISCORD_TOKEN. Copy the bot token again.", file=sys.stderr)
            return EXIT_CONFIG
        except discord.PrivilegedIntentsRequired:
            print(
                "fishbot: narration and automatic transcription need the Message Content intent."
                " Enable it for the bot in the Discord developer portal (Bot → Privileged Gateway"
                " Intents), or turn both off.",
                file=sys.stderr,
            )
            return EXIT_CONFIG
    return 0


def _exit_now(name: str) -> None:
    """The shutdown outlived STOP_DEADLINE_S (from a thread of its own: the event loop may be the
    one waiting): say so and end the process. What it dropped (e.g. ledger writes) is logged."""
    log.warning("still shutting down %g s after %s (a connection is not answering): exiting now",
                STOP_DEADLINE_S, name)
    for handler in logging.getLogger().handlers:
        handler.flush()
    sys.stdout.flush()
    os._exit(0)


def _ranges(ids: Sequence[int]) -> str:
    return f"{ids[0]}-{ids[-1]}" if list(ids) == list(range(ids[0], ids[-1] + 1)) else ",".join(map(str, ids))


async def _plan_identify(bot: FishBot) -> None:
    """Read the session start limit (refusing to start while it is nearly spent) and give the
    identify gate Discord's `max_concurrency`."""
    from bot.gateway import fetch_session_starts, refuse_if_spent

    try:
        starts = await fetch_session_starts(bot.http)
    except (discord.GatewayNotFound, OSError, aiohttp.ClientError, TimeoutError) as exc:
        raise Unreachable(f"could not read Discord's session start limit ({_why(exc)})") from exc
    refuse_if_spent(starts, bot.shard_count or starts.shards)
    if bot.identify_gate is not None:
        bot.identify_gate.max_concurrency = starts.max_concurrency
    log.info("Discord session starts: %d of %d left; %d IDENTIFY per 5 s", starts.remaining,
             starts.total, starts.max_concurrency)


class Unreachable(Exception):
    """Start-up could not reach Discord or Fish Audio in `startup_retry_s` (the message is one line)."""


def _why(exc: BaseException) -> str:
    """A short cause for a network failure (no URL with secrets, no traceback)."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 120 else text[:119] + "…"


async def _reach(bot: FishBot, settings: Settings) -> None:
    """Log in to Discord (which also runs setup_hook) and make one free Fish Audio call, retrying
    with backoff while either is unreachable; raise Unreachable naming what never answered.

    Only network trouble is retried: a rejected token (LoginFailure) is raised at once, and a Fish
    answer of any kind, even an error status, shows Fish is reachable (`check` tests the key)."""
    from bot.fish import FishError, FishNetworkError, FishTimeoutError, ServerError

    assert settings.discord_token is not None
    token = settings.discord_token.get_secret_value()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + settings.startup_retry_s
    delay = 1.0
    logged_in = fish_ok = False
    while True:
        problems: list[str] = []
        if not logged_in:
            try:
                await bot.login(token)
                logged_in = True
            except (OSError, aiohttp.ClientError, TimeoutError, discord.DiscordServerError) as exc:
                # login() opens a new HTTP session on the next try; closing this one closes its
                # connector, so let discord.py make a new one too.
                await bot.http.close()
                bot.http.connector = discord.utils.MISSING
                problems.append(f"Discord ({_why(exc)})")
        if not fish_ok:
            try:
                await bot.fish.account.get_credits()
                fish_ok = True
            except (FishNetworkError, FishTimeoutError, ServerError) as exc:
                problems.append(f"Fish Audio at {settings.fish_base_url} ({_why(exc)})")
            except FishError:
                fish_ok = True  # Fish answered (e.g. 401): reachable
        if not problems:
            return
        line = "could not reach " + " or ".join(problems)
        left = deadline - loop.time()
        if left <= 0:
            raise Unreachable(f"{line}; gave up after {settings.startup_retry_s:g} s")
        log.warning("%s; retrying in %.0f s", line, min(delay, left))
        await asyncio.sleep(min(delay, left))
        delay = min(delay * 2, 30.0)


async def _sync(settings: Settings, args: argparse.Namespace) -> int:
    from bot.command_sync import sync_global

    assert settings.discord_token is not None
    guild_id = settings.dev_guild_id if args.dev else args.guild
    if args.dev and guild_id is None:
        print("fishbot: --dev needs dev_guild_id in the configuration", file=sys.stderr)
        return EXIT_CONFIG
    token = settings.discord_token.get_secret_value()
    if settings.fish_api_key is None:
        # Syncing only reads the command definitions; no Fish call is made.
        settings = settings.model_copy(update={"fish_api_key": SecretStr("unused-for-sync")})
    # The running bot may hold the metrics port; this short-lived process serves nothing.
    settings = settings.model_copy(update={"metrics": MetricsSection()})
    bot = await build_bot(settings)
    async with bot:
        try:
            await bot.login(token)  # runs setup_hook
        except discord.LoginFailure:
            print("fishbot: Discord rejected DISCORD_TOKEN.", file=sys.stderr)
            return EXIT_CONFIG
        if guild_id is not None:
            guild = discord.Object(guild_id)
            bot.tree.copy_global_to(guild=guild)
            count = len(await bot.tree.sync(guild=guild))
        else:
            count = await sync_global(bot.tree, bot.state)  # recorded: `run` won't sync again
    where = f"server {guild_id}" if guild_id is not None else "all servers (global)"
    print(f"Synced {count} commands to {where}.")
    if guild_id is None:
        print("Global commands can take up to an hour to appear in Discord.")
    return 0


async def _db(settings: Settings, args: argparse.Namespace) -> int:
    from bot.storage.db import redact_url
    from bot.storage.migrations import current_revision, upgrade

    db = await _open_database(settings)
    try:
        applied = await upgrade(db)
        revision = await current_revision(db)
    finally:
        await db.close()
    url = redact_url(settings.resolved_database_url)
    done = ", ".join(applied) if applied else "nothing to apply"
    print(f"Database {url}: {done}; now at {revision}.")
    return 0


async def _health(settings: Settings, args: argparse.Namespace) -> int:
    """For the container's HEALTHCHECK: 0 when the bot answers /healthz with 200."""
    import httpx

    port = settings.metrics.port
    if not port:
        print("metrics.port is not set: no health endpoint to ask")
        return 0
    host = settings.metrics.host
    if host in ("0.0.0.0", "::", ""):
        host = "127.0.0.1"
    url = f"http://{host}:{port}/healthz"
    try:
        async with httpx.AsyncClient(timeout=3) as client:
            response = await client.get(url)
    except httpx.HTTPError as exc:
        print(f"unhealthy: {url} did not answer ({type(exc).__name__})")
        return 1
    print(f"{'healthy' if response.status_code == 200 else 'unhealthy'}: {response.text.strip()}")
    return 0 if response.status_code == 200 else 1


def _cause(exc: BaseException, settings: Settings) -> str:
    """What went wrong, in one line: the driver's own error where SQLAlchemy wraps one, without
    the database password (the message may quote the URL)."""
    original = getattr(exc, "orig", None) or exc
    lines = str(original).strip().splitlines()
    text = f"{type(original).__name__}: {lines[0]}" if lines else type(original).__name__
    from sqlalchemy.engine import make_url

    try:
        password = make_url(settings.resolved_database_url).password
    except Exception:
        password = None
    return text.replace(password, "***") if password else text


async def _tool_version(*command: str) -> str | None:
    if shutil.which(command[0]) is None:
        return None
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL
    )
    try:
        out, _ = await asyncio.wait_for(process.communicate(), timeout=10)
    except TimeoutError:
        process.kill()
        return "unknown version"
    first = out.decode(errors="replace").splitlines()
    return first[0] if first else "unknown version"


async def _check(settings: Settings, args: argparse.Namespace) -> int:
    from bot.fish import FishError
    from bot.wording import user_message

    failures = 0

    def report(ok: bool, what: str, detail: str) -> None:
        nonlocal failures
        failures += 0 if ok else 1
        print(f"[{'ok' if ok else 'FAIL'}] {what}: {detail}")

    print("[ok] configuration: valid")
    for tool in ("ffmpeg", "ffprobe"):
        version = await _tool_version(tool, "-version")
        report(version is not None, tool, version or "not found on PATH (apt-get install ffmpeg)")
    try:
        discord.opus._load_default()
        opus_ok = discord.opus.is_loaded()
    except Exception:
        opus_ok = False
    report(opus_ok, "libopus", "loaded" if opus_ok else "not found (apt-get install libopus0)")
    try:
        import davey  # noqa: F401

        report(True, "davey (DAVE voice encryption)", "installed")
    except ImportError:
        report(False, "davey (DAVE voice encryption)", "missing: pip install 'discord.py[voice]'")

    from bot.storage.db import redact_url
    from bot.storage.migrations import current_revision

    try:
        db = await _open_database(settings)
        try:
            revision = await current_revision(db)
        finally:
            await db.close()
        where = redact_url(settings.resolved_database_url)
        report(True, "database", f"{where} (schema {revision or 'empty: run fishbot db upgrade'})")
    except Exception as exc:
        report(False, "database", f"{redact_url(settings.resolved_database_url)}: {_cause(exc, settings)}")

    fish = _fish_client(settings)
    try:
        credits = await fish.account.get_credits()
        report(True, "Fish Audio API key", f"works; API credit {credits.credit}")
    except FishError as exc:
        report(False, "Fish Audio API key", user_message(exc))
    finally:
        await fish.close()

    from bot import clock

    for notice in settings.warnings(clock.utc_today()):
        print(f"[warn] {notice}")
    if settings.needs_message_content:
        print(
            "[warn] narration or automatic transcription is on: it needs the privileged Message"
            " Content intent enabled in the Discord developer portal, or `run` will stop at login."
        )
    if args.discord:
        assert settings.discord_token is not None
        client = discord.Client(intents=discord.Intents.none())
        async with client:
            try:
                await client.login(settings.discord_token.get_secret_value())
                info = await client.application_info()
                report(True, "Discord login", f"application {info.name} ({info.id})")
                if settings.needs_message_content:
                    flags = info.flags
                    granted = flags.gateway_message_content or flags.gateway_message_content_limited
                    report(granted, "Message Content intent",
                           "enabled" if granted else "off in the developer portal: narration and "
                           "automatic transcripts need it (Bot → Privileged Gateway Intents)")
            except discord.LoginFailure:
                report(False, "Discord login", "DISCORD_TOKEN was rejected")
            except discord.HTTPException as exc:
                report(False, "Discord login", f"HTTP {exc.status}")
    with contextlib.suppress(Exception):
        sys.stdout.flush()
    return 0 if failures == 0 else 1
