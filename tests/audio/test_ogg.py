"""The incremental Ogg demuxer against ffmpeg's own Ogg Opus and ffprobe's packet list."""

from __future__ import annotations

import random

from bot.audio.ogg import OggDemuxer
from bot.audio.opus_packet import packet_samples
from tests.audio.conftest import ffprobe_packets


def demux(data: bytes, pieces: list[int] | None = None) -> list[bytes]:
    demuxer = OggDemuxer()
    if pieces is None:
        return demuxer.feed(data)
    out: list[bytes] = []
    start = 0
    for end in [*pieces, len(data)]:
        out += demuxer.feed(data[start:end])
        start = end
    return out


def test_packets_match_ffprobe_and_skip_headers(opus_maker) -> None:
    data = opus_maker(seconds=2.0)
    packets = demux(data)
    probed = ffprobe_packets(data)
    assert [len(p) for p in packets] == [int(p["size"]) for p in probed]
    assert not any(p.startswith((b"OpusHead", b"OpusTags")) for p in packets)
    assert all(packet_samples(p) == 960 for p in packets)


def test_every_two_piece_split_gives_the_same_packets(opus_maker) -> None:
    data = opus_maker(seconds=0.3)
    whole = demux(data)
    for cut in range(1, len(data)):
        assert demux(data, [cut]) == whole, f"split at byte {cut}"


def test_random_chunkings_and_byte_by_byte(opus_maker) -> None:
    data = opus_maker(seconds=1.5, page_ms=1000)
    whole = demux(data)
    assert demux(data, list(range(1, len(data)))) == whole
    rng = random.Random(7)
    for _ in range(50):
        cuts = sorted(rng.sample(range(1, len(data)), rng.randint(1, 40)))
        assert demux(data, cuts) == whole


def test_packets_leave_before_their_page_is_complete(opus_maker) -> None:
    # One-second pages: waiting for whole pages would add up to a second of latency.
    data = opus_maker(seconds=2.0, page_ms=1000)
    demuxer = OggDemuxer()
    first_audio_at = None
    for i in range(len(data)):
        if demuxer.feed(data[i : i + 1]) and first_audio_at is None:
            first_audio_at = i
    header_pages = 2
    assert demuxer.pages >= header_pages + 2
    # The first audio page holds ~50 packets; the first one came out long before its end.
    third_page = data.find(b"OggS", data.find(b"OggS", data.find(b"OggS") + 4) + 4)
    fourth_page = data.find(b"OggS", third_page + 4)
    assert first_audio_at is not None and first_audio_at < third_page + (fourth_page - third_page) // 4


def test_chained_streams_each_drop_their_headers(opus_maker) -> None:
    one, two = opus_maker(seconds=0.5), opus_maker(seconds=0.7)
    packets = demux(one + two)
    assert len(packets) == len(demux(one)) + len(demux(two))
    assert not any(p.startswith((b"OpusHead", b"OpusTags")) for p in packets)


def test_opus_head_is_read_and_mono_kept(opus_maker) -> None:
    demuxer = OggDemuxer()
    packets = demuxer.feed(opus_maker(seconds=0.5))
    (head,) = demuxer.heads.values()
    assert head.channels == 1 and head.sample_rate == 48000
    assert not any(p[0] & 0x04 for p in packets)  # mono packets, passed through as they are


def test_garbage_before_a_page_is_skipped(opus_maker) -> None:
    data = opus_maker(seconds=0.3)
    assert demux(b"garbage!" + data) == demux(data)


def test_toc_durations_match_ffprobe_for_other_frame_sizes(opus_maker) -> None:
    for frame_ms in (10, 40, 60):
        data = opus_maker(seconds=1.0, frame_ms=frame_ms)
        packets = demux(data)
        probed = ffprobe_packets(data)
        durations = [int(p["duration"]) for p in probed]  # in 1/48000 s for Ogg Opus
        # ffprobe shortens the last packet to the end granule (end trimming); the TOC doesn't.
        assert [packet_samples(p) for p in packets][:-1] == durations[:-1]
        assert packet_samples(packets[-1]) >= durations[-1]


def test_webm_gives_the_same_packets_as_ffprobe_at_any_split(opus_maker) -> None:
    from bot.audio.webm import WebmDemuxer

    data = opus_maker(seconds=1.0, container="webm")
    probed = ffprobe_packets(data, "webm")
    packets = WebmDemuxer().feed(data)
    assert [len(p) for p in packets] == [int(p["size"]) for p in probed]
    assert len(packets) == len(demux(opus_maker(seconds=1.0)))  # as many as the Ogg version
    for cut in range(1, len(data), 7):
        demuxer = WebmDemuxer()
        assert demuxer.feed(data[:cut]) + demuxer.feed(data[cut:]) == packets


async def test_pump_sniffs_webm(opus_maker) -> None:
    from bot.audio.buffer import PacketBuffer
    from bot.audio.pipeline import pump_opus, sniff

    async def chunks():
        yield opus_maker(seconds=0.5, container="webm")

    buffer = PacketBuffer(max_packets=1000)
    stats = await pump_opus(await sniff(chunks()), buffer)
    assert stats.packets == len(demux(opus_maker(seconds=0.5))) and buffer.finished
