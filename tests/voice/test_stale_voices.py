"""Saved voices that Fish no longer has (400 "Reference not found"): forgotten, replaced by the next
voice in the chain (member → server → configured default), the member told once; narration keeps
reading. Through the real CommandTree and gateway events against the stand-in."""

from __future__ import annotations

from typing import Any

import pytest

from bot.storage.voice_prefs import NAMESPACE, VoicePrefs
from bot.tts.gone import TOLD_NAMESPACE, ToldGone
from tests.bot_fixtures import make_settings, start_bot
from tests.discord_harness import FakeGuild, Harness, snowflake, wait_for
from tests.helpers.narration import ANN, BOB, Room, settings_for
from tests.rest_recorder import RestRecorder

GONE_MINE = ("Your saved voice “Old Friend” no longer exists on Fish Audio (it was deleted or made "
             "private). I forgot it and used the server's default voice instead. Pick a new one "
             "with `/voice set`.")


@pytest.fixture
def bot_settings(fakefish: Any, tmp_path: Any) -> Any:
    fakefish.ms_per_char = 5.0
    fakefish.min_seconds = 0.2
    return settings_for(fakefish.base_url, tmp_path)


async def save(bot: Any, voice: dict[str, Any], *, user_id: int | None = None,
               guild_id: int | None = None) -> None:
    prefs = {"voice_id": voice["_id"], "voice_name": voice["title"]}
    if user_id is not None:
        await bot.store.update_user(user_id, NAMESPACE, prefs, model=VoicePrefs)
    else:
        assert guild_id is not None
        await bot.store.update_guild(guild_id, NAMESPACE, prefs, model=VoicePrefs)


def voices_sent(fakefish: Any) -> list[str | None]:
    return [r.body.get("reference_id") for r in fakefish.requests_for("tts")]


async def test_speak_with_a_deleted_saved_voice_uses_the_server_voice_and_tells_once(
    bot, harness, guild, fakefish
) -> None:
    user_id = guild.add_member(snowflake(), "Alice")
    guild.put_in_voice(user_id, guild.add_channel("Voice", kind=2))
    mine, servers = fakefish.add_voice("Old Friend"), fakefish.add_voice("House Voice")
    await save(bot, mine, user_id=user_id)
    await save(bot, servers, guild_id=guild.id)
    del fakefish.voices[mine["_id"]]  # deleted on Fish's side

    sent = await harness.run("speak", user_id=user_id, guild=guild, text="Hello there, old friend.")
    await wait_for(lambda: any(s.content == GONE_MINE for s in harness.sent))
    notice = next(s for s in harness.sent if s.content == GONE_MINE)
    assert notice.ephemeral and "Speaking now" in sent[-1].content
    session = bot.voice_sessions.get(guild.id)
    await wait_for(lambda: session.clips_played == 1)
    assert voices_sent(fakefish) == [mine["_id"], servers["_id"]]
    assert [r.status for r in fakefish.requests_for("tts")] == [400, 200]
    assert (await bot.store.get_user(user_id, NAMESPACE, VoicePrefs)).voice_id is None

    # The preference is gone, so the next /speak goes straight to the server's voice, unannounced.
    before = len(harness.sent)
    await harness.run("speak", user_id=user_id, guild=guild, text="And again.")
    await wait_for(lambda: session.clips_played == 2)
    assert voices_sent(fakefish)[-1] == servers["_id"]
    assert not any("no longer exists" in s.content for s in harness.sent[before:])


async def test_a_deleted_server_voice_falls_back_to_the_configured_default(
    bot, harness, guild, fakefish, monkeypatch
) -> None:
    fallback = fakefish.add_voice("Operator Default")
    monkeypatch.setattr(bot.settings.fish, "default_voice", fallback["_id"])
    servers = fakefish.add_voice("House Voice")
    await save(bot, servers, guild_id=guild.id)
    del fakefish.voices[servers["_id"]]
    user_id = guild.add_member(snowflake(), "Bea")  # not in voice: the clip comes back as a file
    sent = await harness.run("speak", user_id=user_id, guild=guild, text="Hello as a file.")
    assert sent[-1].file_bytes and voices_sent(fakefish) == [servers["_id"], fallback["_id"]]
    assert any(s.content == (
        "This server's default voice “House Voice” no longer exists on Fish Audio (it was deleted or "
        "made private). I forgot it and used the bot's default voice instead. Pick a new one with "
        "`/voice set`.") and s.ephemeral for s in sent)
    assert (await bot.store.get_guild(guild.id, NAMESPACE, VoicePrefs)).voice_id is None


