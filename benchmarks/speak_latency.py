"""Speak latency, pacing and concurrency: the real pipeline against the Fish stand-in.

The stand-in runs in a child process (its Opus encoding must not count as the bot's CPU) with a
fixed time-to-first-byte and real-time factor. The bot side is the real thing: FishBot's voice
sessions, the Fish client streaming over HTTP, the Ogg demuxer, the packet buffer, and discord.py's
own AudioPlayer thread, with a voice client that records each packet instead of sending it.
time.perf_counter is CLOCK_MONOTONIC on Linux, so both processes' timestamps are comparable.

    python benchmarks/speak_latency.py [--clips 20] [--streams 100] [--ttfb 0.3] [--rtf 0.5]
        [--cold-join 0.5] [--only cold|concurrency|account] [--json]

The cold case is a /speak through the command tree while the bot is not in voice: the voice
connection takes `--cold-join` seconds (Discord's handshake, imitated), Fish `--ttfb`; the bot
asks Fish while it joins, so the first packet should come after about the larger of the two, not
their sum (`cold_serial_ms`, what a join-then-ask bot would take).

The account case (`--only account`): Fish's concurrency limit per account. 15 servers /speak at
once, cold, on a Starter account (the stand-in refuses beyond 5 concurrent requests with 429, and
`fish.max_concurrency` is 5): how many 429s Fish answered (`account_limit_429`), how many servers
heard their clip (`account_limit_heard_pct`), and when the last one's first audio came, from its
command (`account_limit_last_first_audio_ms`), against the bound the issue sets: the waves that 5
slots need (each holding a slot for TTFB + clip length × RTF) plus 1 s. Then 10 servers cold at
once with the limit above them (`account_burst_*`): first audio from acceptance, p95, against
max(join, TTFB) + 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import math
import multiprocessing
import os
import random
import resource
import statistics
import string
import sys
import tempfile
import time
from collections.abc import Iterator
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import discord
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.audio.source import OPUS_SILENCE as UNDERRUN_FILL  # noqa: E402
from bot.spoken.cleaning import clean  # noqa: E402
from bot.spoken.language import detect  # noqa: E402
from bot.spoken.pronunciation import Dictionary, Entry  # noqa: E402
from bot.voice.request import SpeakRequest  # noqa: E402

# Fill packets are told apart by identity (see audio_times), so the two must be distinct objects.
assert UNDERRUN_FILL is not discord.player.OPUS_SILENCE
from tests.bot_fixtures import make_settings, start_bot  # noqa: E402
from tests.discord_harness import FakeGuild, Harness, snowflake  # noqa: E402
from tests.voice_standin import RecordingVoiceClient  # noqa: E402

MS_PER_CHAR = 70.0  # the stand-in's speech rate: 15 s ≈ 215 characters
NARRATION_MESSAGES = 10


# --- the stand-in, in its own process -------------------------------------------------------


def _standin_main(conn: Connection, ttfb: float, rtf: float, max_concurrency: int | None) -> None:
    from tests.fakefish import FakeFish

    async def serve() -> None:
        async with FakeFish(ttfb=ttfb, rtf=rtf, ms_per_char=MS_PER_CHAR,
                            max_concurrency=max_concurrency) as fake:
            conn.send(fake.base_url)
            loop = asyncio.get_running_loop()
            while True:
                command = await loop.run_in_executor(None, conn.recv)
                if command == "stop":
                    return
                if command == "tts_timings":
                    conn.send([(r.received_at, r.first_byte_at, r.finished_at)
                               for r in fake.requests_for("tts")])
                if command == "concurrency":
                    conn.send((fake.concurrency_refusals, fake.peak_in_flight))
                if isinstance(command, tuple) and command[0] == "limit":
                    fake.max_concurrency = command[1]
                    fake.peak_in_flight = 0

    asyncio.run(serve())


class StandIn:
    def __init__(self, ttfb: float, rtf: float, max_concurrency: int | None = None) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_standin_main, args=(child, ttfb, rtf, max_concurrency),
                                        daemon=True)
        self._process.start()
        self.base_url: str = self._conn.recv()

    async def tts_timings(self) -> list[tuple[float, float | None, float | None]]:
        self._conn.send("tts_timings")
        return await asyncio.to_thread(self._conn.recv)

    async def concurrency(self) -> tuple[int, int]:
        """(429s for concurrency so far, most requests in flight at once)."""
        self._conn.send("concurrency")
        return await asyncio.to_thread(self._conn.recv)

    def set_limit(self, limit: int | None) -> None:
        self._conn.send(("limit", limit))

    def stop(self) -> None:
        self._conn.send("stop")
        self._process.join(timeout=5)


# --- helpers --------------------------------------------------------------------------------


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def text_of_seconds(seconds: float, seed: int = 0) -> str:
    words = ["fish", "audio", "speaks", "into", "discord", "voice", "channels",
             "as", "the", "words", "arrive"]
    out: list[str] = []
    while len(" ".join(out)) * MS_PER_CHAR / 1000 < seconds:
        out.append(words[(len(out) + seed) % len(words)])
    return " ".join(out)


async def wait_until(condition: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("benchmark step did not finish in time")
        await asyncio.sleep(0.005)


def audio_times(client: RecordingVoiceClient, start: int = 0) -> list[float]:
    """Times of the packets that carried the clip's audio. Fish audio can itself contain Opus
    silence frames (pauses between words), so fill packets are told by identity, not by value:
    our sources' underrun fill and discord.py's trailing silence are those two constants."""
    return [t for t, data in client.packets[start:]
            if data is not UNDERRUN_FILL and data is not discord.player.OPUS_SILENCE]


class Bench:
    def __init__(self, base_url: str, tmp: Path, max_concurrency: int = 50) -> None:
        self.base_url = base_url
        self.tmp = tmp
        self.max_concurrency = max_concurrency

    async def __aenter__(self) -> Bench:
        settings = make_settings(
            self.base_url, self.tmp, speak={"stall_timeout_s": 30.0, "idle_timeout_s": 600.0,
                                            "queue_limit": 500},
            fish={"timeout_s": 30.0, "max_concurrency": self.max_concurrency},
            # Measure streaming, not the cache of repeated short phrases.
            credits={"tts_cache_entries": 0},
        )
        self.bot = await start_bot(settings)
        self.harness = Harness(self.bot)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.bot.close()
        self.harness.close()

    async def session_in_new_guild(self) -> tuple[Any, RecordingVoiceClient]:
        guild = FakeGuild(self.bot)
        user_id = guild.add_member(snowflake(), "Bench")
        channel_id = guild.add_channel("Voice", kind=2)
        guild.put_in_voice(user_id, channel_id)
        member = guild.sync().get_member(user_id)
        assert member is not None
        session = await self.bot.voice_sessions.join(member)
        assert isinstance(session.voice, RecordingVoiceClient)
        return session, session.voice


# --- measurements ---------------------------------------------------------------------------


async def measure_latency(bench: Bench, standin: StandIn, clips: int) -> dict[str, Any]:
    """One clip at a time (no prefetch overlap), so each clip's overhead stands alone."""
    session, client = await bench.session_in_new_guild()
    overheads, ttfas, gaps = [], [], []
    for i in range(clips):
        start_packet = len(client.packets)
        played = session.clips_played
        requested = time.perf_counter()
        session.enqueue(SpeakRequest(spec=bench.bot.speech.spec(text_of_seconds(3.0, i)), requester_id=1,
                                     requester_name="bench"))
        await wait_until(lambda p=played: session.clips_played > p, 60)
        times = audio_times(client, start_packet)
        timings = (await standin.tts_timings())[-1]
        first_byte = timings[1]
        assert first_byte is not None
        overheads.append((times[0] - first_byte) * 1000)
        ttfas.append((times[0] - requested) * 1000)
        gaps += [(b - a) * 1000 for a, b in itertools.pairwise(times)]
    return {"overheads": overheads, "ttfas": ttfas, "gaps": gaps}


