"""Error-body parsing, status mapping and user_message, in isolation (httpx.MockTransport)."""

from __future__ import annotations

import json

import httpx
import pytest

from bot.fish import (
    AuthenticationError,
    FishAPIError,
    FishClient,
    FishNetworkError,
    FishResponseError,
    FishTimeoutError,
    InsufficientCreditError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    ValidationError,
    WebSocketError,
    user_message,
)
from bot.fish.errors import error_from_response, parse_error_body, parse_retry_after

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
        (RateLimitError(429, "x", retry_after=2.2), "Fish Audio is busy right now. Try again in 3 sec."),
        (RateLimitError(429, "x"), "Fish Audio is busy right now. Try again in a few seconds."),
        (ServerError(503, "x"), "Fish Audio is having trouble right now. Try again later."),
        (FishAPIError(400, "bad format"), "Fish Audio rejected the request: bad format"),
        (FishTimeoutError("t"), "Fish Audio took too long to answer. Try again in a moment."),
        (FishNetworkError("n"), "Could not reach Fish Audio (network problem). Try again in a moment."),
        (WebSocketError("w"), "The live connection to Fish Audio broke off. Try again."),
        (FishResponseError("r"), "Fish Audio sent an answer the bot could not understand. Try again later."),
        (RuntimeError("boom"), "Something went wrong. Try again later."),
    ],
)
def test_user_message(error: BaseException, expected: str) -> None:
    assert user_message(error) == expected


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
