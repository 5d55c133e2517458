"""Re-framing to 20 ms, and the thread-safe packet buffer under back-pressure and underrun."""

from __future__ import annotations

import array
import asyncio
import itertools
import threading
import time

import discord.opus
import pytest

from bot.audio.buffer import BufferClosed, PacketBuffer
from bot.audio.ogg import OggDemuxer
from bot.audio.opus_packet import InvalidOpusPacket, packet_samples
from bot.audio.pipeline import SniffedAudio, UnsupportedAudio, pump_opus, sniff
from bot.audio.reframe import Reframer
from bot.audio.source import OPUS_SILENCE, StreamingOpusSource
from tests.discord_harness import wait_for


def reframe(packets: list[bytes]) -> list[bytes]:
    reframer = Reframer()
    out = [p for packet in packets for p in reframer.push(packet)]
    return out + reframer.flush()


def zero_crossings(pcm: bytes) -> int:
    left = array.array("h", pcm)[::2]
    return sum(1 for a, b in itertools.pairwise(left) if (a < 0) != (b < 0))


def test_20ms_packets_pass_through_byte_identical(opus_maker) -> None:
    packets = OggDemuxer().feed(opus_maker(seconds=1.0))
    assert reframe(packets) == packets


@pytest.mark.parametrize("frame_ms", [10, 40, 60])
def test_other_frame_sizes_become_20ms_and_keep_the_tone(opus_maker, frame_ms: int) -> None:
    packets = OggDemuxer().feed(opus_maker(seconds=1.0, frame_ms=frame_ms))
    out = reframe(packets)
    assert all(packet_samples(p) == 960 for p in out)
    total_in = sum(packet_samples(p) for p in packets)
    assert abs(len(out) * 960 - total_in) < 960
    decoder = discord.opus.Decoder()
    pcm = b"".join(decoder.decode(p, fec=False) for p in out)
    # A 440 Hz sine crosses zero ~880 times a second; re-encoding must keep the pitch.
    assert 800 < zero_crossings(pcm) < 960


def test_toc_rejects_nonsense() -> None:
    with pytest.raises(InvalidOpusPacket):
        packet_samples(b"")
    with pytest.raises(InvalidOpusPacket):
        packet_samples(bytes([0x03, 0x00]))  # code 3 with zero frames


async def test_back_pressure_and_wake_from_the_player_thread() -> None:
    buffer = PacketBuffer(max_packets=10, low_water=5)
    taken: list[bytes] = []

    async def produce() -> None:
        for i in range(40):
            await buffer.put(bytes([i]))
        buffer.finish()

    producer = asyncio.create_task(produce())
    await wait_for(lambda: buffer._waiting)  # the producer waits for space...
    assert len(buffer) == 10 and not producer.done()  # ...at the high-water mark

    def consume() -> None:  # a real thread, like discord.py's AudioPlayer
        while True:
            packet = buffer.get_nowait()
            if packet == b"":
                return
            if packet is not None:
                taken.append(packet)
            time.sleep(0.001)

    thread = threading.Thread(target=consume)
    thread.start()
    await asyncio.wait_for(producer, 5)
    await asyncio.to_thread(thread.join, 5)
    assert taken == [bytes([i]) for i in range(40)]
    assert buffer.packets_in == buffer.packets_out == 40


async def test_underrun_plays_silence_then_the_end_is_clean() -> None:
    buffer = PacketBuffer()
    source = StreamingOpusSource(buffer)
    assert source.read() == OPUS_SILENCE and buffer.underruns == 1
    await buffer.put(b"\xfc\x01")
    buffer.finish()
    assert source.read() == b"\xfc\x01"  # the last packet is never lost to the end-of-track
    assert source.read() == b""


async def test_failure_ends_the_track_and_close_releases_the_producer() -> None:
    buffer = PacketBuffer(max_packets=1)
    await buffer.put(b"a")
    blocked = asyncio.create_task(buffer.put(b"b"))
    await wait_for(lambda: buffer._waiting)
    StreamingOpusSource(buffer).cleanup()  # the player is done with the source
    with pytest.raises(BufferClosed):
        await asyncio.wait_for(blocked, 1)
    # A failed producer: what arrived before the failure still plays, then the track ends.
    failed = PacketBuffer()
    await failed.put(b"x")
    await failed.put(b"y")
    failed.fail(RuntimeError("upstream broke"))
    source = StreamingOpusSource(failed)
    assert [source.read(), source.read(), source.read()] == [b"x", b"y", b""]
    assert failed.drained and isinstance(failed.error, RuntimeError)


async def _chunks(data: bytes, size: int):
    for i in range(0, len(data), size):
        yield data[i : i + size]
        await asyncio.sleep(0)


async def test_pump_feeds_the_buffer_and_refuses_non_ogg(opus_maker) -> None:
    data = opus_maker(seconds=1.0)
    buffer = PacketBuffer(max_packets=1000)
    stats = await pump_opus(await sniff(_chunks(data, 333)), buffer)
    assert stats.packets == len(OggDemuxer().feed(data)) and buffer.finished
    assert stats.bytes_in == len(data)
    refused = PacketBuffer()
    with pytest.raises(UnsupportedAudio):
        await pump_opus(await sniff(_chunks(b"ID3\x04not ogg at all", 4)), refused)
    assert isinstance(refused.error, UnsupportedAudio)


@pytest.mark.parametrize("container", ["ogg", "webm", "unknown"])
async def test_sniff_reports_the_container_and_keeps_every_byte(opus_maker, container) -> None:
    data = b"ID3\x04an mp3" if container == "unknown" else opus_maker(seconds=0.2, container=container)
    audio = await sniff(_chunks(data, 1))  # the magic split across chunks
    assert audio.container == container and audio.opus == (container != "unknown")
    assert b"".join([chunk async for chunk in audio.chunks]) == data


async def test_pump_demuxes_by_the_reported_container_without_sniffing_again(opus_maker) -> None:
    ogg = opus_maker(seconds=0.2)
    packets = (await pump_opus(SniffedAudio("ogg", _chunks(ogg, 50)), PacketBuffer(max_packets=100))).packets
    assert packets == len(OggDemuxer().feed(ogg))
    # Ogg bytes reported as WebM go to the WebM demuxer, which finds no packets in them.
    wrong = await pump_opus(SniffedAudio("webm", _chunks(ogg, 50)), PacketBuffer(max_packets=100))
    assert wrong.bytes_in == len(ogg) and wrong.packets == 0
