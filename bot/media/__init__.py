"""Untrusted audio from Discord: download with a size cap, probe by decoding, convert.

Everything here runs ffmpeg/ffprobe as async subprocesses with time limits and a whitelist of
demuxers, on a private temporary copy that is deleted afterwards; nothing blocks the event loop.
"""

from bot.media.attachments import audio_attachments, download_attachment, download_url, is_voice_message
from bot.media.convert import convert
from bot.media.errors import (
    CorruptAudio,
    EmptyAudio,
    FileTooLarge,
    MediaError,
    MediaTimeout,
    NotAudio,
)
from bot.media.probe import AudioInfo, probe
from bot.media.tempfiles import temporary_copy

__all__ = [
    "AudioInfo",
    "CorruptAudio",
    "EmptyAudio",
    "FileTooLarge",
    "MediaError",
    "MediaTimeout",
    "NotAudio",
    "audio_attachments",
    "convert",
    "download_attachment",
    "download_url",
    "is_voice_message",
    "probe",
    "temporary_copy",
]
