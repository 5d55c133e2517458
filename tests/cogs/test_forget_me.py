"""/forget-me: it lists what it will delete and what stays, asks once (only the member can answer;
no answer is no deletion), deletes the member's cloned voices on Fish and only then their
records, then the rest; when Fish can't delete a voice, that voice stays guarded. Through the real
CommandTree against the Fish stand-in."""

from __future__ import annotations

import asyncio
from typing import Any

import discord
import pytest
from sqlalchemy import select

from bot.spoken.settings import DICTIONARY_NAMESPACE, NAMESPACE, PronunciationSettings, ServerSpeech
from bot.storage.models import UsageEvent
from bot.storage.voice_prefs import NAMESPACE as VOICE_NAMESPACE
from bot.storage.voice_prefs import VoicePrefs
from bot.usage.ledger import FORGOTTEN_MEMBER
from tests.discord_harness import FakeGuild, Harness, Sent, wait_for
from tests.helpers.pseudo_locale import shown
from tests.helpers.voices import ANN, BOB, bot_settings, members, own_voice  # noqa: F401 (fixtures)
from tests.i18n import pseudo

pytestmark = pytest.mark.usefixtures("members")
MANAGE = discord.Permissions(manage_guild=True).value


async def ask(harness: Harness, guild: FakeGuild,
              user_id: int = ANN) -> tuple[asyncio.Task[list[Sent]], Sent]:
    """Start /forget-me (it waits for its button, as with Discord); the task and the question."""
    before = len(harness.sent)
    command = asyncio.create_task(harness.run("forget-me", user_id=user_id, guild=guild))
    await wait_for(lambda: len(harness.sent) > before)
    return command, harness.sent[before]


async def ledger_users(bot: Any) -> list[int]:
    async with bot.db.session() as session:
        return list((await session.scalars(select(UsageEvent.user_id).order_by(UsageEvent.id))).all())


@pytest.fixture
async def anns_data(bot, harness, guild, fakefish) -> dict[str, Any]:
    """Everything Ann leaves behind: two clones, a saved voice, a dictionary word (Bob's word
    stays), a place on the server's ignore list, a ledger row."""
    voices = [await own_voice(bot, fakefish, ANN, title) for title in ("Ann one", "Ann two")]
    await harness.run("voice set", user_id=ANN, guild=guild, voice=voices[0])
    for user_id, word in ((ANN, "Nguyen"), (BOB, "GPU")):
        await harness.run("dictionary add", user_id=user_id, guild=guild, permissions=MANAGE, word=word,
                          replacement="x")
    await bot.store.update_guild(guild.id, NAMESPACE, {"ignored_members": [ANN]}, model=ServerSpeech)
    await bot.usage.record(kind="tts_chars", amount=12, user_id=ANN, guild_id=guild.id, outcome="ok")
    return {"voices": voices}


async def test_it_lists_asks_and_deletes_voices_on_fish_then_the_rest(bot, harness, guild, fakefish,
                                                                      anns_data) -> None:
    command, question = await ask(harness, guild)
    assert question.ephemeral and question.allowed_mentions == {"parse": []}
    text = question.content
    assert text.startswith("This deletes:\n• Your cloned voices, deleted from Fish Audio too: ")
    assert "**Ann one**" in text and "**Ann two**" in text
    assert "• Your settings: your voice, speed and style" in text
    assert "• Your words in servers' pronunciation dictionaries: **Nguyen** in **Test Server**" in text
    assert "GPU" not in text
    assert ("This stays:\n• The record of what you used (how much, in which server, when) stays for the "
            "operator's accounting, without your id.") in text
    assert "• You stay on the ignore lists of **Test Server**" in text
    assert text.endswith("Delete it all? This can't be undone.")

    refused = await harness.click(question, "confirm", user_id=BOB, guild=guild)
    assert "someone else's" in refused[0].content and fakefish.requests_for("model_delete") == []
    await harness.click(question, "confirm", user_id=ANN, guild=guild)
    sent = await asyncio.wait_for(command, 10)

    voices = anns_data["voices"]
    deleted = sorted(r.path for r in fakefish.requests_for("model_delete"))
    assert deleted == sorted(f"/model/{v}" for v in voices)
    assert not set(voices) & set(fakefish.voices)
    assert await bot.voice_owners.of_user(ANN) == []
    assert await bot.store.user_namespaces(ANN) == []
    dictionary = await bot.store.get_guild(guild.id, DICTIONARY_NAMESPACE, PronunciationSettings)
    assert list(dictionary.entries) == ["gpu"] and dictionary.added_by == {"gpu": BOB}
    # The server's moderation stays; the ledger row stays, without Ann's id.
    assert (await bot.store.get_guild(guild.id, NAMESPACE, ServerSpeech)).ignored_members == [ANN]
    assert await ledger_users(bot) == [FORGOTTEN_MEMBER]
    done = sent[-1]
    assert done.ephemeral and done.content.startswith("Done: deleted ")
    assert "without your id" in done.content and "couldn't be deleted" not in done.content

    # Nothing is left to delete now.
    command, again = await ask(harness, guild)
    await command
    assert again.content.startswith("The bot stores nothing about you that it could delete.")
    assert again.components == []