async def measure_long_utterance(bench: Bench, seconds: float) -> float:
    session, client = await bench.session_in_new_guild()
    start_packet = len(client.packets)
    requested = time.perf_counter()
    session.enqueue(SpeakRequest(spec=bench.bot.speech.spec(text_of_seconds(seconds, 7)), requester_id=1,
                                 requester_name="bench"))
    await wait_until(lambda: len(audio_times(client, start_packet)) > 0, 60)
    ttfa = (audio_times(client, start_packet)[0] - requested) * 1000
    await session.stop()
    return ttfa


async def measure_naive(bench: Bench, seconds: float) -> float:
    """The usual bot: download the whole MP3, then FFmpegPCMAudio from the file."""
    _, client = await bench.session_in_new_guild()
    requested = time.perf_counter()
    audio = await bench.bot.fish.tts.convert(text=text_of_seconds(seconds, 7), format="mp3")
    path = bench.tmp / "naive.mp3"
    await asyncio.to_thread(path.write_bytes, audio)
    done = asyncio.Event()
    loop = asyncio.get_running_loop()
    client.play(discord.FFmpegPCMAudio(str(path)),
                after=lambda _e: loop.call_soon_threadsafe(done.set))
    await wait_until(lambda: len(client.packets) > 0, 60)
    ttfa = (client.packets[0][0] - requested) * 1000
    client.stop()
    await done.wait()
    return ttfa


