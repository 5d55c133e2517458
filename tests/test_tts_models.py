"""The one list of TTS models: what members are offered on a date, what the config accepts (and
what operators add or change there), the operator's warnings about s1's retirement, and the
model /speak really sends — never a name Fish would silently bill as s2.1-pro."""

from __future__ import annotations

import logging
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from bot import clock
from bot.config import ConfigError, Settings, load_settings
from bot.expressive import cues
from bot.fish import tts_models
from bot.fish.models import is_known_model, reads_phonemes
from bot.fish.tts_models import (
    TTS_MODEL_NAMES,
    offered_models,
    retirement_notice,
    serving_model,
)
from bot.spoken.dictionaries import for_model
from bot.tts.spec import SpeechSpec
from tests.bot_fixtures import make_settings, start_bot
from tests.discord_harness import FakeGuild, Harness, snowflake, wait_for
from tests.fakefish.expressive import performance_of
from tests.helpers.cli import fishbot
from tests.helpers.expressive import allow_cues

BEFORE = date(2026, 12, 30)
RETIRED = date(2026, 12, 31)


def test_one_list_with_drama_and_s1_retiring() -> None:
    assert TTS_MODEL_NAMES == ("s2.1-pro", "s2.1-pro-free", "s2-pro", "drama-3", "drama-3-preview", "s1")
    assert all(is_known_model(name) for name in TTS_MODEL_NAMES) and not is_known_model("speech-1.6")
    before = {m.name: m for m in offered_models(BEFORE)}
    assert before["s1"].retires == RETIRED and "drama-3-preview" in before
    assert "s1" not in {m.name for m in offered_models(RETIRED)}  # not offered from that day on
    assert serving_model("s1", BEFORE) == "s1" and serving_model("s1", RETIRED) == "s2.1-pro"


@pytest.mark.parametrize(("now", "served", "offered", "said"), [
    (datetime(2026, 12, 30, 23, 59, 59, tzinfo=UTC), "s1", True, "I feel happy today"),  # (happy) a tag
    (datetime(2026, 12, 31, 0, 0, 0, tzinfo=UTC), "s2.1-pro", False, "I feel (happy) today"),
])
def test_s1_retires_at_midnight_utc(tmp_path: Path, set_now, now: datetime, served: str, offered: bool,
                                    said: str) -> None:
    set_now(now)
    assert SpeechSpec.build(Settings(fish={"model": "s1"}, data_dir=tmp_path), "hi").model == served
    assert ("s1" in {m.name for m in offered_models(clock.utc_today())}) is offered
    assert for_model("I feel (happy) today", model="s1") == said


def test_retirement_notice_names_the_replacement() -> None:
    assert retirement_notice("s2.1-pro", BEFORE) is None
    assert retirement_notice("s1", BEFORE) == (
        "fish.model = 's1' retires on 2026-12-31 (Fish Audio then serves 's2.1-pro' instead). "
        "Switch to fish.model = 's2.1-pro'."
    )
    assert retirement_notice("s1", RETIRED) == (
        "fish.model = 's1' was retired by Fish Audio on 2026-12-31: requests naming it are served "
        "and billed as 's2.1-pro'. Set fish.model = 's2.1-pro'."
    )


