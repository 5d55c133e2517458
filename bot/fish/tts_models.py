"""The one list of Fish Audio TTS models (the `model` header). Config validation, the `/speak`
model choices and their autocomplete, `fishbot check` and the start-up warning all derive from
`TTS_MODELS`; nothing else in the code names a model.

Retirement (Fish, §0 of the API notes): `s1` retires on 2026-12-31. From that day requests naming
it are served and billed as `s2.1-pro` and its `(happy)`-style tags are no longer read, so the
bot stops offering it and warns an operator who configured it. Dates are UTC calendar days and
every caller passes `today` (from `bot.clock`).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Literal

CueStyle = Literal["bracket", "drama", "parenthesis"]


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

    def retired(self, today: datetime.date) -> bool:
        return self.retires is not None and today >= self.retires


DEFAULT_TTS_MODEL = "s2.1-pro"
TTS_MODELS: tuple[TTSModel, ...] = (
    TTSModel("s2.1-pro", "S2.1 Pro (default)"),
    TTSModel("s2.1-pro-free", "S2.1 Pro Free (no credit, fair use)", free=True),
    TTSModel("s2-pro", "S2 Pro"),
    TTSModel("drama-3-preview", "Drama 3 (preview)", cues="drama"),
    TTSModel(
        "s1", "S1", multi_speaker=False, cues="parenthesis", phonemes=False,
        retires=datetime.date(2026, 12, 31), replacement="s2.1-pro",
    ),
)
TTS_MODEL_NAMES: tuple[str, ...] = tuple(m.name for m in TTS_MODELS)
_BY_NAME = {m.name: m for m in TTS_MODELS}


def tts_model(name: str) -> TTSModel | None:
    return _BY_NAME.get(name)


def offered_models(today: datetime.date) -> list[TTSModel]:
    """The models members may pick today (a retired model is no longer offered)."""
    return [m for m in TTS_MODELS if not m.retired(today)]


def serving_model(name: str, today: datetime.date) -> str:
    """The model Fish really serves for `name` on `today` (its replacement once retired)."""
    model = tts_model(name)
    if model is not None and model.retired(today) and model.replacement:
        return model.replacement
    return name


def retirement_notice(name: str, today: datetime.date) -> str | None:
    """A warning for an operator who configured `name`, if it is retiring or retired."""
    model = tts_model(name)
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