async def test_narration_keeps_reading_with_a_stale_voice(bot, harness, guild, fakefish, monkeypatch) -> None:
    rest = RestRecorder(bot, monkeypatch)
    room = Room(bot, harness, guild)
    await room.join_and_bind()
    mine = fakefish.add_voice("Old Friend")
    await save(bot, mine, user_id=ANN)
    del fakefish.voices[mine["_id"]]
    first = room.say(ANN, "first message")
    second = room.say(ANN, "second message")
    room.say(BOB, "bob talks too")

    def read() -> list[tuple[str, str | None]]:
        return [(r.body["text"], r.body.get("reference_id"))
                for r in fakefish.requests_for("tts") if r.status == 200]

    await wait_for(lambda: len(read()) == 3)  # every message read, the stale voice replaced
    assert read() == [("ann said: first message", None), ("second message", None),
                      ("bob said: bob talks too", None)]
    refused = [r for r in fakefish.requests_for("tts") if r.status == 400]
    assert refused and all(r.body["reference_id"] == mine["_id"] for r in refused)
    await wait_for(lambda: len(rest.messages) == 1)
    [(channel_id, reply)] = rest.messages  # told once, under a message it happened on: Ann's
    # second clip may be fetched ahead while the first is refused, so either can be told first
    assert channel_id == room.text
    assert str(reply["message_reference"]["message_id"]) in {first["id"], second["id"]}
    assert reply["content"] == GONE_MINE.replace("the server's default voice", "Fish Audio's default voice")
    assert reply["allowed_mentions"] == {"parse": [], "replied_user": False}


async def test_voice_show_finds_a_deleted_saved_voice(bot, harness, guild, fakefish) -> None:
    user_id = guild.add_member(snowflake(), "Cleo")
    mine = fakefish.add_voice("Old Friend")
    await save(bot, mine, user_id=user_id)
    shown = await harness.run("voice show", user_id=user_id, guild=guild)
    assert shown[-1].content.startswith("Voice: **Old Friend** (your choice)")
    del fakefish.voices[mine["_id"]]
    shown = await harness.run("voice show", user_id=user_id, guild=guild)
    assert fakefish.requests_for("model_get")[-1].status == 404
    assert shown[-1].ephemeral and shown[-1].content == (
        GONE_MINE.replace("the server's default voice", "Fish Audio's default voice")
        + "\nVoice: Fish Audio's default voice\nSpeed: normal"
    )
    assert (await bot.store.get_user(user_id, NAMESPACE, VoicePrefs)).voice_id is None


async def test_told_once_even_across_a_restart(fakefish, tmp_path) -> None:
    """The configured default voice stays configured when Fish loses it, so every new bot process
    meets it again: each member is told once, not once per process."""
    gone = fakefish.add_voice("Operator Default")
    del fakefish.voices[gone["_id"]]
    settings = make_settings(fakefish.base_url, tmp_path,
                             fish={"timeout_s": 5.0, "max_retries": 0, "default_voice": gone["_id"]})
    told = (f"The voice `{gone['_id']}` no longer exists on Fish Audio (it was deleted or made private). "
            "I forgot it and used Fish Audio's default voice instead. Pick a new one with `/voice set`.")
    guild: FakeGuild | None = None
    replies: list[list[Any]] = []
    for process in range(2):
        bot = await start_bot(settings)  # the same database each time
        harness = Harness(bot)
        try:
            if guild is None:
                guild = FakeGuild(bot)
                guild.add_member(ANN, "ann")
                guild.add_member(BOB, "bob")
            else:
                guild.bot = bot
                guild.sync()
            # Not in voice: the clip comes back as a file.
            sent = await harness.run("speak", user_id=ANN, guild=guild, text="Hello as a file.")
            assert sent[-1].file_bytes()
            replies.append(sent)
            if process == 1:
                stored = await bot.store.get_user(ANN, TOLD_NAMESPACE, ToldGone)
                assert stored.voices == [gone["_id"]]
                # Told per member: Bob hasn't heard about it yet.
                bobs = await harness.run("speak", user_id=BOB, guild=guild, text="Hi as a file.")
                assert [s.content for s in bobs if s.content == told] == [told]
        finally:
            harness.close()
            await bot.close()
    assert [[s.content for s in sent if s.content == told] for sent in replies] == [[told], []]
    # Each process learns from Fish's refusal once, then skips the voice (Bob's clip).
    assert voices_sent(fakefish) == [gone["_id"], None, gone["_id"], None, None]
