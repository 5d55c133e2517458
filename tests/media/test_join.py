"""Joining clips into one file with ffmpeg (a scene read as consecutive clips, sent as a file)."""

from __future__ import annotations

import pytest

from bot.media.join import JoinFailed, join_clips
from tests.helpers.audio import decoded_seconds, probe, sine_wav


@pytest.mark.parametrize(("fmt", "codec"), [("opus", "opus"), ("mp3", "mp3")])
async def test_clips_become_one_file_as_long_as_all_of_them(fmt, codec) -> None:
    clips = [await sine_wav(0.5, 440), await sine_wav(1.25, 660), await sine_wav(0.75, 330)]
    joined = await join_clips(clips, fmt=fmt)
    assert (await probe(joined))["codec_name"] == codec
    assert abs(await decoded_seconds(joined) - 2.5) < 0.05


async def test_undecodable_clips_raise_join_failed() -> None:
    with pytest.raises(JoinFailed):
        await join_clips([await sine_wav(0.5), b"not audio at all" * 10], fmt="opus")
