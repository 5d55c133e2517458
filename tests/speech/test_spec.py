"""The speech spec: built once from the request and the settings; the Fish request and the cache
key come from it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from bot.config import Settings
from bot.fish.models import build_tts_request, tts_payload
from bot.speech.service import SpeechService
from bot.tts.spec import SpeechSpec


def settings(tmp_path: Path) -> Settings:
    return Settings(fish={"model": "s2-pro", "latency": "low"}, speak={"opus_bitrate": 48000},
                    data_dir=tmp_path)


def test_settings_fill_what_the_request_leaves_open(tmp_path: Path, set_today) -> None:
    set_today(date(2026, 12, 1))  # before s1 retires
    spec = SpeechSpec.build(settings(tmp_path), "hello", voice_id="v1", speed=1.5)
    assert (spec.model, spec.latency, spec.format, spec.opus_bitrate) == ("s2-pro", "low", "opus", 48000)
    chosen = SpeechSpec.build(settings(tmp_path), "hello", model="s1", format="mp3")
    assert (chosen.model, chosen.format, chosen.voice_id, chosen.speed) == ("s1", "mp3", None, None)


def test_the_fish_request_is_derived_from_the_spec(tmp_path: Path) -> None:
    spec = SpeechSpec.build(settings(tmp_path), "hello", voice_id="v1", speed=1.5)
    options = spec.tts_options()
    body = tts_payload(build_tts_request(spec.text, options))
    assert options["model"] == "s2-pro"
    assert body["text"] == "hello" and body["reference_id"] == "v1"
    assert (body["format"], body["latency"], body["opus_bitrate"]) == ("opus", "low", 48000)
    assert body["prosody"]["speed"] == 1.5


def test_volume_goes_into_prosody_with_the_speed(tmp_path: Path) -> None:
    spec = SpeechSpec(text="hi", voice_id=None, speed=0.8, model="s2-pro", latency="balanced",
                      format="opus", volume=-6.0)
    body = tts_payload(build_tts_request(spec.text, spec.tts_options()))
    assert body["prosody"] == {"speed": 0.8, "volume": -6.0}
    plain = SpeechSpec.build(settings(tmp_path), "hi")
    assert "prosody" not in tts_payload(build_tts_request(plain.text, plain.tts_options()))


def test_the_spec_is_its_own_cache_key(tmp_path: Path) -> None:
    first = SpeechSpec.build(settings(tmp_path), "Alice said", voice_id="v1")
    assert first == SpeechSpec.build(settings(tmp_path), "Alice said", voice_id="v1")
    assert hash(first) == hash(SpeechSpec.build(settings(tmp_path), "Alice said", voice_id="v1"))
    edited = first.with_text("Alice wrote")
    assert edited != first and edited.voice_id == "v1" and first.text == "Alice said"


def test_the_service_builds_specs_with_the_bots_settings(tmp_path: Path, set_today) -> None:
    set_today(date(2026, 12, 1))
    bot_settings = Settings(fish={"model": "s2-pro"}, speak={"file_format": "mp3"}, data_dir=tmp_path)
    speech = SpeechService(synth=None, ledger=None, sessions=None, settings=bot_settings,
                           stale=None, preparer=None)  # only specs are built here
    assert speech.spec("hi", voice_id="v1", speed=1.5) == SpeechSpec.build(bot_settings, "hi", voice_id="v1",
                                                                           speed=1.5)
    assert speech.spec("hi", model="s1").model == "s1"
    assert speech.spec("hi").format == "opus"
    assert speech.file_spec("hi", voice_id="v1") == SpeechSpec.build(bot_settings, "hi", voice_id="v1",
                                                                     format="mp3")
    set_today(date(2026, 12, 31))
    assert speech.spec("hi", model="s1").model == "s2.1-pro"  # the date is read per spec, not at start
