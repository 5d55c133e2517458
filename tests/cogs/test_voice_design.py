"""/voices design through the real CommandTree against the Fish stand-in: the candidates come back
as playable WAV attachments (and play in the member's voice channel on request, through the voice
stand-in, without another Fish request or charge), one can be saved as the member's own voice
(the /clone rules: clone quota, ownership, visibility), and every failure is a plain message with
nothing spent or saved."""

from __future__ import annotations

import asyncio
import io
import wave
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.storage.models import UsageEvent
from tests.bot_fixtures import make_settings
from tests.discord_harness import FakeGuild, wait_for
from tests.fakefish.voice_design import candidate_audio
from tests.helpers.voice_design import ANN, BOB, DESCRIPTION, answer, design


@pytest.fixture
def bot_settings(fakefish: Any, tmp_path: Path) -> Settings:
    return make_settings(fakefish.base_url, tmp_path, fish={"timeout_s": 5.0, "max_retries": 0},
                         quotas={"voice_designs_per_member": 2, "clones_per_member": 3})


@pytest.fixture
def members(guild: FakeGuild) -> None:
    guild.add_member(ANN, "ann")
    guild.add_member(BOB, "bob")


async def ledger(bot: Any) -> list[tuple[int, str, int, str]]:
    await bot.usage.drain()
    async with bot.db.session() as session:
        rows = (await session.scalars(select(UsageEvent).order_by(UsageEvent.id))).all()
    return [(r.user_id, r.kind, r.amount, r.outcome) for r in rows]


async def test_candidates_are_playable_attachments(bot, harness, guild, members, fakefish) -> None:
    sent = await design(harness, guild, description=DESCRIPTION, language="en",
                        sample_text="Once upon a time, in a quiet town.")
    reply = answer(sent)
    assert reply.ephemeral and "Nothing is kept unless you save one" in reply.content
    files = reply.file_bytes()
    assert [name for name, _ in files] == [f"candidate-{i}.wav" for i in (1, 2, 3, 4)]
    assert [data for _, data in files] == [candidate_audio(c) for c in fakefish.designed]
    for _, data in files:
        with wave.open(io.BytesIO(data)) as w:
            assert w.getnframes() > 0
    request = fakefish.requests_for("voice_design")[-1]
    assert request.body == {"instruction": DESCRIPTION, "language": "en",
                            "reference_text": "Once upon a time, in a quiet town.", "n": 4}
    assert [c["custom_id"] for row in reply.components for c in row["components"]] == [
        "visibility", "save-0", "save-1", "save-2", "save-3", "play-0", "play-1", "play-2", "play-3"]
    assert fakefish.requests_for("model_create") == []  # nothing saved unless picked
    assert await ledger(bot) == [(ANN, "voice_designs", 1, "ok")]


async def test_saving_a_candidate_makes_the_members_own_voice(bot, harness, guild, members, fakefish) -> None:
    reply = answer(await design(harness, guild, description=DESCRIPTION))
    update = (await harness.click(reply, "visibility", user_id=ANN, guild=guild, values=["unlist"]))[-1]
    [modal] = await harness.click(update, "save-2", user_id=ANN, guild=guild)
    assert modal.data["title"] == "Save this voice"
    await harness.submit_modal(modal, {"title": "  Gravel   Narrator "}, user_id=ANN, guild=guild)
    await wait_for(lambda: any(s.embeds for s in harness.sent))
    card = next(s for s in harness.sent if s.embeds)
    assert card.embeds[0].title == "Voice ready: Gravel Narrator"
    create = fakefish.requests_for("model_create")[-1]
    assert [p.data for p in create.files("voices")] == [candidate_audio(fakefish.designed[2])]
    assert create.form("visibility") == ["unlist"] and create.form("title") == ["Gravel Narrator"]
    assert create.form("texts") == [fakefish.designed[2]["text"]]
    voice_id = next(iter(v for v in fakefish.voices if v in card.text))
    record = await bot.voice_owners.get(voice_id)
    assert record is not None and (record.user_id, record.visibility) == (ANN, "unlist")
    assert ("clones", "ok") in [(kind, outcome) for _, kind, _, outcome in await ledger(bot)]
    # One save per design: the buttons are disabled and a second save is refused.
    again = await harness.click(update, "save-0", user_id=ANN, guild=guild)
    assert any("already saved" in s.content for s in again)
    assert len(fakefish.requests_for("model_create")) == 1


