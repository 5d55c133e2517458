"""/wallet/self/api-credit and /wallet/self/package.

api-credit: `credit` and `cumulative_top_up` are decimal strings, as the API sends them; the
balance is live (TTS and ASR charge it). `has_free_credit` is only computed when
`check_free_credit=true` (null otherwise).

package: shaped like the openapi schema for `/wallet/{user_id}/package`, which has **no `_id`**
but billing fields; so the SDK's `get_package()` raises a pydantic ValidationError. That is the
documented SDK defect (doc §3), reproduced on purpose.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from .faults import Fault
from .records import RecordedRequest

if TYPE_CHECKING:
    from .server import FakeFish

CREATED = "2025-03-01T12:00:00Z"
CREDIT_ID = "6650f0a1c2b3d4e5f6a7c001"


def decimal_text(value: Any) -> str:
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def default_package(user_id: str) -> dict[str, Any]:
    return {
        "user_id": user_id,
        "type": "basic",
        "total": 1_000_000,
        "balance": 750_000,
        "created_at": CREATED,
        "updated_at": CREATED,
        "finished_at": None,
        "stripe_customer_id": "cus_FAKEFISH0001",
        "stripe_subscription_id": "sub_FAKEFISH0001",
        "billing_cycle": "monthly",
        "current_period_start": CREATED,
        "current_period_end": "2025-04-01T12:00:00Z",
        "cancel_at_period_end": False,
    }


async def handle_credits(
    fake: FakeFish, request: web.Request, record: RecordedRequest, fault: Fault | None
) -> web.StreamResponse:
    check = (record.query.get("check_free_credit") or ["false"])[0].lower() == "true"
    payload = {
        "_id": CREDIT_ID,
        "user_id": fake.user_id,
        "credit": decimal_text(fake.credit),
        "cumulative_top_up": decimal_text(fake.cumulative_top_up),
        "has_phone_sha256": False,
        "has_free_credit": (fake.credit > 0 and fake.cumulative_top_up == 0) if check else None,
        "created_at": CREATED,
        "updated_at": CREATED,
    }
    return await fake.send_json(request, record, fault, payload)


async def handle_package(
    fake: FakeFish, request: web.Request, record: RecordedRequest, fault: Fault | None
) -> web.StreamResponse:
    return await fake.send_json(request, record, fault, fake.package)
