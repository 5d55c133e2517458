"""Untrusted audio from Discord: download with a size cap, probe by decoding, convert.

Everything here runs ffmpeg/ffprobe as async subprocesses with time limits, a cap on their
output and a whitelist of demuxers, at most a few at once for the whole process (`jobs`), on a
private temporary copy that is deleted afterwards; nothing blocks the event loop.
"""

from bot.media.attachments import audio_attachments, download_attachment, download_url, is_voice_message
from bot.media.convert import MAX_RATE, convert, encoded_bound, needs_resampling
from bot.media.errors import (
    CorruptAudio,
    EmptyAudio,
    FileTooLarge,
    MediaBusy,
    MediaError,
    MediaTimeout,
    NotAudio,
    TooMuchAudio,
)
from bot.media.jobs import Notice, queue_notice, slot
from bot.media.probe import AudioInfo, Streams, probe, probe_header
from bot.media.tempfiles import temporary_copy

__all__ = [
    "MAX_RATE",
    "AudioInfo",
    "CorruptAudio",
    "EmptyAudio",
    "FileTooLarge",
    "MediaBusy",
    "MediaError",
    "MediaTimeout",
    "NotAudio",
    "Notice",
    "Streams",
    "TooMuchAudio",
    "audio_attachments",
    "convert",
    "download_attachment",
    "download_url",
    "encoded_bound",
    "is_voice_message",
    "needs_resampling",
    "probe",
    "probe_header",
    "queue_notice",
    "slot",
    "temporary_copy",
]
