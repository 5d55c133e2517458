"""Request core: auth headers, per-operation timeouts, error mapping and safe retries.

Retries cover 429, 5xx and connection failures, with exponential backoff plus jitter and
honouring a (capped) Retry-After. Callers decide whether a request is safe to repeat: GETs are;
TTS and ASR are only while no response byte has been delivered (they call `send` with
`retry=True` and the response start is all `send` ever sees); voice create/update/delete never.

Requests that hold one of the account's concurrency slots (TTS, ASR, voice design, cloning) go
through `send_admitted`: they wait for a slot in the admission gate (bot/fish/admission) and keep
it while their response is open. Fish's 429 means its concurrency count was exceeded (§0), so for
them a 429 is not retried here but handed to the gate, which lowers its limit and puts the request
back in line (a refused request was not processed, so even a voice create may be sent again).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Mapping
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from bot import metrics

from .admission import MAX_REFUSALS, AdmissionGate, Requester, Slot, current_requester
from .errors import (
    FishAPIError,
    FishConnectError,
    FishError,
    FishNetworkError,
    FishResponseError,
    FishTimeoutError,
    RateLimitError,
    error_from_response,
)

log = logging.getLogger("bot.fish")

# How long an idle connection to Fish stays pooled (Fish/Cloudflare close idle ones later).
KEEPALIVE_S = 60.0
M = TypeVar("M", bound=BaseModel)

USER_AGENT = f"fishbot/0.1 httpx/{httpx.__version__}"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_NO_429 = RETRY_STATUSES - {429}  # admitted requests: a 429 goes to the admission gate


def translate_transport_error(exc: Exception) -> FishError:
    """A FishError for an httpx transport/stream failure (no key or headers in the message)."""
    if isinstance(exc, httpx.TimeoutException):
        return FishTimeoutError(f"Fish Audio did not respond in time ({type(exc).__name__})")
    if isinstance(exc, httpx.ConnectError):
        return FishConnectError("could not connect to Fish Audio")
    return FishNetworkError(f"connection to Fish Audio failed ({type(exc).__name__})")


class HTTPCore:
    """Shared by every namespace: one httpx client, one place that talks to the network."""

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str,
        timeout: float,
        max_retries: int,
        httpx_client: httpx.AsyncClient | None,
        retry_backoff: float,
        retry_backoff_max: float,
        retry_after_max: float,
        gate: AdmissionGate,
    ) -> None:
        if not api_key:
            raise ValueError("a Fish Audio API key is required")
        self._api_key = api_key
        # base_url always decides where requests go, so an injected client needs no base_url.
        self.base_url = base_url.rstrip("/")
        self.timeout = httpx.Timeout(timeout)
        self.max_retries = max(0, max_retries)
        self.retry_backoff = retry_backoff
        self.retry_backoff_max = retry_backoff_max
        self.retry_after_max = retry_after_max
        self.gate = gate
        self._owns_client = httpx_client is None
        self._last_used: float | None = None  # monotonic time of the last request (or warm-up)
        # Idle connections are kept for a while (httpx's default is 5 s), so a quiet bot's next
        # request doesn't pay a new TCP+TLS handshake; see warm().
        self.client = httpx_client or httpx.AsyncClient(
            timeout=self.timeout, limits=httpx.Limits(keepalive_expiry=KEEPALIVE_S)
        )

    async def warm(self) -> None:
        """Open a pooled connection to Fish now (TCP+TLS), so the next real request doesn't
        wait for the handshake. A bodiless HEAD without the API key: nothing billed or logged
        with a secret; any answer (even 404) leaves the connection open. Failures are ignored:
        the real request will report them. Skipped while a recent request's connection is
        still pooled."""
        now = time.monotonic()
        if self._last_used is not None and now - self._last_used < KEEPALIVE_S / 2:
            return
        self._last_used = now
        try:
            response = await self.client.head(self.base_url + "/", timeout=5.0)
            await response.aclose()
        except httpx.HTTPError as exc:
            log.debug("warming the Fish connection failed: %s", type(exc).__name__)

    def url(self, path: str) -> str:
        return self.base_url + path

    def headers(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self._api_key}", "User-Agent": USER_AGENT}
        if extra:
            headers.update(extra)
        return headers

    async def close(self) -> None:
        await self.gate.close()
        if self._owns_client:
            await self.client.aclose()

    def _delay(self, attempt: int, error: FishError) -> float:
        backoff = min(self.retry_backoff_max, self.retry_backoff * 2**attempt)
        delay = backoff / 2 + random.uniform(0, backoff / 2)  # jitter spreads concurrent retries
        retry_after = getattr(error, "retry_after", None)
        if retry_after is not None:
            # Honour the server's hint (send() does not retry when it exceeds retry_after_max).
            delay = max(delay, min(retry_after, self.retry_after_max))
        return delay

    def _worth_waiting(self, error: FishError) -> bool:
        """A server that asks for a longer pause than we are willing to wait gets no retry: the
        member is better told at once ("try again in N s") than kept waiting in silence."""
        retry_after = getattr(error, "retry_after", None)
        return retry_after is None or retry_after <= self.retry_after_max

    async def error_for(self, response: httpx.Response) -> FishAPIError:
        """Read the (possibly streamed) error body and build the mapped exception."""
        try:
            await response.aread()
            text = response.text
        except (httpx.HTTPError, httpx.StreamError):
            text = ""
        finally:
            await response.aclose()
        metrics.fish_error(response.status_code)
        return error_from_response(response.status_code, text, response.headers, secret=self._api_key)

    async def send(
        self,
        method: str,
        path: str,
        *,
        retry: bool,
        stream: bool = False,
        headers: Mapping[str, str] | None = None,
        retry_statuses: frozenset[int] = RETRY_STATUSES,
        **kwargs: Any,
    ) -> httpx.Response:
        """Send a request; return a 2xx response or raise a FishError.

        With `stream=True` the body is left unread (the caller must close the response).
        """
        attempts = self.max_retries + 1 if retry else 1
        self._last_used = time.monotonic()
        for attempt in range(attempts):
            request = self.client.build_request(
                method, self.url(path), headers=self.headers(headers), timeout=self.timeout, **kwargs
            )
            try:
                response = await self.client.send(request, stream=stream)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                error: FishError = translate_transport_error(exc)
                metrics.fish_error("network")
                if attempt + 1 < attempts:
                    await self._sleep(attempt, error, method, path, "connect failed")
                    continue
                raise error from None
            except (httpx.HTTPError, httpx.StreamError) as exc:
                metrics.fish_error("network")
                raise translate_transport_error(exc) from None
            if response.is_success:
                return response
            error = await self.error_for(response)
            retryable = response.status_code in retry_statuses and self._worth_waiting(error)
            if retryable and attempt + 1 < attempts:
                await self._sleep(attempt, error, method, path, f"HTTP {response.status_code}")
                continue
            raise error
        raise AssertionError("unreachable")  # the loop always returns or raises

    async def send_admitted(
        self,
        method: str,
        path: str,
        *,
        retry: bool,
        requester: Requester | None = None,
        slot: Slot | None = None,
        answer_timeout: float | None = None,
        **kwargs: Any,
    ) -> tuple[httpx.Response, Slot]:
        """`send` for a request that holds one of the account's slots: wait in line for one (or
        use `slot`, already admitted), and return it with the response. The caller releases it
        when the response is done with (a stream: when it is closed). A concurrency refusal puts
        the request back in line, at the front; after MAX_REFUSALS in a row it is raised.
        `answer_timeout`: TimeoutError when Fish has not answered that long after an admission
        (time in line does not count)."""
        requester = requester or current_requester()
        refusals = 0
        while True:
            if slot is None:
                slot = await self.gate.acquire(owner=requester.owner, front=refusals > 0,
                                               on_long_wait=requester.on_long_wait)
            try:
                async with asyncio.timeout(answer_timeout):
                    response = await self.send(method, path, retry=retry, retry_statuses=_NO_429, **kwargs)
            except RateLimitError as exc:
                refusals += 1
                if refusals > MAX_REFUSALS:
                    slot.release()
                    raise
                await slot.refused(exc.retry_after)  # releases it
                slot = None
                continue
            except BaseException:
                slot.release()
                raise
            slot.accepted()
            return response, slot

    async def _sleep(self, attempt: int, error: FishError, method: str, path: str, why: str) -> None:
        delay = self._delay(attempt, error)
        log.info("Fish Audio %s %s: %s; retry %d/%d in %.2fs", method, path, why, attempt + 1,
                 self.max_retries, delay)
        await asyncio.sleep(delay)

    async def json(
        self, method: str, path: str, *, retry: bool, admitted: bool = False, **kwargs: Any
    ) -> Any:
        """The JSON body of a request (`admitted`: one that holds a slot while it runs)."""
        if admitted:
            response, slot = await self.send_admitted(method, path, retry=retry, **kwargs)
            slot.release()  # the whole body has been read
        else:
            response = await self.send(method, path, retry=retry, **kwargs)
        try:
            return response.json()
        except ValueError:
            raise FishResponseError(f"{method} {path}: Fish Audio sent a body that is not JSON") from None


def parse_model(model: type[M], data: Any, what: str) -> M:
    """Validate a response body; a mismatch becomes FishResponseError, not a pydantic error."""
    try:
        return model.model_validate(data)
    except PydanticValidationError as exc:
        fields = ", ".join(".".join(map(str, e["loc"])) or "<body>" for e in exc.errors()[:5])
        raise FishResponseError(f"unexpected {what} from Fish Audio (fields: {fields})") from None
