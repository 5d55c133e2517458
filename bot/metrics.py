"""Prometheus metrics and the health check, served on `metrics.port` when it is set (off by default).

Counters and histograms are process-wide (Prometheus's own model: one process, one exposition),
updated on the event loop where the event happens: a clip ending, a Fish error, a ledger entry.
Nothing is updated per audio frame from the player thread; a clip's frame counts are added when
it ends. Gauges of what is happening now (sessions, streams, queues) are read from the session
managers at scrape time.

    GET /metrics   the exposition format (prometheus_client)
    GET /healthz   200 "ok" while the bot is connected to Discord, 503 otherwise
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Iterator
from typing import TYPE_CHECKING

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    import discord

    from bot.fish.admission import AdmissionGate
    from bot.voice.manager import SessionManager

log = logging.getLogger(__name__)

REGISTRY = CollectorRegistry()

FISH_TTFB = Histogram(
    "fishbot_fish_ttfb_seconds", "Fish Audio TTS: request sent to first audio byte",
    buckets=(0.1, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0), registry=REGISTRY,
)
OVERHEAD = Histogram(
    "fishbot_speech_overhead_seconds",
    "The bot's own share of a clip's start: first Fish byte (or the voice connection, if later) "
    "to the first packet handed to the voice player, for clips started on an idle player",
    buckets=(0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0), registry=REGISTRY,
)
FISH_ERRORS = Counter(
    "fishbot_fish_errors", "Failed Fish Audio requests by HTTP status ('network' for transport errors)",
    ["status"], registry=REGISTRY,
)
SPENT = Counter(
    "fishbot_spent", "Usage spent, from the usage ledger: kind tts_bytes (UTF-8 bytes billed), "
    "clones, transcribe_seconds, voice_designs", ["kind"], registry=REGISTRY,
)
FRAMES = Counter("fishbot_voice_frames", "20 ms audio frames handed to Discord voice", registry=REGISTRY)
LATE_FRAMES = Counter(
    "fishbot_voice_late_frames",
    "Frames the player had to fill with silence because the clip's audio had not arrived in time",
    registry=REGISTRY,
)
CLIPS = Counter("fishbot_clips", "Clips that ended, by outcome", ["outcome"], registry=REGISTRY)
SLOT_WAIT = Histogram(
    "fishbot_fish_slot_wait_seconds",
    "Time a Fish request waited in line for one of the account's concurrency slots",
    buckets=(0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0), registry=REGISTRY,
)
SLOT_REFUSALS = Counter(
    "fishbot_fish_slot_refusals",
    "Requests Fish refused for concurrency (429 or the live socket's in-band error); each went back "
    "in line and lowered the effective limit", registry=REGISTRY,
)
NARRATION_STALE = Counter(
    "fishbot_narration_stale_skipped",
    "Narrated messages skipped unread because they waited longer than the server's max_wait",
    registry=REGISTRY,
)


def fish_error(status: int | str) -> None:
    FISH_ERRORS.labels(status=str(status)).inc()


def fish_slot_waited(seconds: float) -> None:
    SLOT_WAIT.observe(seconds)


def fish_slot_refused() -> None:
    SLOT_REFUSALS.inc()


def spent(kind: str, amount: int) -> None:
    if amount > 0:
        SPENT.labels(kind=kind).inc(amount)


class _LiveCollector(Collector):
    """Reads the session managers at scrape time (one per bot in this process)."""

    def __init__(self) -> None:
        self.managers: weakref.WeakSet[SessionManager] = weakref.WeakSet()
        self.gates: weakref.WeakSet[AdmissionGate] = weakref.WeakSet()
        self.balance: float | None = None

    def collect(self) -> Iterator[Metric]:
        sessions = [s for manager in list(self.managers) for s in manager.sessions.values()
                    if not s.closed]
        queued = [len(s.queue) for s in sessions]
        streams = sum(s.streams for s in sessions)
        yield GaugeMetricFamily("fishbot_voice_sessions", "Voice channels the bot is in",
                                value=len(sessions))
        yield GaugeMetricFamily("fishbot_voice_streams",
                                "Clips being streamed from Fish or played now", value=streams)
        yield GaugeMetricFamily("fishbot_queue_length", "Requests waiting, all servers",
                                value=sum(queued))
        yield GaugeMetricFamily("fishbot_queue_length_max", "Longest waiting queue of one server",
                                value=max(queued, default=0))
        gates = list(self.gates)
        if gates:
            yield GaugeMetricFamily("fishbot_fish_slots_in_use",
                                    "The account's Fish concurrency slots held by this process",
                                    value=sum(g.in_use for g in gates))
            yield GaugeMetricFamily("fishbot_fish_slots_waiting",
                                    "Fish requests waiting in line for a concurrency slot",
                                    value=sum(g.waiting for g in gates))
            yield GaugeMetricFamily("fishbot_fish_slots_limit",
                                    "The effective concurrency limit (fish.max_concurrency unless Fish "
                                    "refused requests lately)", value=min(g.limit for g in gates))
        if self.balance is not None:
            yield GaugeMetricFamily(
                "fishbot_fish_api_credit",
                "Fish Audio API credit at the last balance check (its decrease is credit spent)",
                value=self.balance,
            )


LIVE = _LiveCollector()
REGISTRY.register(LIVE)


def watch(manager: SessionManager) -> None:
    LIVE.managers.add(manager)


def watch_gate(gate: AdmissionGate) -> None:
    LIVE.gates.add(gate)


def balance(value: float) -> None:
    LIVE.balance = value


class MetricsServer:
    """/metrics and /healthz on the bot's own event loop (aiohttp, which discord.py brings)."""

    def __init__(self, client: discord.Client, host: str, port: int) -> None:
        self._client = client
        self.host = host
        self.port = port
        app = web.Application()
        app.router.add_get("/metrics", self._metrics)
        app.router.add_get("/healthz", self._healthz)
        self._runner = web.AppRunner(app, access_log=None)

    async def start(self) -> None:
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        if self._runner.addresses:
            self.port = self._runner.addresses[0][1]  # port 0: the one the OS chose
        log.info("metrics on http://%s:%d/metrics, health check on /healthz", self.host, self.port)

    async def close(self) -> None:
        await self._runner.cleanup()

    async def _metrics(self, _request: web.Request) -> web.Response:
        body = generate_latest(REGISTRY)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def _healthz(self, _request: web.Request) -> web.Response:
        client = self._client
        if client.is_ready() and not client.is_closed():
            return web.Response(text="ok\n")
        return web.Response(status=503, text="not connected to Discord\n")