async def measure_narration_gap(bench: Bench, messages: int) -> dict[str, list[float]]:
    """Messages arriving faster than they are spoken. `handoff`: wall time from the end of one
    clip's last 20 ms frame to the next clip's first packet; `stream`: the same plus any of
    discord.py's end-of-track silence frames between them, i.e. the pause a listener hears."""
    session, client = await bench.session_in_new_guild()
    clips: list[Any] = []
    new_clip = session._new_clip

    def recording_new_clip(request: SpeakRequest) -> Any:
        clips.append(new_clip(request))
        return clips[-1]

    session._new_clip = recording_new_clip  # type: ignore[method-assign]
    played = session.clips_played
    for i in range(messages):
        spec = bench.bot.speech.spec(text_of_seconds(2.0, i))
        session.enqueue(SpeakRequest(spec=spec, requester_id=1, requester_name="bench", message_id=i + 1))
    await wait_until(lambda: session.clips_played >= played + messages, 120)
    handoff, stream = [], []
    for a, b in itertools.pairwise(clip.source for clip in clips):
        end, start = a.last_packet_at + 0.020, b.first_packet_at
        silent = sum(1 for t, data in client.packets
                     if a.last_packet_at < t < start and data is discord.player.OPUS_SILENCE)
        handoff.append((start - end) * 1000)
        stream.append((start - end) * 1000 + 20 * silent)
    return {"handoff": handoff, "stream": stream}


async def measure_transports(bench: Bench, messages: int) -> dict[str, list[float]]:
    """Time from sending one message's text to its first audio byte, on an idle line: one HTTP
    stream per message (pooled keep-alive connection) versus one live WebSocket flushed per message."""
    fish = bench.bot.fish
    texts = [text_of_seconds(1.5, 20 + i) for i in range(messages)]
    http: list[float] = []
    for text in texts:
        sent = time.perf_counter()
        first: float | None = None
        async for _chunk in fish.tts.stream(text=text, format="opus"):
            first = first or time.perf_counter()
        assert first is not None
        http.append((first - sent) * 1000)
    ws: list[float] = []
    arrivals: list[float] = []
    async with fish.tts.live(format="opus") as live:

        async def consume() -> None:
            async for _chunk in live.audio():
                arrivals.append(time.perf_counter())

        consumer = asyncio.create_task(consume())
        for text in texts:
            sent = time.perf_counter()
            live.send_text(text)
            live.flush()
            await wait_until(lambda s=sent: any(t > s for t in arrivals), 30)
            ws.append((min(t for t in arrivals if t > sent) - sent) * 1000)
            # The whole message's audio arrives before the next is sent (an idle line each time).
            await wait_until(lambda: time.perf_counter() - arrivals[-1] >= 0.4, 60)
        live.stop()
        await asyncio.wait_for(consumer, 30)
    return {"http": http, "ws": ws}


