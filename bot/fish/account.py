"""`client.account`: API credit and prepaid package."""

from __future__ import annotations

from typing import Any

from .http import HTTPCore, parse_model
from .models import Credits, Package


class Account:
    def __init__(self, core: HTTPCore) -> None:
        self._core = core

    async def get_credits(self, *, check_free_credit: bool | None = None) -> Credits:
        """The pay-as-you-go API credit (what TTS spends), not the platform subscription."""
        params: dict[str, Any] = {}
        if check_free_credit is not None:
            params["check_free_credit"] = check_free_credit
        data = await self._core.json("GET", "/wallet/self/api-credit", retry=True, params=params)
        return parse_model(Credits, data, "credit balance")

    async def get_package(self) -> Package:
        data = await self._core.json("GET", "/wallet/self/package", retry=True)
        return parse_model(Package, data, "package")
