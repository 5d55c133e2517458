"""Real audio and video made for the tests with ffmpeg and espeak-ng (nothing checked in), plus
the bad inputs members upload: a PNG named .mp3, zero bytes, random bytes, damaged files.

Registered as a pytest plugin; the session-scoped `media` fixture builds each file on first use.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

_LAVFI = ["ffmpeg", "-v", "error", "-nostdin", "-y"]


def _ffmpeg(out: Path, *args: str) -> None:
    subprocess.run([*_LAVFI, *args, str(out)], check=True)


def _sine(seconds: float) -> list[str]:
    return ["-f", "lavfi", "-i", f"sine=frequency=330:sample_rate=44100:duration={seconds}"]


def _speech(out: Path, text: str) -> None:
    wav = out.with_suffix(".espeak.wav")
    subprocess.run(["espeak-ng", "-w", str(wav), text], check=True)
    _ffmpeg(out, "-i", str(wav), "-ar", "44100")
    wav.unlink()


SPEECH = "The quick brown fox jumps over the lazy dog. Fish audio makes voices for Discord."

# name → how to build it into the given path.
_RECIPES: dict[str, Callable[[Path], None]] = {
    "sine.mp3": lambda p: _ffmpeg(p, *_sine(8), "-c:a", "libmp3lame", "-b:a", "96k"),
    "sine.wav": lambda p: _ffmpeg(p, *_sine(8), "-c:a", "pcm_s16le"),
    "sine.ogg": lambda p: _ffmpeg(p, *_sine(8), "-c:a", "libopus", "-b:a", "32k"),
    "sine.m4a": lambda p: _ffmpeg(p, *_sine(8), "-c:a", "aac", "-b:a", "64k"),
    "sine.flac": lambda p: _ffmpeg(p, *_sine(8), "-c:a", "flac"),
    "short.mp3": lambda p: _ffmpeg(p, *_sine(1.5), "-c:a", "libmp3lame"),
    "blip.wav": lambda p: _ffmpeg(p, *_sine(0.4), "-c:a", "pcm_s16le"),
    "long.ogg": lambda p: _ffmpeg(p, *_sine(400), "-c:a", "libopus", "-b:a", "8k"),
    "silence.wav": lambda p: _ffmpeg(p, "-f", "lavfi", "-i", "anullsrc=r=44100:cl=mono", "-t", "6",
                                     "-c:a", "pcm_s16le"),
    # What Discord records for a voice message: Ogg Opus, 48 kHz, mono.
    "voice-message.ogg": lambda p: _speech_voice_message(p),
    "speech.wav": lambda p: _speech(p, SPEECH),
    "speech.mp3": lambda p: _speech(p, SPEECH),
    "video.mp4": lambda p: _ffmpeg(p, "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10:duration=6",
                                   *_sine(6), "-c:v", "mpeg4", "-c:a", "aac", "-shortest"),
    "silent-video.mp4": lambda p: _ffmpeg(p, "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10:duration=3",
                                          "-c:v", "mpeg4"),
    "picture.png": lambda p: _ffmpeg(p, "-f", "lavfi", "-i", "color=red:size=32x32", "-frames:v", "1"),
    # Five minutes at 384 kHz, a tone and then digital silence: about 250 KB of FLAC that decodes
    # to 230 MB of 16-bit PCM (issue 24's upload).
    "hires.flac": lambda p: _ffmpeg(p, *_tone_then_silence(384_000, 300), "-c:a", "flac"),
    # Two minutes of 44.1 kHz stereo WAV: over Fish's 20 MB speech-to-text limit.
    "big.wav": lambda p: _ffmpeg(p, "-f", "lavfi", "-i", "sine=frequency=330:sample_rate=44100:duration=120",
                                 "-ac", "2", "-c:a", "pcm_s16le"),
}


def _tone_then_silence(rate: int, seconds: float) -> list[str]:
    return ["-f", "lavfi", "-i", f"sine=frequency=330:sample_rate={rate}:duration=2",
            "-f", "lavfi", "-i", f"anullsrc=r={rate}:cl=mono",
            "-filter_complex", f"[0][1]concat=n=2:v=0:a=1,atrim=duration={seconds}"]


def _claim_seconds(flac: bytes, seconds: int) -> bytes:
    """`flac` with its STREAMINFO header claiming `seconds` of audio, whatever its frames hold."""
    data = bytearray(flac)
    assert data[:4] == b"fLaC" and data[4] & 0x7F == 0  # STREAMINFO comes first
    fields = int.from_bytes(data[18:26], "big")  # rate (20 bits), channels, depth, total samples (36)
    rate = fields >> 44
    fields = fields & ~((1 << 36) - 1) | rate * seconds
    data[18:26] = fields.to_bytes(8, "big")
    return bytes(data)


def _speech_voice_message(out: Path) -> None:
    wav = out.with_suffix(".src.wav")
    subprocess.run(["espeak-ng", "-w", str(wav), SPEECH], check=True)
    _ffmpeg(out, "-i", str(wav), "-ar", "48000", "-ac", "1", "-c:a", "libopus", "-b:a", "32k")
    wav.unlink()


class MediaSamples:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, name: str) -> Path:
        """A sample file by name; the bad inputs are derived from good ones."""
        target = self.root / name
        if target.exists():
            return target
        if name in _RECIPES:
            _RECIPES[name](target)
        elif name == "png-named.mp3":
            shutil.copy(self.path("picture.png"), target)
        elif name == "empty.mp3":
            target.write_bytes(b"")
        elif name == "random.mp3":
            target.write_bytes(os.urandom(40_000))
        elif name == "truncated.mp3":
            data = self.path("sine.mp3").read_bytes()
            target.write_bytes(data[: len(data) // 4])
        elif name == "lying.flac":  # claims 2 s; decodes to a minute
            _ffmpeg(target, *_sine(60), "-c:a", "flac")
            target.write_bytes(_claim_seconds(target.read_bytes(), 2))
        elif name == "damaged.ogg":
            data = self.path("sine.ogg").read_bytes()
            target.write_bytes(data[:600] + os.urandom(len(data) - 600))
        else:
            raise KeyError(name)
        return target

    def bytes(self, name: str) -> bytes:
        return self.path(name).read_bytes()


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MediaSamples]:
    yield MediaSamples(tmp_path_factory.mktemp("media"))