async def measure_concurrency(bench: Bench, streams: int, seconds: float) -> dict[str, float]:
    sessions = [await bench.session_in_new_guild() for _ in range(streams)]
    process = psutil.Process()
    cpu_before = sum(process.cpu_times()[:2])
    wall_before = time.perf_counter()
    for i, (session, _) in enumerate(sessions):
        spec = bench.bot.speech.spec(text_of_seconds(seconds, i % 3))
        session.enqueue(SpeakRequest(spec=spec, requester_id=1, requester_name="bench"))
    await wait_until(lambda: all(s.clips_played == 1 for s, _ in sessions), seconds * 4 + 60)
    cpu = sum(process.cpu_times()[:2]) - cpu_before
    wall = time.perf_counter() - wall_before
    gaps: list[float] = []
    for _, client in sessions:
        times = audio_times(client)
        gaps += [(b - a) * 1000 for a, b in itertools.pairwise(times)]
    late = sum(1 for g in gaps if g > 40)
    return {
        "late_frame_pct": 100 * late / max(1, len(gaps)),
        "cpu_pct_per_stream": 100 * cpu / wall / streams,
        "gap_p99_ms": percentile(gaps, 99),
    }


def joining_in(seconds: float) -> tuple[type[RecordingVoiceClient], list[tuple[float, float]]]:
    """A recording voice client whose connect() takes `seconds`; records (start, end)."""
    handshakes: list[tuple[float, float]] = []

    class JoiningVoiceClient(RecordingVoiceClient):
        async def connect(self, **kwargs: Any) -> None:
            started = time.perf_counter()
            await asyncio.sleep(seconds)  # Discord's voice handshake, imitated
            await super().connect(**kwargs)
            handshakes.append((started, time.perf_counter()))

    return JoiningVoiceClient, handshakes


@contextlib.contextmanager
def cold_joins(manager: Any, join_s: float) -> Iterator[tuple[dict[int, float], list[tuple[float, float]]]]:
    """While inside: voice connections take `join_s` (their (start, end) recorded), and when each
    request was accepted, by requester (cooldown, voice preferences and the quota reservation done,
    i.e. when the Fish request starts: the earliest anything can happen)."""
    default_cls, head_start = manager.voice_client_cls, manager.head_start
    manager.voice_client_cls, handshakes = joining_in(join_s)
    accepted: dict[int, float] = {}

    def timed_head_start(request: Any, guild_id: int) -> Any:
        accepted[request.requester_id] = time.perf_counter()
        return head_start(request, guild_id)

    manager.head_start = timed_head_start
    try:
        yield accepted, handshakes
    finally:
        manager.voice_client_cls, manager.head_start = default_cls, head_start


async def measure_cold(bench: Bench, standin: StandIn, join_s: float, trials: int) -> dict[str, list[float]]:
    """/speak through the command tree with the bot outside voice, `trials` times (a new server
    each time): time from the request's acceptance (and from the command) to the first audio
    packet, the join, and Fish's TTFB (at the stand-in)."""
    manager = bench.bot.voice_sessions
    first_packet, from_command, joins, ttfbs = [], [], [], []
    with cold_joins(manager, join_s) as (accepted, handshakes):
        for i in range(trials):
            guild = FakeGuild(bench.bot)
            member = guild.add_member(snowflake(), f"Cold {i}")
            guild.put_in_voice(member, guild.add_channel("Voice", kind=2))
            invoked = time.perf_counter()
            await bench.harness.run("speak", user_id=member, guild=guild, text=text_of_seconds(2.0, 30 + i))
            client = bench.bot.get_guild(guild.id).voice_client  # type: ignore[union-attr]
            await wait_until(lambda c=client: len(audio_times(c)) > 0, 30)
            first_packet.append((audio_times(client)[0] - accepted[member]) * 1000)
            from_command.append((audio_times(client)[0] - invoked) * 1000)
            started, ended = handshakes[-1]
            joins.append((ended - started) * 1000)
            received, first_byte, _ = (await standin.tts_timings())[-1]
            assert first_byte is not None
            ttfbs.append((first_byte - received) * 1000)
            session = manager.get(guild.id)
            if session is not None:
                await session.close()
    return {"first_packet": first_packet, "from_command": from_command, "join": joins, "ttfb": ttfbs}


