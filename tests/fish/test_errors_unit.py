"""Error-body parsing, status mapping and user_message, in isolation (httpx.MockTransport)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest

from bot.fish import (
    AuthenticationError,
    BlankAudioError,
    FishAPIError,
    FishClient,
    FishConnectError,
    FishError,
    FishNetworkError,
    FishResponseError,
    FishStreamError,
    FishTimeoutError,
    InsufficientCreditError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    RateLimitError,
    ReferenceNotFoundError,
    ServerError,
    ValidationError,
    VoiceNotReadyError,
    WebSocketError,
)
from bot.fish.errors import error_from_response, parse_error_body, parse_retry_after
from bot.wording import user_message

KEY = "sk-0123456789abcdef0123456789abcdef"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('{"status": 402, "message": "Insufficient API credit"}', "Insufficient API credit"),
        ('{"detail": "Not Found"}', "Not Found"),
        ('[{"loc": ["body", "text"], "msg": "field required"}]', "field required"),
        ('"just a string"', "just a string"),
        ("[1, 2]", "[1, 2]"),
        ("No permission -- see authorization schemes", "No permission -- see authorization schemes"),
        ("", "Bad Request"),
        ("null", "null"),
    ],
)
def test_any_body_shape_parses(body: str, message: str) -> None:
    assert parse_error_body(400, body)[0] == message


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, FishAPIError),
        (401, AuthenticationError),
        (402, InsufficientCreditError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (413, PayloadTooLargeError),
        (418, FishAPIError),
        (422, ValidationError),
        (429, RateLimitError),
        (500, ServerError),
        (503, ServerError),
    ],
)
def test_status_mapping(status: int, cls: type[FishAPIError]) -> None:
    error = error_from_response(status, '{"message": "m"}')
    assert type(error) is cls
    assert (error.status, error.message, error.body) == (status, "m", '{"message": "m"}')


def test_validation_detail_and_retry_after() -> None:
    body = json.dumps({"detail": [{"loc": ["body", "chunk_length"], "msg": "must be <= 300"}]})
    error = error_from_response(422, body)
    assert isinstance(error, ValidationError)
    assert error.detail[0]["msg"] == "must be <= 300"
    assert error.message == "must be <= 300"
    limited = error_from_response(429, "slow down", httpx.Headers({"Retry-After": "2.5"}))
    assert isinstance(limited, RateLimitError) and limited.retry_after == 2.5
    assert parse_retry_after("garbage") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0


def test_a_retry_after_date_is_counted_from_the_bots_clock(set_now) -> None:
    set_now(datetime(2026, 12, 6, 23, 59, 30, tzinfo=UTC))
    assert parse_retry_after("Mon, 07 Dec 2026 00:00:00 GMT") == pytest.approx(30, abs=0.01)
    assert parse_retry_after("Sun, 06 Dec 2026 23:00:00 GMT") == 0.0  # already past


def test_key_is_scrubbed_from_error_bodies() -> None:
    error = error_from_response(401, f"bad key {KEY}", secret=KEY)
    assert KEY not in str(error) and KEY not in (error.body or "") and KEY not in error.message


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (AuthenticationError(401, "x"),
         "The bot's Fish Audio API key is invalid. Please tell the bot owner."),
        (InsufficientCreditError(402, "x"),
         "The bot's Fish Audio API credit has run out. Please tell the bot owner."),
        (PermissionDeniedError(403, "x"),
         "Fish Audio refused access to that voice or feature (it may be private)."),
        (NotFoundError(404, "x"), "That voice or model was not found on Fish Audio."),
        (PayloadTooLargeError(413, "x"), "That file is too large for Fish Audio."),
        (ValidationError(422, "x", detail=[{"msg": "text too long"}]),
         "Fish Audio rejected the request: text too long"),
        (RateLimitError(429, "x", retry_after=2.2), "Fish Audio is busy right now. Try again in 3 s."),
        (RateLimitError(429, "x"), "Fish Audio is busy right now. Try again in a few seconds."),
        (ServerError(500, "x"), "Fish Audio had an error on its side (HTTP 500). Try again later."),
        (ServerError(503, "x", retry_after=4),
         "Fish Audio is busy (overloaded) right now. Try again in 4 s."),
        (FishAPIError(400, "bad format"), "Fish Audio rejected the request: bad format"),
        (FishTimeoutError("t"), "Timed out waiting for Fish Audio. Try again in a moment."),
        (FishConnectError("c"), "Could not connect to Fish Audio. Try again in a moment."),
        (FishStreamError("s"), "Fish Audio stopped sending part-way through its answer. Try again."),
        (FishNetworkError("n"),
         "The connection to Fish Audio broke before it answered. Try again in a moment."),
        (WebSocketError("w"), "The live connection to Fish Audio broke off. Try again."),
        (FishResponseError("r"), "Fish Audio sent an answer the bot could not understand. Try again later."),
        (RuntimeError("boom"), "Something went wrong. Try again later."),
    ],
)
def test_user_message(error: BaseException, expected: str) -> None:
    assert user_message(error) == expected


# What happened, in the member's words: every client error class says one of these and no other.
WHAT_HAPPENED = {
    "could not connect": "Could not connect",
    "stopped mid-stream": ("part-way", "broke"),
    "timed out waiting": "Timed out waiting",
    "rejected the request": ("rejected", "refused", "not found", "invalid", "too large"),
    "sent an unreadable answer": "could not understand",
    "out of credit": "credit has run out",
    "busy": "busy",
    "failed on its side": "error on its side",
    "sent a blank clip": "empty clip",
}


@pytest.mark.parametrize(
    ("error", "happened"),
    [
        (FishConnectError("c"), "could not connect"),
        (FishStreamError("s"), "stopped mid-stream"),
        (FishNetworkError("n"), "stopped mid-stream"),
        (WebSocketError("w"), "stopped mid-stream"),
        (FishTimeoutError("t"), "timed out waiting"),
        (FishAPIError(400, "bad"), "rejected the request"),
        (ValidationError(422, "x"), "rejected the request"),
        (AuthenticationError(401, "x"), "rejected the request"),
        (PermissionDeniedError(403, "x"), "rejected the request"),
        (NotFoundError(404, "x"), "rejected the request"),
        (PayloadTooLargeError(413, "x"), "rejected the request"),
        (FishResponseError("r"), "sent an unreadable answer"),
        (InsufficientCreditError(402, "x"), "out of credit"),
        (RateLimitError(429, "x"), "busy"),
        (ServerError(503, "x"), "busy"),
        (ServerError(500, "x"), "failed on its side"),
        (ServerError(502, "x"), "failed on its side"),
        (ReferenceNotFoundError(400, "Reference not found"), "rejected the request"),
        (VoiceNotReadyError(400, "Reference model is not ready"), "rejected the request"),
        (BlankAudioError(417, 600), "sent a blank clip"),
    ],
)
def test_each_error_class_names_what_happened(error: FishError, happened: str) -> None:
    text = user_message(error)
    matches = {name for name, needles in WHAT_HAPPENED.items()
               if any(n.lower() in text.lower()
                      for n in ((needles,) if isinstance(needles, str) else needles))}
    assert matches == {happened}, text


def test_every_client_error_class_is_in_the_table() -> None:
    import bot.fish.errors as errors

    classes = {c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, FishError)}
    tabled = {type(error) for error, _ in test_each_error_class_names_what_happened.pytestmark[0].args[1]}
    assert classes - tabled == {FishError}


def test_user_message_truncates_and_masks() -> None:
    text = user_message(ValidationError(422, "x", detail=[{"msg": "too long " * 60}]))
    assert len(text) < 200 and text.endswith("…")
    masked = user_message(FishAPIError(400, f"key {KEY} is bad"))
    assert KEY not in masked


def _client(handler: httpx.MockTransport) -> FishClient:
    return FishClient(
        api_key=KEY, base_url="http://fish.test", max_retries=1, retry_backoff=0.001,
        httpx_client=httpx.AsyncClient(transport=handler),
    )


async def test_transport_errors_are_wrapped_and_keyless() -> None:
    def boom(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    async with _client(httpx.MockTransport(boom)) as client:
        with pytest.raises(FishNetworkError) as info:
            await client.account.get_credits()
    assert KEY not in str(info.value) and KEY not in repr(client)
    assert info.value.__cause__ is None  # the httpx error (holding the headers) is not chained


async def test_non_json_and_bad_shape_bodies_are_response_errors() -> None:
    bodies = iter([httpx.Response(200, text="<html>"), httpx.Response(200, json={"no": "credit"})])
    async with _client(httpx.MockTransport(lambda request: next(bodies))) as client:
        with pytest.raises(FishResponseError):
            await client.account.get_credits()
        with pytest.raises(FishResponseError):
            await client.account.get_credits()
