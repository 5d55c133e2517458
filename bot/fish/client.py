"""`FishClient`: the project's async Fish Audio client (the SDK's `AsyncFishAudio` interface)."""

from __future__ import annotations

from types import TracebackType

import httpx

from .account import Account
from .admission import STARTER_CONCURRENCY, AdmissionGate
from .asr import ASR
from .http import HTTPCore
from .tts import TTS
from .voice_design import VoiceDesign
from .voices import Voices


class FishClient:
    """Async Fish Audio client.

    `base_url` decides where every request goes, also with an injected `httpx_client` (which
    is then not closed by `close()`: its owner closes it). `timeout` is per operation (connect,
    write, pool, and each read), so a stream that goes silent for `timeout` s raises
    FishTimeoutError. `max_retries` applies only where repeating is safe (see `http.py`);
    `retry_backoff` is the first backoff in seconds (tests set it near zero). `gate` admits the
    requests that hold one of the account's concurrency slots (default: this client's own, at the
    Starter tier's 5); the client closes it.
    """

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str = "https://api.fish.audio",
        timeout: float = 30.0,
        max_retries: int = 2,
        httpx_client: httpx.AsyncClient | None = None,
        retry_backoff: float = 0.5,
        retry_backoff_max: float = 8.0,
        retry_after_max: float = 5.0,  # interactive bot: longer waits are told, not waited out
        gate: AdmissionGate | None = None,
    ) -> None:
        self._core = HTTPCore(
            api_key=api_key, base_url=base_url, timeout=timeout, max_retries=max_retries,
            httpx_client=httpx_client, retry_backoff=retry_backoff,
            retry_backoff_max=retry_backoff_max, retry_after_max=retry_after_max,
            gate=gate or AdmissionGate(STARTER_CONCURRENCY),
        )
        self.tts = TTS(self._core)
        self.voices = Voices(self._core)
        self.asr = ASR(self._core)
        self.account = Account(self._core)
        self.voice_design = VoiceDesign(self._core)

    @property
    def gate(self) -> AdmissionGate:
        """The admission gate of the account's concurrency slots."""
        return self._core.gate

    @property
    def base_url(self) -> str:
        return self._core.base_url

    def __repr__(self) -> str:
        return f"FishClient(base_url={self._core.base_url!r})"  # never the key

    async def warm(self) -> None:
        """Pre-connect to Fish (see HTTPCore.warm): at start-up and when a voice session starts."""
        await self._core.warm()

    async def close(self) -> None:
        await self._core.close()

    async def __aenter__(self) -> FishClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()


AsyncFishAudio = FishClient