async def measure_burst(bench: Bench, standin: StandIn, join_s: float, servers: int,
                        seconds: float) -> dict[str, Any]:
    """`servers` cold /speaks at once, a new server each: per server, first audio packet from
    the request's acceptance and from the command; how many were heard; Fish's 429s."""
    manager = bench.bot.voice_sessions
    refused_before, _peak = await standin.concurrency()
    servers_ = []
    for i in range(servers):
        guild = FakeGuild(bench.bot)
        member = guild.add_member(snowflake(), f"Burst {i}")
        guild.put_in_voice(member, guild.add_channel("Voice", kind=2))
        servers_.append((guild, member, text_of_seconds(seconds, 50 + i)))
    with cold_joins(manager, join_s) as (accepted, _handshakes):
        invoked = time.perf_counter()
        await asyncio.gather(*(bench.harness.run("speak", user_id=member, guild=guild, text=text)
                               for guild, member, text in servers_))

        def voice(guild: FakeGuild) -> Any:
            return bench.bot.get_guild(guild.id).voice_client  # type: ignore[union-attr]

        def played(guild: FakeGuild) -> bool:
            session = manager.get(guild.id)
            return session is not None and session.clips_played >= 1

        await wait_until(lambda: all(played(g) for g, _, _ in servers_), seconds * servers + 60)
        first = {member: audio_times(voice(guild))[0] for guild, member, _ in servers_
                 if audio_times(voice(guild))}
        refused, peak = await standin.concurrency()
        for guild, _, _ in servers_:
            session = manager.get(guild.id)
            if session is not None:
                await session.close()
    return {
        "from_accept": [(first[m] - accepted[m]) * 1000 for m in first],
        "from_command": [(t - invoked) * 1000 for t in first.values()],
        "accepted": sorted((t - invoked) * 1000 for t in accepted.values()),
        "heard": len(first), "servers": servers, "refused": refused - refused_before, "peak": peak,
    }


async def measure_account(args: argparse.Namespace) -> dict[str, Any]:
    """The account case (see the top): its own stand-in (Starter: 429 beyond 5) and bot."""
    limit, servers, seconds = 5, 15, 2.0
    standin = StandIn(args.ttfb, args.rtf, max_concurrency=limit)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            async with Bench(standin.base_url, Path(tmp), max_concurrency=limit) as bench:
                await warm_up(bench, [text_of_seconds(seconds, 50 + i) for i in range(servers)])
                starter = await measure_burst(bench, standin, args.cold_join, servers, seconds)
            clip_s = len(text_of_seconds(seconds, 50)) * MS_PER_CHAR / 1000
            hold_s = args.ttfb + clip_s * args.rtf  # one wave: a slot held for one clip
            waves = math.ceil(servers / limit)
            standin.set_limit(50)  # High Volume: above the 10 servers
            with tempfile.TemporaryDirectory() as tmp:
                async with Bench(standin.base_url, Path(tmp), max_concurrency=50) as bench:
                    await warm_up(bench, [text_of_seconds(seconds, 50 + i) for i in range(10)])
                    burst = await measure_burst(bench, standin, args.cold_join, 10, seconds)
    finally:
        standin.stop()
    return {
        "account_limit_429": starter["refused"],
        "account_limit_heard_pct": round(100 * starter["heard"] / servers, 1),
        "account_limit_last_first_audio_ms": round(max(starter["from_command"]), 1),
        "account_limit_bound_ms": round((waves * hold_s + 1) * 1000, 1),
        "account_limit_peak_in_flight": starter["peak"],
        "account_burst_first_audio_p95_ms": round(percentile(burst["from_accept"], 95), 1),
        "account_burst_first_audio_p50_ms": round(percentile(burst["from_accept"], 50), 1),
        "account_burst_from_command_p95_ms": round(percentile(burst["from_command"], 95), 1),
        "account_burst_bound_ms": round(max(args.cold_join, args.ttfb) * 1000 + 100, 1),
        "account_burst_429": burst["refused"],
        "account_burst_accepted_ms": [round(t, 1) for t in burst["accepted"]],
        "ttfb_ms": args.ttfb * 1000, "rtf": args.rtf, "cores": os.cpu_count(),
        "load_avg_1m": round(os.getloadavg()[0], 2),
    }