async def test_two_quick_saves_create_one_voice(bot, harness, guild, members, fakefish) -> None:
    """Save pressed twice (two forms open) and both submitted at once: one POST /model."""
    reply = answer(await design(harness, guild, description=DESCRIPTION))
    [first] = await harness.click(reply, "save-0", user_id=ANN, guild=guild)
    [second] = await harness.click(reply, "save-1", user_id=ANN, guild=guild)
    before = len(harness.sent)
    both = asyncio.gather(
        harness.start_submit_modal(first, {"title": "Twin"}, user_id=ANN, guild=guild),
        harness.start_submit_modal(second, {"title": "Twin"}, user_id=ANN, guild=guild),
    )
    await asyncio.wait_for(both, 30)
    sent = harness.sent[before:]
    assert len(fakefish.requests_for("model_create")) == 1
    assert sum(1 for s in sent if s.embeds and s.embeds[0].title == "Voice ready: Twin") == 1
    assert [s.content for s in sent if s.ephemeral and s.content.startswith("A voice")] == [
        "A voice from these candidates is being saved already."]
    assert [(kind, outcome) for _, kind, _, outcome in await ledger(bot) if kind == "clones"] == [
        ("clones", "ok")]
    assert len(await bot.voice_owners.of_user(ANN)) == 1


async def test_only_the_member_can_save(harness, guild, members, fakefish) -> None:
    reply = answer(await design(harness, guild, description=DESCRIPTION))
    sent = await harness.click(reply, "save-0", user_id=BOB, guild=guild)
    assert any("belong to someone else" in s.content for s in sent)
    assert fakefish.requests_for("model_create") == []


async def test_clone_quota_applies_to_saving(bot, harness, guild, members, fakefish) -> None:
    await bot.store.update_guild(guild.id, "quotas", {"clones_per_member": 0})
    reply = answer(await design(harness, guild, description=DESCRIPTION))
    [modal] = await harness.click(reply, "save-0", user_id=ANN, guild=guild)
    await harness.submit_modal(modal, {"title": "Mine"}, user_id=ANN, guild=guild)
    await wait_for(lambda: any("quota of voice clones" in s.content for s in harness.sent))
    assert fakefish.requests_for("model_create") == []


async def test_daily_design_quota(bot, harness, guild, members, fakefish) -> None:
    await bot.store.update_guild(guild.id, "quotas", {"voice_designs_per_member": 1})
    answer(await design(harness, guild, description=DESCRIPTION))
    [refusal] = await design(harness, guild, description=DESCRIPTION)
    assert "daily quota of voice designs is used up" in refusal.content and refusal.ephemeral
    assert len(fakefish.requests_for("voice_design")) == 1
    assert [o for _, kind, _, o in await ledger(bot) if kind == "voice_designs"] == ["ok", "denied"]


async def test_daily_design_quota_of_the_server(bot, harness, guild, members, fakefish) -> None:
    await bot.store.update_guild(guild.id, "quotas", {"voice_designs_per_guild": 1})
    answer(await design(harness, guild, ANN, description=DESCRIPTION))
    [refusal] = await design(harness, guild, BOB, description=DESCRIPTION)
    assert "This server's daily quota of voice designs is used up" in refusal.content and refusal.ephemeral
    assert len(fakefish.requests_for("voice_design")) == 1
    assert [(user, o) for user, kind, _, o in await ledger(bot) if kind == "voice_designs"] == [
        (ANN, "ok"), (BOB, "denied")]


@pytest.mark.parametrize(("options", "message"), [
    ({"description": "x" * 2001}, "The description is 2,001 characters; Fish takes at most 2,000."),
    ({"description": "   "}, "Describe the voice you want"),
    ({"description": DESCRIPTION, "sample_text": "y" * 151}, "The sample text is 151 characters"),
    ({"description": DESCRIPTION, "language": "english!"}, "Give the language as a code"),
])
async def test_refused_before_anything_is_spent(bot, harness, guild, members, fakefish, options,
                                                message) -> None:
    [refusal] = await design(harness, guild, **options)
    assert message in refusal.content and refusal.ephemeral
    assert fakefish.requests_for("voice_design") == []
    assert await ledger(bot) == []


@pytest.mark.parametrize(("fault", "message"), [
    ({"status": 402}, "The bot's Fish Audio API credit has run out. Please tell the bot owner."),
    # Fish counts the description its own way: its 400 names what it refused, and nothing is spent.
    ({"status": 400, "body": {"status": 400, "message": "instruction: must contain 1 to 2000 characters"}},
     "Fish Audio refused that description (instruction: must contain 1 to 2000 characters). Nothing was "
     "spent: shorten or reword it and try again."),
])
async def test_api_errors_are_plain_and_give_the_quota_back(bot, harness, guild, members, fakefish, fault,
                                                            message) -> None:
    fakefish.fail("voice_design", **fault)
    sent = await design(harness, guild, description=DESCRIPTION)
    assert sent[-1].content == message and sent[-1].ephemeral
    assert fakefish.designed == []
    assert await ledger(bot) == [(ANN, "voice_designs", 1, "failed")]
    assert (await bot.usage.member_today(ANN, guild.id)).used["voice_designs"] == 0


async def test_a_429_puts_the_design_back_in_line(bot, harness, guild, members, fakefish) -> None:
    fakefish.fail("voice_design", status=429, retry_after=0)
    sent = await design(harness, guild, description=DESCRIPTION)
    assert len(answer(sent).files) == len(fakefish.designed) > 0
    assert [r.status for r in fakefish.requests_for("voice_design")] == [429, 200]
    assert await ledger(bot) == [(ANN, "voice_designs", 1, "ok")]


