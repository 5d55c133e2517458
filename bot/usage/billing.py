"""What Fish bills, as the ledger counts it, and what it costs.

Fish bills TTS per UTF-8 byte of the text it is sent (fish-audio-api.md §0): after cleaning,
cues and phoneme spans, speaker markers included. The speech quota and the ledger count exactly
that (`billed_bytes`), so "Hello" is 5 and a 100-character Japanese message 300.

Costs are estimates from the configured prices: each TTS model's price per million bytes (the
model catalog, bot/fish/tts_models.py; free models 0), and `[credits]` prices for transcription
and voice designs. Voice clones cost no API credit. Ledger rows from before the ledger named the
model (the 0005 migration) are priced as the configured default model.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from bot.config import Settings
from bot.fish.tts_models import TTSModel
from bot.usage.quotas import Kind

SECONDS_PER_HOUR = 3600


def billed_bytes(text: str) -> int:
    """What Fish bills for `text`: its length in UTF-8 bytes."""
    return len(text.encode("utf-8"))


@dataclass(frozen=True)
class ModelSpend:
    """Speech billed to one model: `model` None for rows recorded before models were."""

    model: str | None
    label: str
    billed_bytes: int
    cost: Decimal
    free: bool


class Prices:
    """The configured prices, applied to what the ledger recorded."""

    def __init__(self, settings: Settings) -> None:
        self._catalog = settings.fish.catalog
        self._default = settings.fish.model
        self._credits = settings.credits

    def model(self, name: str | None) -> TTSModel:
        """The model a ledger row names; the configured default for a row without one (or naming a
        model no longer configured)."""
        known = self._catalog.get(name) if name is not None else None
        if known is None:
            default = self._catalog.get(self._default)
            assert default is not None  # the config only accepts a model in the catalog
            return default
        return known

    def speech(self, by_model: dict[str | None, int]) -> list[ModelSpend]:
        """Bytes and cost per model, the most bytes first."""
        rows = []
        for name, amount in by_model.items():
            model = self.model(name)
            label = model.label if name is not None and self._catalog.knows(name) else (name or "")
            rows.append(ModelSpend(model=name, label=label, billed_bytes=amount, cost=model.cost(amount),
                                   free=model.free))
        return sorted(rows, key=lambda row: (-row.billed_bytes, row.model or ""))

    def cost(self, kind: Kind, amount: int, model: str | None = None) -> Decimal:
        """The estimated cost of `amount` (stored units) of `kind`."""
        if kind == "tts_bytes":
            return self.model(model).cost(amount)
        if kind == "transcribe_seconds":
            return self._credits.transcribe_price_per_hour * amount / SECONDS_PER_HOUR
        if kind == "voice_designs":
            return self._credits.voice_design_price * amount
        return Decimal(0)  # clones cost no API credit

    def total(self, spent: dict[tuple[Kind, str | None], int]) -> Decimal:
        return sum((self.cost(kind, amount, model) for (kind, model), amount in spent.items()), Decimal(0))