@pytest.mark.parametrize("fish", ["answers 503", "is unreachable"])
async def test_voices_fish_could_not_delete_stay_guarded(bot, harness, guild, fakefish, anns_data,
                                                         fish: str) -> None:
    voices = anns_data["voices"]
    command, question = await ask(harness, guild)
    if fish == "answers 503":
        fakefish.fail("model_delete", status=503, times=10)
    else:
        await fakefish.stop()
    await harness.click(question, "confirm", user_id=ANN, guild=guild)
    done = (await asyncio.wait_for(command, 20))[-1].content
    if fish == "is unreachable":
        await fakefish.start()  # the same port: Fish is back, with Ann's voices still on it
    fakefish.clear_faults()

    assert "These cloned voices couldn't be deleted from Fish Audio just now: " in done
    assert "**Ann one**" in done and "**Ann two**" in done and "Try `/forget-me` again later." in done
    assert set(voices) <= set(fakefish.voices)
    assert sorted(r.voice_id for r in await bot.voice_owners.of_user(ANN)) == sorted(voices)
    # The rest went; nothing became free for all: Bob still can't use them, Ann can still delete them.
    assert (await bot.store.get_user(ANN, VOICE_NAMESPACE, VoicePrefs)).voice_id is None
    refused = await harness.run("voice set", user_id=BOB, guild=guild, voice=voices[0])
    assert "that you can use" in refused[-1].content
    command, question = await ask(harness, guild)
    assert "Your cloned voices, deleted from Fish Audio too" in question.content
    await harness.click(question, "confirm", user_id=ANN, guild=guild)
    await asyncio.wait_for(command, 10)
    assert not set(voices) & set(fakefish.voices) and await bot.voice_owners.of_user(ANN) == []


async def test_no_answer_deletes_nothing_and_disables_the_buttons(bot, harness, guild, fakefish,
                                                                  anns_data) -> None:
    bot.get_cog("Meta").confirm_timeout = 0.2
    command, _question = await ask(harness, guild)
    sent = await asyncio.wait_for(command, 10)
    [answer] = [s for s in sent if s.kind == "followup"]
    assert answer.content == "Nothing was deleted (no answer in time)." and answer.ephemeral
    await wait_for(lambda: any(s.kind == "edit_original" for s in harness.sent))
    edit = [s for s in harness.sent if s.kind == "edit_original"][-1]
    assert all(Harness.component(edit, c)["disabled"] for c in ("confirm", "cancel"))
    assert set(anns_data["voices"]) <= set(fakefish.voices) and fakefish.requests_for("model_delete") == []
    assert await bot.store.user_namespaces(ANN) != []


async def test_every_line_is_in_the_members_language(bot, harness, guild, fakefish, anns_data,
                                                     pseudo_locale) -> None:
    fakefish.fail("model_delete", status=503)  # the first voice stays: its line is shown too
    command, question = await ask(harness, guild)
    await harness.click(question, "confirm", user_id=ANN, guild=guild)
    sent = await asyncio.wait_for(command, 10)
    assert len(await bot.voice_owners.of_user(ANN)) == 2
    command, again = await ask(harness, guild, user_id=BOB)  # Bob has a word and settings
    await harness.click(again, "cancel", user_id=BOB, guild=guild)
    sent += await command
    texts = shown([question, *sent])
    assert len(texts) >= 6
    data = ["Ann one", "Ann two", "Nguyen", "GPU", guild.name]
    assert pseudo.unmarked(texts, values=data) == []