async def test_zero_credit_account(bot, harness, guild, members, fakefish) -> None:
    fakefish.credit = 0
    sent = await design(harness, guild, description=DESCRIPTION)
    assert "credit has run out" in sent[-1].content


# --- playing a candidate in the member's voice channel ---------------------------------------------


def wav_seconds(data: bytes) -> float:
    with wave.open(io.BytesIO(data)) as w:
        return w.getnframes() / w.getframerate()


async def test_a_candidate_plays_in_the_members_voice_channel(bot, harness, guild, members, fakefish) -> None:
    channel = guild.add_channel("Studio", kind=2)
    guild.put_in_voice(ANN, channel)
    reply = answer(await design(harness, guild, description=DESCRIPTION))
    sent = await harness.click(reply, "play-1", user_id=ANN, guild=guild)
    assert sent[-1].ephemeral and sent[-1].content == f"Playing candidate 2 now in <#{channel}>."
    session = bot.voice_sessions.get(guild.id)
    assert session is not None and session.channel.id == channel
    # Another one, pressed while the first plays (it lasts seconds), queues behind it.
    again = await harness.click(reply, "play-3", user_id=ANN, guild=guild)
    assert again[-1].content == f"Candidate 4 is queued at #2 in <#{channel}>."
    await wait_for(lambda: session.clips_played == 2, timeout=20)
    # The candidates' own WAVs are what played: 20 ms packets for all of their length (plus the
    # silence frames discord.py ends a track with)...
    seconds = sum(wav_seconds(candidate_audio(fakefish.designed[i])) for i in (1, 3))
    assert len(session.voice.packets) >= round(seconds / 0.02)
    # ...bought with the design: no speech request to Fish and nothing more in the ledger.
    assert fakefish.requests_for("tts") == []
    assert await ledger(bot) == [(ANN, "voice_designs", 1, "ok")]
    await session.close()


async def test_playing_into_a_full_queue_is_refused_plainly(bot, harness, guild, members, fakefish,
                                                             monkeypatch) -> None:
    monkeypatch.setattr(bot.settings.speak, "queue_limit", 1)
    channel = guild.add_channel("Studio", kind=2)
    guild.put_in_voice(ANN, channel)
    reply = answer(await design(harness, guild, description=DESCRIPTION))
    await harness.click(reply, "play-0", user_id=ANN, guild=guild)  # plays (it lasts seconds)
    queued = await harness.click(reply, "play-1", user_id=ANN, guild=guild)
    assert queued[-1].content == f"Candidate 2 is queued at #2 in <#{channel}>."
    refused = await harness.click(reply, "play-2", user_id=ANN, guild=guild)
    assert refused[-1].ephemeral and refused[-1].content == "The queue is full (1 waiting). Try again soon."
    session = bot.voice_sessions.get(guild.id)
    assert len(session.queue) == 1
    assert fakefish.requests_for("tts") == []
    await session.close()


async def test_playing_needs_the_member_in_a_voice_channel(bot, harness, guild, members, fakefish) -> None:
    reply = answer(await design(harness, guild, description=DESCRIPTION))
    [refusal] = await harness.click(reply, "play-0", user_id=ANN, guild=guild)
    assert refusal.ephemeral and refusal.content.startswith("Join a voice channel to hear a candidate there")
    assert bot.voice_sessions.get(guild.id) is None


async def test_playing_while_the_bot_speaks_elsewhere(bot, harness, guild, members, fakefish) -> None:
    fakefish.rtf = 1.0  # Bob's /speak plays in real time, so it is still speaking
    busy, mine = guild.add_channel("Busy", kind=2), guild.add_channel("Mine", kind=2)
    guild.put_in_voice(BOB, busy)
    guild.put_in_voice(ANN, mine)
    await harness.run("speak", user_id=BOB, guild=guild, text="a long announcement that keeps going " * 4)
    session = bot.voice_sessions.get(guild.id)
    await wait_for(lambda: session is not None and session.current is not None)
    reply = answer(await design(harness, guild, description=DESCRIPTION))
    sent = await harness.click(reply, "play-0", user_id=ANN, guild=guild)
    assert sent[-1].ephemeral and sent[-1].content == (
        f"I'm already speaking in <#{busy}>. Join that channel, or wait until I'm done.")
    assert session.channel.id == busy and len(session.queue) == 0
    await session.close()


async def test_only_the_member_can_play(bot, harness, guild, members, fakefish) -> None:
    guild.put_in_voice(BOB, guild.add_channel("Studio", kind=2))
    reply = answer(await design(harness, guild, description=DESCRIPTION))
    sent = await harness.click(reply, "play-0", user_id=BOB, guild=guild)
    assert any("belong to someone else" in s.content for s in sent)
    assert bot.voice_sessions.get(guild.id) is None
