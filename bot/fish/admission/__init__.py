"""The account-wide admission gate for Fish requests that hold one of the account's concurrency
slots (TTS streams and files, live sockets, transcription, voice design, cloning uploads)."""

from .gate import (
    ELEVATED_CONCURRENCY,
    HIGH_VOLUME_CONCURRENCY,
    LONG_WAIT_S,
    MAX_REFUSALS,
    STARTER_CONCURRENCY,
    AdmissionGate,
    LongWait,
    Requester,
    Slot,
    current_requester,
    owner_of,
    requested_by,
)
from .limit import AdaptiveLimit
from .line import FairLine
from .slots import LocalSlots, SlotPool

__all__ = [
    "ELEVATED_CONCURRENCY",
    "HIGH_VOLUME_CONCURRENCY",
    "LONG_WAIT_S",
    "MAX_REFUSALS",
    "STARTER_CONCURRENCY",
    "AdaptiveLimit",
    "AdmissionGate",
    "FairLine",
    "LocalSlots",
    "LongWait",
    "Requester",
    "Slot",
    "SlotPool",
    "current_requester",
    "owner_of",
    "requested_by",
]
