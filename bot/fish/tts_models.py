"""The one list of Fish Audio TTS models (the `model` header). Config validation, the `/speak`
model choices and their autocomplete, how cues and phoneme spans are written, the multi-speaker
checks, the cost estimates, `fishbot check` and the start-up warning all derive from it; nothing
else in the code names a model.

The built-in list is `TTS_MODELS`. An operator can add models or change a built-in one in the
configuration (`[[fish.models]]`, see bot/config.py) without a code change: `ModelCatalog.build`
merges those entries over the built-in list, and the bot installs the result at start-up
(`install`), so the module-level look-ups below answer for the configured catalog.

Fish treats the `model` header as optional and serves (and bills) a missing or unknown name as
`s2.1-pro`, so a name the catalog does not know is never sent (bot/fish/models.py refuses it).

Retirement (Fish, §0 of the API notes): `s1` retires on 2026-12-31. From that day requests naming
it are served and billed as `s2.1-pro` and its `(happy)`-style tags are no longer read, so the
bot stops offering it and warns an operator who configured it. Dates are UTC calendar days and
every caller passes `today` (from `bot.clock`).

Prices are US dollars per million UTF-8 bytes of text, the unit Fish bills TTS in (§0: $15 for
s2.1-pro; s2.1-pro-free costs nothing). Fish publishes no separate price for Drama 3; the same
$15 is assumed until an operator configures another.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

CueStyle = Literal["bracket", "drama", "parenthesis"]
STANDARD_PRICE = Decimal(15)  # $ per million UTF-8 bytes (s2.1-pro, s2-pro, s1: §0, §8)
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


@dataclass(frozen=True, slots=True)
class TTSModel:
    name: str  # what goes in the `model` header
    label: str  # what members see in choices
    free: bool = False  # costs no API credit (fair use)
    multi_speaker: bool = True  # a list of voice ids plus <|speaker:N|> markers
    cues: CueStyle = "bracket"  # how the model reads expressive cues
    phonemes: bool = True  # reads <|phoneme_start|>…<|phoneme_end|> spans
    retires: datetime.date | None = None  # first day it is no longer served as itself
    replacement: str | None = None  # what Fish serves in its place from then on
    # $ per million UTF-8 bytes of text; a free model costs nothing whatever this says.
    price_per_million_bytes: Decimal = STANDARD_PRICE

    def retired(self, today: datetime.date) -> bool:
        return self.retires is not None and today >= self.retires

    def cost(self, billed_bytes: int) -> Decimal:
        """The estimated cost in dollars of `billed_bytes` UTF-8 bytes of text."""
        return Decimal(0) if self.free else self.price_per_million_bytes * billed_bytes / 1_000_000


DEFAULT_TTS_MODEL = "s2.1-pro"
TTS_MODELS: tuple[TTSModel, ...] = (
    TTSModel("s2.1-pro", "S2.1 Pro (default)"),
    TTSModel("s2.1-pro-free", "S2.1 Pro Free (no credit, fair use)", free=True),
    TTSModel("s2-pro", "S2 Pro"),
    # Generally available since 2026-10-13: up to 16 speakers, [direction] cues, paired tags,
    # phoneme spans. The preview name from the August docs is still accepted by Fish.
    TTSModel("drama-3", "Drama 3", cues="drama"),
    TTSModel("drama-3-preview", "Drama 3 (preview)", cues="drama"),
    TTSModel(
        "s1", "S1", multi_speaker=False, cues="parenthesis", phonemes=False,
        retires=datetime.date(2026, 12, 31), replacement="s2.1-pro",
    ),
)
TTS_MODEL_NAMES: tuple[str, ...] = tuple(m.name for m in TTS_MODELS)  # the built-in names
CONFIGURABLE = frozenset(f.name for f in dataclasses.fields(TTSModel))


class ModelCatalog:
    """The models this bot knows: the built-in list with the operator's entries merged over it."""

    def __init__(self, models: Iterable[TTSModel]) -> None:
        self.models: tuple[TTSModel, ...] = tuple(models)
        self._by_name = {m.name: m for m in self.models}

    @classmethod
    def build(cls, entries: Iterable[Mapping[str, Any]] = ()) -> ModelCatalog:
        """The built-in list with `entries` applied: an entry naming a built-in model changes the
        fields it sets, any other entry adds a model (listed after the built-in ones). Raises
        ValueError with every problem, worded for the operator."""
        models = {m.name: m for m in TTS_MODELS}
        problems: list[str] = []
        for entry in entries:
            fields = {key: value for key, value in entry.items() if value is not None}
            name = str(fields.get("name", ""))
            unknown = sorted(set(fields) - CONFIGURABLE)
            if not NAME_PATTERN.fullmatch(name):
                problems.append(f"model name {name!r} must be 1-64 letters, digits, '.', '_' or '-'")
                continue
            if unknown:
                problems.append(f"model {name!r}: unknown field(s) {', '.join(unknown)}")
                continue
            if fields.get("free") and fields.get("price_per_million_bytes", 0) != 0:
                problems.append(f"model {name!r} is free, so it has no price: drop one of the two")
                continue
            base = models.get(name)
            if base is None:
                fields.setdefault("label", name)
                models[name] = TTSModel(**fields)
            else:
                models[name] = dataclasses.replace(base, **fields)
        for model in models.values():
            if model.retires is not None and model.replacement is None:
                models[model.name] = model = dataclasses.replace(model, replacement=DEFAULT_TTS_MODEL)
            if model.replacement is not None:
                target = models.get(model.replacement)
                if target is None or target.name == model.name or target.retires is not None:
                    problems.append(f"model {model.name!r}: its replacement {model.replacement!r} must "
                                    "be another model in the list that does not retire")
        if problems:
            raise ValueError("; ".join(problems))
        return cls(models.values())

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._by_name)

    def get(self, name: str) -> TTSModel | None:
        return self._by_name.get(name)

    def knows(self, name: str) -> bool:
        return name in self._by_name

    def offered(self, today: datetime.date) -> list[TTSModel]:
        """The models members may pick today (a retired model is no longer offered)."""
        return [m for m in self.models if not m.retired(today)]

    def serving(self, name: str, today: datetime.date) -> str:
        """The model Fish really serves for `name` on `today` (its replacement once retired)."""
        model = self.get(name)
        if model is not None and model.retired(today) and model.replacement:
            return model.replacement
        return name

    def retirement_notice(self, name: str, today: datetime.date) -> str | None:
        """A warning for an operator who configured `name`, if it is retiring or retired."""
        model = self.get(name)
        if model is None or model.retires is None:
            return None
        when = model.retires.isoformat()
        if model.retired(today):
            return (
                f"fish.model = {name!r} was retired by Fish Audio on {when}: requests naming it are "
                f"served and billed as {model.replacement!r}. Set fish.model = {model.replacement!r}."
            )
        return (
            f"fish.model = {name!r} retires on {when} (Fish Audio then serves {model.replacement!r} "
            f"instead). Switch to fish.model = {model.replacement!r}."
        )


BUILT_IN = ModelCatalog(TTS_MODELS)
_installed = BUILT_IN


def install(catalog: ModelCatalog) -> None:
    """Make `catalog` (the configured one) what the look-ups below answer for, for this process."""
    global _installed
    _installed = catalog


def catalog() -> ModelCatalog:
    """The catalog in force: the configured one once the bot has started, else the built-in list."""
    return _installed


def tts_model(name: str) -> TTSModel | None:
    return _installed.get(name)


def offered_models(today: datetime.date) -> list[TTSModel]:
    return _installed.offered(today)


def serving_model(name: str, today: datetime.date) -> str:
    return _installed.serving(name, today)


def retirement_notice(name: str, today: datetime.date) -> str | None:
    return _installed.retirement_notice(name, today)