def measure_dictionary(entries: int = 1000, length: int = 2000, runs: int = 200) -> float:
    """Median ms to apply a server's pronunciation dictionary (`entries` words, a tenth of them
    phoneme spans) to a `length`-character message in which about one word in ten has an entry."""
    rng = random.Random(17)

    def word() -> str:
        return "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(3, 10)))

    words = sorted({word() for _ in range(entries * 2)})[:entries]
    dictionary = Dictionary([Entry(w, w[::-1], "HH AH0" if i % 10 == 0 else None)
                             for i, w in enumerate(words)])
    text = ""
    while len(text) < length:
        text += (rng.choice(words) if rng.random() < 0.1 else word()) + rng.choice("  ,.")
    text = text[:length]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        dictionary.apply(text, phonemes=True)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def measure_message_language(length: int = 2000, runs: int = 200) -> float:
    """Median ms to detect a `length`-character Japanese chat message's language and clean it in
    that language (links, custom emoji, code, "ｗｗｗ"): narration's work per message before Fish."""
    piece = "今日はmeetingがあるｗｗｗ https://example.com/a/long/path <:fish:123456789012345678> `code` 草 "
    text = (piece * (length // len(piece) + 1))[:length]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        clean(text, language=detect(text, "en"))
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


async def warm_up(bench: Bench, texts: list[str]) -> None:
    """The stand-in renders a clip's audio before sending headers (a real Fish streams as it
    generates); rendering every text once first, cached, keeps that cost out of the figures."""
    for text in texts:
        await bench.bot.fish.tts.convert(text=text, format="opus")
        await bench.bot.fish.tts.convert(text=text, format="mp3")


def cold_figures(cold: dict[str, list[float]]) -> dict[str, Any]:
    serial = [j + t for j, t in zip(cold["join"], cold["ttfb"], strict=True)]
    return {
        "cold_first_packet_ms": round(statistics.median(cold["first_packet"]), 1),
        "cold_join_ms": round(statistics.median(cold["join"]), 1),
        "cold_fish_ttfb_ms": round(statistics.median(cold["ttfb"]), 1),
        "cold_serial_ms": round(statistics.median(serial), 1),
        "cold_first_packet_max_ms": round(max(cold["first_packet"]), 1),
        # Plus the database work before the request is accepted (cooldown, preferences, quota).
        "cold_command_to_first_packet_ms": round(statistics.median(cold["from_command"]), 1),
        "cold_trials": len(cold["first_packet"]),
    }


def concurrency_figures(concurrency: dict[str, float], streams: int) -> dict[str, Any]:
    return {
        "streams": streams,
        "late_frame_pct": round(concurrency["late_frame_pct"], 3),
        "cpu_pct_per_stream": round(concurrency["cpu_pct_per_stream"], 3),
        "concurrent_gap_p99_ms": round(concurrency["gap_p99_ms"], 2),
    }


async def run_one(args: argparse.Namespace, bench: Bench, standin: StandIn) -> dict[str, Any]:
    if args.only == "cold":
        await warm_up(bench, [text_of_seconds(2.0, 30 + i) for i in range(args.cold_trials)])
        figures = cold_figures(await measure_cold(bench, standin, args.cold_join, args.cold_trials))
    else:
        await warm_up(bench, [text_of_seconds(args.stream_seconds, i) for i in range(3)])
        concurrency = await measure_concurrency(bench, args.streams, args.stream_seconds)
        figures = concurrency_figures(concurrency, args.streams)
    return figures | {"ttfb_ms": args.ttfb * 1000, "rtf": args.rtf, "cores": os.cpu_count(),
                      "load_avg_1m": round(os.getloadavg()[0], 2)}


async def run(args: argparse.Namespace) -> dict[str, Any]:
    if args.only == "account":
        return await measure_account(args)
    standin = StandIn(args.ttfb, args.rtf)
    texts = [text_of_seconds(3.0, i) for i in range(args.clips)]
    texts += [text_of_seconds(args.long_seconds, 7)]
    texts += [text_of_seconds(args.stream_seconds, i) for i in range(3)]
    texts += [text_of_seconds(2.0, i) for i in range(NARRATION_MESSAGES)]
    texts += [text_of_seconds(2.0, 30 + i) for i in range(args.cold_trials)]
    try:
        with tempfile.TemporaryDirectory() as tmp:
            async with Bench(standin.base_url, Path(tmp)) as bench:
                if args.only is not None:
                    return await run_one(args, bench, standin)
                await warm_up(bench, texts)
                latency = await measure_latency(bench, standin, args.clips)
                cold = await measure_cold(bench, standin, args.cold_join, args.cold_trials)
                ttfa_long = await measure_long_utterance(bench, args.long_seconds)
                naive = await measure_naive(bench, args.long_seconds)
                concurrency = await measure_concurrency(bench, args.streams, args.stream_seconds)
                narration_gaps = await measure_narration_gap(bench, NARRATION_MESSAGES)
                await measure_transports(bench, NARRATION_MESSAGES)  # warms the stand-in's renders
                transports = await measure_transports(bench, NARRATION_MESSAGES)
    finally:
        standin.stop()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return cold_figures(cold) | concurrency_figures(concurrency, args.streams) | {
        "overhead_p50_ms": round(percentile(latency["overheads"], 50), 2),
        "overhead_p95_ms": round(percentile(latency["overheads"], 95), 2),
        "ttfa_ms": round(ttfa_long, 1),
        "ttfa_short_p50_ms": round(statistics.median(latency["ttfas"]), 1),
        "naive_ttfa_ms": round(naive, 1),
        "naive_ratio": round(naive / ttfa_long, 1),
        "gap_p50_ms": round(percentile(latency["gaps"], 50), 2),
        "gap_p95_ms": round(percentile(latency["gaps"], 95), 2),
        "gap_max_ms": round(max(latency["gaps"]), 2),
        "rss_mb": round(rss_mb, 1),
        "narration_gap_ms": round(statistics.median(narration_gaps["stream"]), 2),
        "narration_gap_max_ms": round(max(narration_gaps["stream"]), 2),
        "narration_handoff_ms": round(statistics.median(narration_gaps["handoff"]), 2),
        "message_ttfa_http_ms": round(statistics.median(transports["http"]), 1),
        "message_ttfa_ws_ms": round(statistics.median(transports["ws"]), 1),
        "dictionary_apply_ms": round(measure_dictionary(), 3),
        "message_language_ms": round(measure_message_language(), 3),
        "clips": args.clips,
        "ttfb_ms": args.ttfb * 1000,
        "rtf": args.rtf,
        "long_utterance_s": args.long_seconds,
        "cores": os.cpu_count(),
        "load_avg_1m": round(os.getloadavg()[0], 2),  # the machine is shared: read figures with it
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=20)
    parser.add_argument("--streams", type=int, default=100)
    parser.add_argument("--stream-seconds", type=float, default=10.0)
    parser.add_argument("--long-seconds", type=float, default=15.0)
    parser.add_argument("--ttfb", type=float, default=0.3, help="stand-in time to first byte (s)")
    parser.add_argument("--rtf", type=float, default=0.5, help="stand-in real-time factor")
    parser.add_argument("--cold-join", type=float, default=0.5,
                        help="cold case: seconds the voice connection takes")
    parser.add_argument("--cold-trials", type=int, default=5)
    parser.add_argument("--only", choices=("cold", "concurrency", "account"), default=None,
                        help="run one measurement only (quicker; for profiling)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    result = asyncio.run(run(args))
    if args.json:
        print(json.dumps(result))
        return
    width = max(len(key) for key in result)
    for key, value in result.items():
        print(f"{key:<{width}}  {value}")


if __name__ == "__main__":
    main()
