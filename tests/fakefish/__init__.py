"""fakefish: a faithful stand-in for the Fish Audio API (HTTP + WebSocket) on 127.0.0.1.

It follows /work/shared/fish-audio-api.md: the same paths, methods, encodings (msgpack, JSON,
urlencoded, multipart), schemas (`_id` aliases, the API's loose voice schema), error statuses
and bodies, and real audio (MP3 frames, RIFF/WAV, s16le PCM, Ogg Opus 48 kHz mono), so both
the bot's own client and the official `fishaudio` SDK can be tested offline.

Usage::

    from tests.fakefish import FakeFish

    async with FakeFish(api_key="test-key", ttfb=0.0, rtf=0.0) as fake:  # binds 127.0.0.1:0
        fake.base_url                   # "http://127.0.0.1:PORT"
        fake.add_voice("Ann", tags=["en"]) -> dict   # owned by the key's user unless mine=False
        fake.voices                     # {id: voice dict as the API returns it}
        fake.credit                     # Decimal API credit; TTS/ASR charge it; <= 0 → 402
        fake.fail("tts", status=429, retry_after=7, times=2)  # replaces a pending "tts" fault
        fake.fail("tts", disconnect_after_bytes=2000)   # or stall_after_bytes=, delay=, ws_error=
        fake.clear_faults()
        fake.requests                   # [RecordedRequest]: endpoint, method, path, query,
                                        # headers, auth, body, parts, timings, audio, ...
        fake.last_audio("tts"); fake.audio_of(0, "tts")
        await fake.wait_disconnect("tts", timeout=2)  # the client abandoned a stream
        fake.asr_script.append("the next transcript")
        fake.designed                   # voice-design candidates sent (voice_design.py)
        expressive.performance_of(fake.requests_for("tts")[-1])  # cues acted on, words read aloud
        fake.max_concurrency = 5        # the account's limit: 429 (live: the in-band error) beyond
        fake.concurrency_refusals; fake.in_flight; fake.peak_in_flight

Constructor: `FakeFish(api_key="test-key", *, host="127.0.0.1", port=0, ttfb=0.0, rtf=0.0,
ms_per_char=70.0, min_seconds=0.5, opus_frame_ms=20, packets_per_page=10, chunk_seconds=0.2,
credit="10.00", asr_duration_unit="s", check_reference_id=True, seed=True,
max_concurrency=None)`. `ttfb`, `rtf`,
`opus_frame_ms` (20/40/60), `packets_per_page`, `chunk_seconds`, `ms_per_char`,
`asr_duration_unit` are plain attributes that can be changed between requests.

HTTP response headers go out at once (as a Starlette StreamingResponse does); `ttfb` delays the
first body byte, and the chunk ending at audio time t goes out at ttfb + t * rtf.

Endpoint names (for `fail`, `requests_for`, `wait_disconnect`): tts, tts_live, asr, model_list,
model_get, model_create, model_update, model_delete, credits, package, voice_design.

Pytest: the `fakefish` fixture (tests/conftest.py) yields a started FakeFish(ttfb=0, rtf=0).
By hand: `python -m tests.fakefish --port 8787 [--ttfb 0.3 --rtf 0.5 --api-key KEY --max-concurrency 5]`.

Concurrency (§0): TTS, ASR, voice design and voice creation hold one of the account's slots while
they run (a stream until its last byte is written); a live socket holds one per session, from
`start` to `finish`. With `max_concurrency` set, a request beyond it is answered 429
`{"status":429,"message":"Concurrency limit exceeded"}` (no Retry-After: the real API does not
promise one), a live session the in-band error event.

Where the doc is ambiguous, each module says what the stand-in decided (tts_request.py,
tts.py, live.py, voices.py, asr.py, account.py, faults.py, voice_design.py, expressive.py).
"""

from .library import VoiceLibrary, conforms_to_sdk
from .records import Part, RecordedRequest
from .server import FakeFish

__all__ = ["FakeFish", "Part", "RecordedRequest", "VoiceLibrary", "conforms_to_sdk"]
