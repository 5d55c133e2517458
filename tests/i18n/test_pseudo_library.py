"""/voices and /clone through the real command tree in the pseudo-locale: every reply, embed,
button, menu, modal and autocomplete label the bot writes must come from the catalog. What Fish
sends about a voice (title, description, author, tags, language codes, sample text, id) and what
the member typed are data, passed as `values`; so are Babel-formatted durations (CLDR, not the
catalog: tests/i18n/test_formatting.py covers them)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import discord
import pytest

from bot.config import Settings
from bot.i18n import using_language
from bot.i18n.formatting import duration
from bot.storage.voice_prefs import NAMESPACE, VoicePrefs
from tests.bot_fixtures import make_settings
from tests.discord_harness import FakeGuild, Sent, message_payload, wait_for
from tests.helpers.clone import last_edit, start_clone
from tests.helpers.pseudo_locale import shown
from tests.i18n import pseudo

pytestmark = pytest.mark.usefixtures("pseudo_locale")

ANN, BOB, OWNER = 4242, 5353, 6464


@pytest.fixture
def bot_settings(fakefish: Any, tmp_path: Path) -> Settings:
    return make_settings(fakefish.base_url, tmp_path, owner_ids=[OWNER],
                         fish={"timeout_s": 5.0, "max_retries": 0},
                         clone={"min_seconds": 2.0, "training_poll_s": 0.05, "training_timeout_s": 5.0},
                         quotas={"clones_per_member": 20})


@pytest.fixture
def members(guild: FakeGuild) -> None:
    for user_id, name in ((ANN, "ann"), (BOB, "bob"), (OWNER, "owner")):
        guild.add_member(user_id, name)


def everything_shown(sent: Iterable[Sent]) -> list[str]:
    """What `shown` collects, plus menus (placeholders, options) and modals (title, inputs)."""
    sent = list(sent)
    texts = shown(sent)
    for item in sent:
        if item.data.get("title"):  # a modal
            texts.append(item.data["title"])
        for component in _walk(item.components):
            texts += [component[key] for key in ("placeholder", "label") if component.get(key)
                      and component.get("type") != 2]  # buttons' labels are in `shown` already
            texts += [option["label"] for option in component.get("options", [])]
    return texts


def _walk(components: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for component in components:
        yield component
        yield from _walk(component.get("components") or [])


def voice_data(fakefish: Any) -> list[str]:
    """Everything Fish says about its voices that the bot shows as it is (tags and language codes
    as the bot lists them, so that a short tag cannot hide a word of the bot's own)."""
    values: list[Any] = []
    for voice in fakefish.voices.values():
        tags, languages = voice.get("tags") or [], voice.get("languages") or []
        # (some of the stand-in's seeded voices leave fields out, as Fish's sometimes do)
        values += [voice["_id"], voice.get("title"), voice.get("description"), ", ".join(tags),
                   ", ".join(tags[:4]), ", ".join(languages)]
        values += [s["text"] for s in voice.get("samples") or [] if s.get("text")]
        values.append((voice.get("author") or {}).get("nickname"))
    # Longest first, so a title is removed before a shorter title it contains.
    return sorted({v for v in values if isinstance(v, str) and v}, key=len, reverse=True)


def durations() -> list[str]:
    with using_language(pseudo.LANGUAGE):
        return [duration(seconds) for seconds in range(600, 0, -1)]


def assert_all_translated(sent: Iterable[Sent], values: Iterable[str]) -> None:
    texts = everything_shown(sent)
    assert texts, "nothing was shown"
    assert pseudo.unmarked(texts, values=list(values)) == []


# --- /voices -----------------------------------------------------------------------------------


async def test_browsing_the_library_is_all_translated(bot, harness, guild, members, fakefish) -> None:
    zebras = [fakefish.add_voice(f"Zebra {i:02d}", mine=False, task_count=1000 - i, like_count=i,
                                 tags=["calm", "deep"], languages=["en", "ja"], description=f"Striped {i}")
              for i in range(25)]
    plain = fakefish.add_voice("Quiet Plain", mine=False, samples=[])
    training = fakefish.add_voice("Still Training", state="training")
    sent: list[Sent] = []
    page = (await harness.run("voices search", user_id=ANN, guild=guild, query="Zebra"))[-1]
    second = [s for s in await harness.click(page, "next", user_id=ANN, guild=guild) if s.embeds][-1]
    assert second.embeds[0].fields[0].name.startswith("11. Zebra 10")
    last = [s for s in await harness.click(second, "last", user_id=ANN, guild=guild) if s.embeds][-1]
    sent += [page, second, last]
    sent += await harness.click(last, "first", user_id=BOB, guild=guild)  # not Bob's buttons
    sent += await harness.run("voices search", user_id=ANN, guild=guild, query="Zebra", tags="calm",
                              language="ja", sort="newest")
    sent += await harness.run("voices search", user_id=ANN, guild=guild, query="Nothing Like It")
    sent += await harness.run("voices search", user_id=ANN, guild=guild)

    # The view now shows the last page (voices 21 to 25).
    card = (await harness.click(last, "pick", user_id=ANN, guild=guild, values=[zebras[22]["_id"]]))[-1]
    sent.append(card)
    sent += await harness.click(last, "pick", user_id=ANN, guild=guild, values=[zebras[3]["_id"]])
    assert not sent[-1].embeds  # no longer on the page shown
    sent += await harness.click(card, "details", user_id=ANN, guild=guild)
    before = len(harness.sent)
    await harness.click(card, "use", user_id=ANN, guild=guild)
    await harness.click(card, "preview", user_id=ANN, guild=guild)  # the voice's own sample
    await wait_for(lambda: any(s.files for s in harness.sent[before:]))
    sent += harness.sent[before:]
    assert (await bot.store.get_user(ANN, NAMESPACE, VoicePrefs)).voice_id == zebras[22]["_id"]

    # No sample: the preview is spoken (and sent as a file, Ann not being in a voice channel).
    page = (await harness.run("voices search", user_id=ANN, guild=guild, query="Quiet Plain"))[-1]
    card = (await harness.click(page, "pick", user_id=ANN, guild=guild, values=[plain["_id"]]))[-1]
    before = len(harness.sent)
    await harness.click(card, "preview", user_id=ANN, guild=guild)
    await wait_for(lambda: any(s.files for s in harness.sent[before:]))
    sent += [page, card, *harness.sent[before:]]
    # The greeting it spoke is the bot's words, in the member's language.
    assert fakefish.requests_for("tts")[-1].body["text"].startswith("⟦")

    sent += await harness.run("voices info", user_id=ANN, guild=guild, voice=zebras[0]["_id"])
    sent += await harness.run("voices info", user_id=ANN, guild=guild, voice=training["_id"])
    sent += await harness.run("voices info", user_id=ANN, guild=guild, voice="0" * 32)
    info = sent[-3].embeds[0]
    assert len(info.fields) >= 7 and info.footer.text
    # (what Ann typed is shown only inside the bot's sentences)
    assert_all_translated(sent, voice_data(fakefish))


async def test_a_capped_listing_and_the_autocomplete_are_translated(bot, harness, guild, members,
                                                                   fakefish) -> None:
    fakefish.library.max_offset = 20
    for i in range(34):
        fakefish.add_voice(f"Zebra {i:02d}", mine=False)
    page = (await harness.run("voices search", user_id=ANN, guild=guild, query="Zebra"))[-1]
    assert page.embeds[0].footer.text != "Page 1 of 2 · showing the first 20 of many — refine the search"
    assert_all_translated([page], [*voice_data(fakefish), "Zebra"])

    mine = fakefish.add_voice("Zed mine")
    await bot.voice_owners.record(voice_id=mine["_id"], user_id=ANN, guild_id=None, title="Zed mine",
                                     visibility="private")
    await bot.store.update_guild(guild.id, NAMESPACE, {"voice_id": "5e" * 16, "voice_name": "Zed server"},
                                 model=VoicePrefs)
    choices = await harness.autocomplete("speak", "voice", user_id=ANN, guild=guild, voice="zed")
    names = [choice["name"] for choice in choices[:2]]
    assert len(names) == 2
    assert pseudo.unmarked(names, values=["Zed mine", "Zed server"]) == []
    assert all(len(choice["name"]) <= 100 for choice in choices)
    # A delivery style in the member's own words (the cue names after it are expressive's).
    own = await harness.autocomplete("speak", "style", user_id=ANN, guild=guild, text="hi",
                                     style="sleepy pirate")
    assert own[0]["value"] == "sleepy pirate"
    assert pseudo.unmarked([own[0]["name"]], values=["sleepy pirate"]) == []
    longest = ("sleepy pirate " * 6)[:80].strip()  # the longest style; the lengthened note must fit
    own = await harness.autocomplete("speak", "style", user_id=ANN, guild=guild, text="hi", style=longest)
    assert own[0]["value"] == longest and len(own[0]["name"]) <= 100


async def test_mine_edit_and_delete_are_all_translated(bot, harness, guild, members, fakefish) -> None:
    sent: list[Sent] = []
    sent += await harness.run("voices mine", user_id=ANN, guild=guild)  # none yet
    owners = bot.voice_owners
    ids = []
    for i, visibility in zip(range(27), ["private", "unlist", "public"] * 9, strict=True):
        voice = fakefish.add_voice(f"Ann voice {i:02d}", visibility=visibility)
        await owners.record(voice_id=voice["_id"], user_id=ANN, guild_id=None, title=voice["title"],
                            visibility=visibility)
        ids.append(voice["_id"])
    mine = (await harness.run("voices mine", user_id=ANN, guild=guild))[-1]
    assert len(mine.embeds[0].fields) == 25 and mine.embeds[0].footer.text  # "and 2 more"
    sent.append(mine)
    sent += await harness.run("voices edit", user_id=ANN, guild=guild, voice=ids[0])  # nothing to change
    sent += await harness.run("voices edit", user_id=ANN, guild=guild, voice=ids[0], title="Renamed")
    sent += await harness.run("voices edit", user_id=BOB, guild=guild, voice=ids[1], title="Mine now")
    sent += await harness.run("voices edit", user_id=OWNER, guild=guild, voice="0" * 32, title="X")
    sent += await harness.run("voices edit", user_id=ANN, guild=guild, voice=ids[1], title="x" * 65)

    for answer in ("cancel", "confirm"):
        before = len(harness.sent)
        task = asyncio.create_task(harness.run("voices delete", user_id=ANN, guild=guild, voice=ids[2]))
        await wait_for(lambda before=before: any(s.components for s in harness.sent[before:]))
        prompt = next(s for s in harness.sent[before:] if s.components)
        await harness.click(prompt, answer, user_id=ANN, guild=guild)
        sent += [prompt, *await asyncio.wait_for(task, 5)]
    assert ids[2] not in fakefish.voices
    assert_all_translated(sent, [*voice_data(fakefish), "Renamed", "Ann voice 02"])


# --- /clone ------------------------------------------------------------------------------------
# (tests/cogs/test_clone.py finds the consent prompt by its English; here it is found by its button)


async def consent(harness: Any, before: int) -> Sent:
    def prompt() -> Sent | None:
        return next((s for s in harness.sent[before:]
                     if any(c.get("custom_id") == "confirm" for c in _walk(s.components))), None)
    await wait_for(lambda: prompt() is not None)
    found = prompt()
    assert found is not None
    return found


async def clone(harness: Any, guild: FakeGuild, samples: list[dict[str, Any]], *, answer: str = "confirm",
                user_id: int = ANN, **options: Any) -> list[Sent]:
    before = len(harness.sent)
    task = start_clone(harness, guild, samples, user_id=user_id, **options)
    await harness.click(await consent(harness, before), answer, user_id=user_id, guild=guild)
    await asyncio.wait_for(task, 15)
    return harness.sent[before:]


async def test_a_clone_from_consent_to_the_card_is_all_translated(bot, harness, guild, members, cdn,
                                                                  media, fakefish) -> None:
    fakefish.training_seconds = 0.3  # so the progress message shows "training"
    sent = await clone(harness, guild, [cdn.attachment(media.bytes("sine.mp3"), "a.mp3")])
    done = last_edit(harness)
    assert done.embeds and len(done.embeds[0].fields) == 3
    assert any(s.kind == "edit_message" and "Ann's voice" in s.content for s in sent)  # progress
    sent += await harness.click(done, "use", user_id=ANN, guild=guild)
    prompt = sent[0] if sent[0].components else sent[1]
    assert "Ann's voice" in prompt.content and prompt.content.startswith("⟦")
    values = ["Ann's voice", *durations()]
    assert_all_translated(sent, values)

    # Declined, and a Fish failure while creating (the bot owner has no cooldown).
    sent = await clone(harness, guild, [cdn.attachment(media.bytes("sine.mp3"), "b.mp3")], user_id=OWNER,
                       answer="cancel")
    fakefish.fail("model_create", status=402)
    sent += await clone(harness, guild, [cdn.attachment(media.bytes("sine.mp3"), "c.mp3")], user_id=OWNER)
    assert fakefish.requests_for("model_create")[-1].status == 402
    assert_all_translated([*sent, last_edit(harness)], values)


async def test_training_that_fails_is_translated(bot, harness, guild, members, cdn, media,
                                                 fakefish) -> None:
    fakefish.train_outcome = "failed"
    await clone(harness, guild, [cdn.attachment(media.bytes("sine.mp3"), "a.mp3")])
    done = last_edit(harness)
    assert not done.embeds and "Ann's voice" in done.content
    assert_all_translated([done], ["Ann's voice"])


@pytest.mark.parametrize("options", [
    {"title": "   "},
    {"title": "x" * 65},
    {"transcript": "only one"},
    {"visibility": "public"},
    {"tags": ",".join(f"t{i}" for i in range(11))},
    {"tags": "x" * 31},
    {"description": "d" * 501},
])
async def test_option_problems_are_translated(harness, guild, members, cdn, media, fakefish,
                                              options: dict[str, Any]) -> None:
    samples = [cdn.attachment(media.bytes("sine.mp3"), "a.mp3"),
               cdn.attachment(media.bytes("sine.wav"), "b.wav")]
    sent = await start_clone(harness, guild, samples, **options)
    assert sent[-1].ephemeral and sent[-1].content.startswith("⟦")
    assert fakefish.requests_for("model_create") == []
    assert_all_translated(sent, [])


@pytest.mark.parametrize("name", ["short.mp3", "silence.wav", "long.ogg", "png-named.mp3", "empty.mp3",
                                  "truncated.mp3"])
async def test_sample_problems_are_translated(harness, guild, members, cdn, media, name: str) -> None:
    sent = await start_clone(harness, guild, [cdn.attachment(media.bytes(name), name)])
    assert f"`{name}`" in sent[-1].content
    assert_all_translated(sent, [])


async def test_an_oversized_sample_is_translated(harness, guild, members, cdn) -> None:
    sent = await start_clone(harness, guild, [cdn.attachment(b"x", "big.wav", size=21 * 1024 * 1024)])
    assert "`big.wav`" in sent[-1].content and cdn.downloads == []
    assert_all_translated(sent, [])


async def test_a_cover_that_is_not_an_image_is_translated(harness, guild, members, cdn, media) -> None:
    cover = cdn.attachment(media.bytes("sine.mp3"), "cover.mp3", content_type="audio/mpeg")
    sent = await start_clone(harness, guild, [cdn.attachment(media.bytes("sine.mp3"), "a.mp3")], cover=cover)
    assert "`cover.mp3`" in sent[-1].content
    assert_all_translated(sent, [])


async def test_the_context_menu_and_its_modal_are_translated(harness, guild, members, cdn, media,
                                                             fakefish) -> None:
    menu = "Clone voice from this message"  # each member may use it once a minute; the owner at will
    sent: list[Sent] = []
    nothing = message_payload(guild, author_id=ANN, content="no audio here")
    sent += await harness.context_menu(menu, message=nothing, user_id=ANN, guild=guild)
    too_many = message_payload(guild, author_id=ANN, attachments=[
        cdn.attachment(media.bytes("sine.mp3"), f"{i}.mp3") for i in range(4)])
    sent += await harness.context_menu(menu, message=too_many, user_id=BOB, guild=guild)
    one = message_payload(guild, author_id=ANN,
                          attachments=[cdn.attachment(media.bytes("sine.mp3"), "a.mp3")])

    modal = (await harness.context_menu(menu, message=one, user_id=OWNER, guild=guild))[-1]
    inputs = [c for c in _walk(modal.components) if c.get("type") == 4]
    assert len(inputs) == 2 and modal.data["title"].startswith("⟦")
    # Two transcripts for one sample: refused from the modal's own task, in the member's language.
    sent += [modal, *await harness.submit_modal(modal, {"title": "From my message", "transcript": "a | b"},
                                                user_id=OWNER, guild=guild)]
    assert sent[-1].ephemeral and sent[-1].content.startswith("⟦")

    modal = (await harness.context_menu(menu, message=one, user_id=OWNER, guild=guild))[-1]
    before = len(harness.sent)
    submitted = harness.start_submit_modal(modal, {"title": "From my message"}, user_id=OWNER, guild=guild)
    await harness.click(await consent(harness, before), "confirm", user_id=OWNER, guild=guild)
    await submitted
    sent += [modal, *harness.sent[before:]]
    assert last_edit(harness).embeds and fakefish.requests_for("model_create")
    assert_all_translated(sent, ["From my message", *durations()])


async def test_unanswered_consent_is_translated(harness, guild, members, cdn, media, fakefish,
                                                monkeypatch) -> None:
    monkeypatch.setattr(sys.modules["cogs.clone"], "CONSENT_TIMEOUT_S", 0.2)
    sample = cdn.attachment(media.bytes("sine.mp3"), "a.mp3")
    sent = await asyncio.wait_for(start_clone(harness, guild, [sample]), 10)
    assert fakefish.requests_for("model_create") == []
    assert_all_translated([*sent, last_edit(harness)], ["Ann's voice", *durations()])


CREATED = datetime(2026, 12, 1, tzinfo=UTC)


def test_the_checker_sees_discord_timestamps_and_ids_as_allowed() -> None:
    """/voices mine shows `id` · visibility · <t:…:D>; only the visibility is words."""
    line = f"`abc123` · {pseudo.pseudo('private')} · {discord.utils.format_dt(CREATED, 'D')}"
    assert pseudo.unmarked([line]) == []
    assert pseudo.unmarked(["`abc123` · private"]) == ["private"]