def test_config_accepts_every_listed_model_and_names_them_otherwise(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no config.toml here: the environment alone
    for name in TTS_MODEL_NAMES:
        monkeypatch.setenv("FISHBOT_FISH__MODEL", name)
        assert load_settings().fish.model == name
    monkeypatch.setenv("FISHBOT_FISH__MODEL", "speech-1.6")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert info.value.problems == [
        "fish.model: Value error, must be one of s2.1-pro, s2.1-pro-free, s2-pro, drama-3, drama-3-preview, "
        "s1 (or a model added in [[fish.models]])"
    ]


async def test_check_warns_an_operator_who_configured_s1(fakefish, tmp_path: Path) -> None:
    env = {"DISCORD_TOKEN": "x" * 20, "FISH_API_KEY": "test-key", "FISH_BASE_URL": fakefish.base_url}
    _, quiet, _ = await fishbot("check", cwd=tmp_path, env=env)
    assert "fish.model" not in quiet
    code, out, err = await fishbot("check", cwd=tmp_path, env={**env, "FISHBOT_FISH__MODEL": "s1"})
    assert code == 0, out + err
    # Either wording (before or after the date the test runs on) names the model and its successor.
    warning = next(line for line in out.splitlines() if line.startswith("[warn] fish.model = 's1'"))
    assert "2026-12-31" in warning and "fish.model = 's2.1-pro'" in warning


@pytest.mark.parametrize(("today", "wording", "sent"),
                         [(BEFORE, "retires on", "s1"), (RETIRED, "was retired", "s2.1-pro")])
async def test_start_up_warns_about_s1(
    fakefish, tmp_path: Path, caplog: pytest.LogCaptureFixture, set_today, today: date, wording: str,
    sent: str,
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.client")
    settings = make_settings(fakefish.base_url, tmp_path, fish={"model": "s1"})
    set_today(today)
    bot = await start_bot(settings)
    try:
        assert f"fish.model = 's1' {wording}" in caplog.text and "'s2.1-pro'" in caplog.text
        assert bot.speech.spec("Hello.").model == sent  # what Fish serves is what the bot asks for
    finally:
        await bot.close()


async def speak_setup(bot, harness: Harness) -> tuple[FakeGuild, int]:
    guild = FakeGuild(bot)
    user_id = guild.add_member(snowflake(), "Alice")
    channel = guild.add_channel("Voice", kind=2)
    guild.put_in_voice(user_id, channel)
    return guild, user_id


async def test_speak_model_autocomplete_follows_the_date(bot, harness: Harness, fakefish, set_today) -> None:
    guild, user_id = await speak_setup(bot, harness)
    set_today(BEFORE)
    choices = await harness.autocomplete("speak", "model", user_id=user_id, guild=guild, model="")
    assert [c["value"] for c in choices] == list(TTS_MODEL_NAMES)
    assert TTS_MODEL_NAMES == ("s2.1-pro", "s2.1-pro-free", "s2-pro", "drama-3", "drama-3-preview", "s1")
    assert choices[-1]["name"] == "S1 (retiring Dec 31, 2026)"
    dramatic = await harness.autocomplete("speak", "model", user_id=user_id, guild=guild, model="dra")
    assert [c["value"] for c in dramatic] == ["drama-3", "drama-3-preview"]

    set_today(RETIRED)
    choices = await harness.autocomplete("speak", "model", user_id=user_id, guild=guild, model="")
    assert "s1" not in [c["value"] for c in choices]
    sent = await harness.run("speak", user_id=user_id, guild=guild, text="Hello there.", model="s1")
    assert sent[-1].ephemeral and sent[-1].content == (
        "s1 was retired by Fish Audio on Dec 31, 2026; use s2.1-pro or pick another model from the list."
    )
    sent = await harness.run("speak", user_id=user_id, guild=guild, text="Hello there.", model="nope")
    assert sent[-1].content == "There is no model called “nope”. Pick one from the list."
    assert not fakefish.requests_for("tts")


async def test_model_choices_and_refusals_in_the_members_language(bot, harness: Harness, fakefish,
                                                                  set_today) -> None:
    guild, user_id = await speak_setup(bot, harness)
    harness.locale = "ja"
    set_today(BEFORE)
    choices = await harness.autocomplete("speak", "model", user_id=user_id, guild=guild, model="s1")
    assert [c["name"] for c in choices] == ["S1（2026/12/31に提供終了）"]
    set_today(RETIRED)
    sent = await harness.run("speak", user_id=user_id, guild=guild, text="こんにちは", model="s1")
    assert sent[-1].ephemeral and sent[-1].content == (
        "s1 は 2026/12/31 に Fish Audio での提供が終了しました。"
        "s2.1-pro を使うか、一覧から別のモデルを選んでください。"
    )
    sent = await harness.run("speak", user_id=user_id, guild=guild, text="こんにちは", model="nope")
    assert sent[-1].content == "「nope」というモデルはありません。一覧から選んでください。"
    assert not fakefish.requests_for("tts")


async def test_speak_sends_drama_and_the_configured_model(bot, harness: Harness, fakefish) -> None:
    guild, user_id = await speak_setup(bot, harness)
    await harness.run("speak", user_id=user_id, guild=guild, text="Hello there.", model="drama-3-preview")
    await wait_for(lambda: len(fakefish.requests_for("tts")) == 1)
    assert fakefish.requests_for("tts")[0].headers["model"] == "drama-3-preview"
    assert fakefish.requests_for("tts")[0].model == "drama-3-preview"


async def test_drama_3_reads_its_tags_and_its_speakers(bot, harness: Harness, fakefish) -> None:
    """drama-3 (generally available since 2026-10-13) reads like drama-3-preview: paired tags and
    [directions] reach it as cues; it takes several speakers in one request and phoneme spans."""
    assert cues.dialect("drama-3") == "drama" and cues.multi_speaker("drama-3") and reads_phonemes("drama-3")
    guild, user_id = await speak_setup(bot, harness)
    await allow_cues(harness, guild, user_id)
    await harness.run("speak", user_id=user_id, guild=guild, model="drama-3",
                      text="[tired] I said <whisper>not now</whisper>.")
    await wait_for(lambda: len(fakefish.requests_for("tts")) == 1)
    [request] = fakefish.requests_for("tts")
    assert request.headers["model"] == "drama-3" and request.model == "drama-3"  # served as itself
    heard = performance_of(request)
    assert request.body["text"] == "[tired] I said <whisper>not now</whisper>."
    assert heard.cues == ["<whisper>", "[tired]"] and heard.spoken == "I said not now ."


def test_configured_models_add_and_change_the_list(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config.toml").write_text(
        '[fish]\nmodel = "s3-pro"\n'
        '[[fish.models]]\nname = "s3-pro"\nlabel = "S3 Pro"\ncues = "drama"\nprice_per_million_bytes = 20\n'
        '[[fish.models]]\nname = "s2-pro"\nretires = 2027-03-01\n'
        '[[fish.models]]\nname = "s2.1-pro"\nprice_per_million_bytes = 12.5\n',
        encoding="utf-8",
    )
    catalog = load_settings().fish.catalog
    assert catalog.names == (*TTS_MODEL_NAMES, "s3-pro")  # added after the built-in ones
    s3 = catalog.get("s3-pro")
    assert s3 is not None
    assert (s3.label, s3.cues, s3.multi_speaker, s3.phonemes) == ("S3 Pro", "drama", True, True)
    assert s3.cost(1_000_000) == 20
    s2 = catalog.get("s2-pro")
    assert s2 is not None and s2.label == "S2 Pro" and s2.replacement == "s2.1-pro"  # the rest kept
    assert catalog.serving("s2-pro", date(2027, 3, 1)) == "s2.1-pro"
    assert catalog.get("s2.1-pro").cost(2_000) == Decimal("0.025")  # type: ignore[union-attr]
    assert catalog.get("s2.1-pro-free").cost(10**9) == 0  # type: ignore[union-attr]
    assert tts_models.catalog() is tts_models.BUILT_IN  # nothing is installed until a bot starts


@pytest.mark.parametrize(("entry", "problem"), [
    ('name = "bad name"', "model name 'bad name' must be 1-64 letters"),
    ('name = "x"\nfree = true\nprice_per_million_bytes = 3', "model 'x' is free, so it has no price"),
    ('name = "x"\nretires = 2027-01-01\nreplacement = "nope"', "its replacement 'nope' must be another"),
    ('name = "x"\ncues = "emoji"', "fish.models.0.cues: Input should be 'bracket', 'drama' or 'parenthesis'"),
    ('name = "x"\nprice_per_million_bytes = -1', "greater than or equal to 0"),
])
def test_bad_model_entries_are_refused_at_load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, entry: str,
                                              problem: str) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config.toml").write_text(f"[[fish.models]]\n{entry}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert len(info.value.problems) == 1 and problem in info.value.problems[0]


async def test_a_configured_model_is_offered_and_sent(fakefish, tmp_path: Path) -> None:
    """An operator's model, no code change: offered by autocomplete, sent as its header, its cue
    style used to write the text; a name outside the list is refused before Fish."""
    settings = make_settings(fakefish.base_url, tmp_path, fish={
        "models": [{"name": "s2.1-pro", "price_per_million_bytes": 15},  # a built-in one, changed
                   {"name": "s9-pro", "label": "S9 Pro", "cues": "parenthesis", "multi_speaker": False,
                    "phonemes": False}]})
    bot = await start_bot(settings)
    try:
        harness = Harness(bot)
        guild, user_id = await speak_setup(bot, harness)
        choices = await harness.autocomplete("speak", "model", user_id=user_id, guild=guild, model="s9")
        assert choices == [{"name": "S9 Pro", "value": "s9-pro"}]
        assert cues.dialect("s9-pro") == "parens" and not cues.multi_speaker("s9-pro")
        await allow_cues(harness, guild, user_id)
        await harness.run("speak", user_id=user_id, guild=guild, model="s9-pro", text="[happy] Hello there.")
        await wait_for(lambda: len(fakefish.requests_for("tts")) == 1)
        [request] = fakefish.requests_for("tts")
        assert request.headers["model"] == "s9-pro"
        assert request.body["text"] == "(happy) Hello there."  # written for a parenthesis model
        sent = await harness.run("speak", user_id=user_id, guild=guild, model="s9-max", text="Hello.")
        assert sent[-1].content == "There is no model called “s9-max”. Pick one from the list."
        assert len(fakefish.requests_for("tts")) == 1
    finally:
        await bot.close()


def test_the_example_configs_model_entries_load_when_uncommented(tmp_path: Path) -> None:
    example = (Path(__file__).parents[1] / "config.example.toml").read_text(encoding="utf-8")
    keys = "name|label|cues|multi_speaker|phonemes|free|retires|replacement|price_per_million_bytes"
    uncommented = re.sub(rf"^# (\[\[fish\.models\]\]$|({keys}) +=)", r"\1", example, flags=re.MULTILINE)
    assert len(re.findall(r"^\[\[fish\.models\]\]$", uncommented, flags=re.MULTILINE)) == 2
    (tmp_path / "config.toml").write_text(uncommented, encoding="utf-8")
    catalog = load_settings(tmp_path / "config.toml").fish.catalog
    assert catalog.names[-1] == "s3-pro" and catalog.get("s3-pro").label == "S3 Pro"  # type: ignore[union-attr]
