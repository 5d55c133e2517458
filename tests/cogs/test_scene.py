"""/scene through the real CommandTree, the voice session and the Fish stand-in: speakers resolved
(mention, member name, voice title; the private-voice rule), one multi-speaker request where the
model can take it (checked by the stand-in: list of voices + agreeing markers), consecutive clips
otherwise, files when not in voice, and every refusal before anything is spent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.storage.models import UsageEvent
from tests.bot_fixtures import make_settings
from tests.discord_harness import FakeGuild, wait_for
from tests.fakefish.audio import audio_seconds
from tests.fakefish.expressive import performance_of
from tests.helpers.audio import decoded_seconds
from tests.helpers.scene import Cast, put_in_voice, reply, scene

pytestmark = pytest.mark.usefixtures("before_s1_retires")


@pytest.fixture
def bot_settings(fakefish: Any, tmp_path: Path) -> Settings:
    return make_settings(
        fakefish.base_url, tmp_path,
        speak={"stall_timeout_s": 2.0, "idle_timeout_s": 60.0, "alone_leave_delay_s": 0.2},
        fish={"timeout_s": 5.0, "max_retries": 0}, scene={"max_speakers": 3, "max_chars": 300},
    )


@pytest.fixture
async def cast(bot: Any, guild: FakeGuild, fakefish: Any) -> Cast:
    people = Cast(bot, guild, fakefish)
    await people.give_voices()
    return people


async def ledger(bot: Any) -> list[tuple[str, int, str]]:
    await bot.usage.drain()
    async with bot.db.session() as session:
        rows = (await session.scalars(select(UsageEvent).order_by(UsageEvent.id))).all()
    return [(r.kind, r.amount, r.outcome) for r in rows]


SCRIPT = "Ann: Did you hear that?\n<@{bob}>: [whispering] Stay quiet.\nNarrator: Nobody moved.\nann: Fine."


async def test_one_multi_speaker_request_in_voice(bot, harness, guild, cast, fakefish) -> None:
    put_in_voice(guild, cast.ann)
    await bot.store.update_guild(guild.id, "narration", {"expressive_cues": True})
    sent = await scene(harness, guild, cast.ann, SCRIPT.format(bob=cast.bob), model="s2.1-pro")
    assert "3 voices in one request" in reply(sent).content and reply(sent).ephemeral
    session = bot.voice_sessions.get(guild.id)
    await wait_for(lambda: session is not None and session.clips_played == 1)
    [request] = fakefish.requests_for("tts")
    assert request.status == 200
    assert request.body["reference_id"] == [cast.ann_voice, cast.bob_voice, cast.narrator]
    assert request.body["text"] == ("<|speaker:0|>Did you hear that?<|speaker:1|>[whispering] Stay quiet."
                                    "<|speaker:2|>Nobody moved.<|speaker:0|>Fine.")
    heard = performance_of(request)
    assert heard.speakers == [0, 1, 2, 0] and heard.cues == ["[whispering]"]
    assert await ledger(bot) == [("tts_bytes", len(request.body["text"]), "ok")]


async def test_s1_gets_consecutive_clips(bot, harness, guild, cast, fakefish) -> None:
    put_in_voice(guild, cast.ann, cast.bob)  # a name finds the members the bot can see
    script = "Ann: One.\nAnn: Two.\nBob: Three.\nAnn: Four."
    sent = await scene(harness, guild, cast.ann, script, model="s1")
    assert "3 clips back to back" in reply(sent).content
    session = bot.voice_sessions.get(guild.id)
    await wait_for(lambda: session is not None and session.clips_played == 3)
    requests = fakefish.requests_for("tts")
    assert [(r.body["reference_id"], r.body["text"]) for r in requests] == [
        (cast.ann_voice, "One. Two."), (cast.bob_voice, "Three."), (cast.ann_voice, "Four.")]
    assert [o for _, _, o in await ledger(bot)] == ["ok", "ok", "ok"]


async def test_not_in_voice_comes_back_as_a_file(bot, harness, guild, cast, fakefish) -> None:
    sent = await scene(harness, guild, cast.ann, f"Ann: Hello.\n<@{cast.bob}>: Hi.", model="drama-3-preview")
    answer = reply(sent)
    assert [name for name, _ in answer.file_bytes()] == ["scene.ogg"], answer.content
    [request] = fakefish.requests_for("tts")
    assert request.model == "drama-3-preview" and request.status == 200
    assert request.body["reference_id"] == [cast.ann_voice, cast.bob_voice]


@pytest.mark.parametrize("file_format", ["opus", "mp3"])
async def test_s1_scene_as_a_file_is_one_merged_file(bot, harness, guild, cast, fakefish,
                                                     file_format) -> None:
    bot.settings.speak.file_format = file_format
    script = f"Ann: One, two, three.\n<@{cast.bob}>: Four and five.\nAnn: Six!"
    sent = await scene(harness, guild, cast.ann, script, model="s1", as_file=True)
    answer = reply(sent)
    assert "3 clips back to back" in answer.content
    [(name, audio)] = answer.file_bytes()  # one file, not one per line
    assert name == f"scene.{'ogg' if file_format == 'opus' else 'mp3'}"
    requests = fakefish.requests_for("tts")
    assert [r.body["text"] for r in requests] == ["One, two, three.", "Four and five.", "Six!"]
    # Fetched as Ogg Opus (exact start and end in its headers), encoded once in the file format.
    assert {r.body["format"] for r in requests} == {"opus"}
    lines = sum(audio_seconds(r.body["text"], ms_per_char=fakefish.ms_per_char,
                              min_seconds=fakefish.min_seconds) for r in requests)
    # Decoded, the file lasts as long as its lines together (within a frame or two): a gap, or
    # MP3's padding at each join, would add tens of milliseconds per line.
    assert abs(await decoded_seconds(audio) - lines) < 0.05
    assert [o for _, _, o in await ledger(bot)] == ["ok", "ok", "ok"]


async def test_unknown_speakers_are_named_before_anything_is_spent(bot, harness, guild, cast,
                                                                   fakefish) -> None:
    sent = await scene(harness, guild, cast.ann, "Ann: Hi.\nZed: Hey.\nThe Ghost: Boo.")
    text = reply(sent).content
    assert "**Zed** and **The Ghost** are" in text and "Nothing was spent" in text
    assert fakefish.requests_for("tts") == [] and await ledger(bot) == []


async def test_another_members_private_voice_is_not_usable(bot, harness, guild, cast, fakefish) -> None:
    secret = fakefish.add_voice("Bob Secret")["_id"]
    await bot.voice_owners.record(voice_id=secret, user_id=cast.bob, guild_id=guild.id, title="Bob Secret",
                                     visibility="private")
    await bot.store.update_user(cast.bob, "voice", {"voice_id": secret})
    by_member = reply(await scene(harness, guild, cast.ann, f"Ann: Hi.\n<@{cast.bob}>: Hey."))
    assert f"voice of **<@{cast.bob}>** is private" in by_member.content  # shown as a mention
    by_title = reply(await scene(harness, guild, cast.ann, "Ann: Hi.\nBob Secret: Hey."))
    assert "**Bob Secret** is" in by_title.content  # looks exactly like an unknown name
    assert fakefish.requests_for("tts") == []
    own = reply(await scene(harness, guild, cast.bob, f"Bob Secret: Mine.\n<@{cast.ann}>: Yes."))
    assert own.files and fakefish.requests_for("tts")[-1].body["reference_id"] == [secret, cast.ann_voice]


@pytest.mark.parametrize(("script", "message"), [
    ("A: 1\nB: 2\nC: 3\nD: 4", "That scene has 4 speakers; the limit is 3."),
    ("Ann: " + "x" * 301, "That scene is 301 characters of speech; the limit is 300."),
    ("just words", "has no “Speaker:” in front"),
])
async def test_limits_from_settings(bot, harness, guild, cast, fakefish, script, message) -> None:
    answer = reply(await scene(harness, guild, cast.ann, script))
    assert message in answer.content and answer.ephemeral
    assert fakefish.requests_for("tts") == []


# --- what each path leaves in the usage ledger ----------------------------------------------------


async def test_a_scene_over_the_speech_quota_is_refused_before_fish(bot, harness, guild, cast,
                                                                    fakefish) -> None:
    await bot.store.update_guild(guild.id, "quotas", {"tts_bytes_per_member": 20})
    put_in_voice(guild, cast.ann, cast.bob)
    script = "Ann: One two three.\nBob: Four five six."
    answer = reply(await scene(harness, guild, cast.ann, script, model="s1"))
    assert "daily quota of speech is used up" in answer.content and answer.ephemeral
    assert fakefish.requests_for("tts") == [] and bot.voice_sessions.get(guild.id) is None
    # The first clip (14 characters) fitted and was given back; the second was over the quota.
    assert sorted(await ledger(bot)) == [("tts_bytes", 14, "denied"), ("tts_bytes", 14, "skipped")]
    assert (await bot.usage.member_today(cast.ann, guild.id)).used["tts_bytes"] == 0


async def test_fish_failing_a_scene_file_is_plain_and_gives_the_quota_back(bot, harness, guild, cast,
                                                                           fakefish) -> None:
    fakefish.fail("tts", status=402)
    answer = reply(await scene(harness, guild, cast.ann, f"Ann: Hello.\n<@{cast.bob}>: Hi.", as_file=True))
    assert answer.content == "The bot's Fish Audio API credit has run out. Please tell the bot owner."
    assert not answer.files
    assert [(kind, outcome) for kind, _, outcome in await ledger(bot)] == [("tts_bytes", "failed")]
    assert (await bot.usage.member_today(cast.ann, guild.id)).used["tts_bytes"] == 0


async def test_each_lines_stand_ins_are_in_its_language(bot, harness, guild, cast, fakefish) -> None:
    put_in_voice(guild, cast.ann, cast.bob)
    script = "Ann: これ見て https://example.com ｗｗｗ\nBob: look at https://example.com"
    await scene(harness, guild, cast.ann, script, model="s1")
    session = bot.voice_sessions.get(guild.id)
    await wait_for(lambda: session is not None and session.clips_played == 2)
    said = [r.body["text"] for r in fakefish.requests_for("tts")]
    assert said == ["これ見て URL省略 わら", "look at a link"]
