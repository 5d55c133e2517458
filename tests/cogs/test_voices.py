"""/voices and the shared voice autocompleter, through the real CommandTree against the stand-in."""

from __future__ import annotations

import asyncio
from typing import Any

import discord
import pytest
from fishaudio import AsyncFishAudio

import bot.ui.voice_autocomplete as autocomplete_module
import bot.ui.voice_cards as cards_module
from bot.storage.voice_prefs import NAMESPACE, VoicePrefs
from tests.discord_harness import Harness, Sent, wait_for
from tests.helpers.voices import ADMIN, ANN, BOB, OWNER, bot_settings, members, own_voice  # noqa: F401 (fixtures)

pytestmark = pytest.mark.usefixtures("members")
OTHER_AUTHOR = "6650f0a1c2b3d4e5f6a7b8d0"


def add_zebras(fakefish: Any, count: int) -> list[dict[str, Any]]:
    return [fakefish.add_voice(f"Zebra {i:02d}", mine=False, task_count=1000 - i) for i in range(count)]


def button(sent: Sent, custom_id: str) -> dict[str, Any]:
    return Harness.component(sent, custom_id)


def footer(sent: Sent) -> str:
    return sent.embeds[0].footer.text or ""


# --- search and pagination ---------------------------------------------------------------------


@pytest.mark.parametrize(("count", "pages", "shown"), [(0, 1, 0), (1, 1, 1), (10, 1, 10), (25, 3, 10)])
async def test_search_pages(harness, guild, fakefish, count: int, pages: int, shown: int) -> None:
    add_zebras(fakefish, count)
    sent = await harness.run("voices search", user_id=ANN, guild=guild, query="Zebra")
    page = sent[-1]
    assert page.ephemeral
    assert footer(page) == f"Page 1 of {pages} · {count} {'voice' if count == 1 else 'voices'}"
    assert len(page.embeds[0].fields) == shown
    assert button(page, "first").get("disabled") and button(page, "previous").get("disabled")
    assert bool(button(page, "next").get("disabled")) == (pages == 1)
    assert bool(button(page, "last").get("disabled")) == (pages == 1)
    if count == 0:
        assert "No voices found" in page.embeds[0].description
        assert button(page, "pick").get("disabled")


async def test_navigation_and_the_last_page(harness, guild, fakefish) -> None:
    add_zebras(fakefish, 25)
    page = (await harness.run("voices search", user_id=ANN, guild=guild, query="Zebra"))[-1]
    second = [s for s in await harness.click(page, "next", user_id=ANN, guild=guild) if s.embeds][-1]
    assert footer(second) == "Page 2 of 3 · 25 voices"
    assert second.embeds[0].fields[0].name.startswith("11. Zebra 10")
    last = [s for s in await harness.click(second, "last", user_id=ANN, guild=guild) if s.embeds][-1]
    assert footer(last) == "Page 3 of 3 · 25 voices" and len(last.embeds[0].fields) == 5
    assert button(last, "next").get("disabled") and not button(last, "first").get("disabled")
    pages_asked = [r.query.get("page_number") for r in fakefish.requests_for("model_list")]
    assert pages_asked == [["1"], ["2"], ["3"]]


async def test_filters_and_sort_reach_the_api_as_the_sdk_sends_them(harness, guild, fakefish) -> None:
    await harness.run("voices search", user_id=ANN, guild=guild, query="Zebra", tags="Calm, deep",
                      language="JA", sort="newest", page=2)
    ours = fakefish.requests_for("model_list")[0].query
    async with AsyncFishAudio(api_key="test-key", base_url=fakefish.base_url) as sdk:
        await sdk.voices.list(page_size=10, page_number=2, title="Zebra", tags=["calm", "deep"],
                              language="ja", sort_by="created_at")
    theirs = fakefish.requests_for("model_list")[-1].query
    assert {k: v for k, v in ours.items() if k != "self"} == {k: v for k, v in theirs.items() if k != "self"}
    assert ours["tag"] == ["calm", "deep"] and ours["sort_by"] == ["created_at"]


async def test_a_page_past_the_end_shows_the_last(harness, guild, fakefish) -> None:
    add_zebras(fakefish, 12)
    page = (await harness.run("voices search", user_id=ANN, guild=guild, query="Zebra", page=9))[-1]
    assert footer(page) == "Page 2 of 2 · 12 voices" and len(page.embeds[0].fields) == 2


async def test_only_the_asker_can_turn_pages(harness, guild, fakefish) -> None:
    add_zebras(fakefish, 25)
    page = (await harness.run("voices search", user_id=ANN, guild=guild, query="Zebra"))[-1]
    refused = await harness.click(page, "next", user_id=BOB, guild=guild)
    assert refused[0].ephemeral and "someone else's" in refused[0].content
    assert len(fakefish.requests_for("model_list")) == 1


async def test_the_view_disables_itself_on_timeout(harness, guild, fakefish, monkeypatch) -> None:
    monkeypatch.setattr(cards_module, "SEARCH_TIMEOUT_S", 0.2)
    add_zebras(fakefish, 25)
    await harness.run("voices search", user_id=ANN, guild=guild, query="Zebra")
    await wait_for(lambda: any(s.kind == "edit_message" for s in harness.sent))
    edit = [s for s in harness.sent if s.kind == "edit_message"][-1]
    for custom_id in ("first", "previous", "next", "last", "pick"):
        assert button(edit, custom_id)["disabled"] is True


async def test_pick_a_voice_then_use_it_hear_it_and_see_details(bot, harness, guild, fakefish) -> None:
    zebras = add_zebras(fakefish, 3)
    page = (await harness.run("voices search", user_id=ANN, guild=guild, query="Zebra"))[-1]
    card = (await harness.click(page, "pick", user_id=ANN, guild=guild, values=[zebras[1]["_id"]]))[-1]
    assert card.embeds[0].title == "Zebra 01" and card.ephemeral
    before = len(harness.sent)
    await harness.click(card, "use", user_id=ANN, guild=guild)
    await wait_for(lambda: len(harness.sent) > before)
    assert "Your voice is now **Zebra 01**" in harness.sent[before].content
    prefs = await bot.store.get_user(ANN, NAMESPACE, VoicePrefs)
    assert (prefs.voice_id, prefs.voice_name) == (zebras[1]["_id"], "Zebra 01")
    details = await harness.click(card, "details", user_id=ANN, guild=guild)
    assert details[0].embeds[0].footer.text == f"Voice id {zebras[1]['_id']}"
    # The voice's own sample (a signed URL Fish hands out) is the preview: no TTS, no credit.
    await harness.click(card, "preview", user_id=ANN, guild=guild)
    await wait_for(lambda: any(s.file_bytes() for s in harness.sent[-2:]))
    [(name, audio)] = [f for s in harness.sent[-2:] for f in s.file_bytes()]
    assert name == "sample.mp3" and audio == fakefish.requests_for("sample")[-1].audio
    assert any(s.content == "**Zebra 01**'s own sample:" and s.ephemeral for s in harness.sent[-2:])
    assert not fakefish.requests_for("tts")


async def test_preview_falls_back_to_tts_when_the_sample_url_expired(bot, harness, guild, fakefish) -> None:
    zebras = add_zebras(fakefish, 2)
    fakefish.sample_url_ttl = -60  # the signed URLs in the listing have already expired
    page = (await harness.run("voices search", user_id=ANN, guild=guild, query="Zebra"))[-1]
    card = (await harness.click(page, "pick", user_id=ANN, guild=guild, values=[zebras[1]["_id"]]))[-1]
    await harness.click(card, "preview", user_id=ANN, guild=guild)
    await wait_for(lambda: bool(fakefish.requests_for("tts")))
    assert fakefish.requests_for("sample")[-1].status == 403
    request = fakefish.requests_for("tts")[-1]
    assert request.body["reference_id"] == zebras[1]["_id"]
    assert request.body["text"] == "Hello, I am Zebra 01."  # the voice's own sample text


async def test_preview_speaks_in_the_members_voice_channel(bot, harness, guild, fakefish) -> None:
    voice_channel = guild.add_channel("Voice", kind=2)
    guild.put_in_voice(ANN, voice_channel)
    zebra = add_zebras(fakefish, 1)[0]
    page = (await harness.run("voices search", user_id=ANN, guild=guild, query="Zebra"))[-1]
    card = (await harness.click(page, "pick", user_id=ANN, guild=guild, values=[zebra["_id"]]))[-1]
    before = len(harness.sent)
    await harness.click(card, "preview", user_id=ANN, guild=guild)
    await wait_for(lambda: any("Speaking now" in s.content for s in harness.sent[before:]))
    session = bot.voice_sessions.get(guild.id)
    assert session is not None
    await wait_for(lambda: len(session.voice.packets) > 5)
    # The voice's own sample is what plays: fetched from its signed URL, never synthesised.
    assert fakefish.requests_for("sample")[-1].status == 200 and not fakefish.requests_for("tts")
    await wait_for(lambda: session.clips_played == 1)
    await bot.usage.drain()
    assert (await bot.usage.member_today(ANN, guild.id)).used["tts_bytes"] == 0


async def test_preview_in_voice_speaks_with_tts_without_a_sample(bot, harness, guild, fakefish) -> None:
    voice_channel = guild.add_channel("Voice", kind=2)
    guild.put_in_voice(ANN, voice_channel)
    zebra = fakefish.add_voice("Zebra Plain", mine=False, samples=[])
    page = (await harness.run("voices search", user_id=ANN, guild=guild, query="Zebra Plain"))[-1]
    card = (await harness.click(page, "pick", user_id=ANN, guild=guild, values=[zebra["_id"]]))[-1]
    await harness.click(card, "preview", user_id=ANN, guild=guild)
    await wait_for(lambda: bool(fakefish.requests_for("tts")))
    assert fakefish.requests_for("tts")[-1].body["reference_id"] == zebra["_id"]


# --- info and mine -----------------------------------------------------------------------------


async def test_info_shows_the_voice(harness, guild, fakefish) -> None:
    voice = fakefish.add_voice("Narrator", mine=False, description="Deep and calm", tags=["calm", "male"],
                               languages=["en", "ja"], task_count=1234, like_count=56,
                               cover_image="https://example.com/cover.png")
    sent = await harness.run("voices info", user_id=ANN, guild=guild, voice=voice["_id"])
    embed = sent[-1].embeds[0]
    fields = {f.name: f.value for f in embed.fields}
    assert embed.title == "Narrator" and embed.description == "Deep and calm"
    assert fields["Tags"] == "calm, male" and fields["Languages"] == "en, ja"
    assert fields["Visibility"] == "public" and fields["Used"] == "1,234 times" and fields["Likes"] == "56"
    assert fields["Sample text"] == "Hello, I am Narrator." and "Created" in fields
    assert embed.thumbnail.url == "https://example.com/cover.png"


async def test_info_hides_another_members_private_voice(bot, harness, guild, fakefish) -> None:
    private = await own_voice(bot, fakefish, ANN, "Ann private")
    sent = await harness.run("voices info", user_id=BOB, guild=guild, voice=private)
    assert "that you can use" in sent[-1].content
    sent = await harness.run("voices info", user_id=ANN, guild=guild, voice=private)
    assert sent[-1].embeds[0].title == "Ann private"
    missing = await harness.run("voices info", user_id=ANN, guild=guild, voice="0" * 32)
    assert "that you can use" in missing[-1].content


async def test_mine_lists_only_the_members_own_voices(bot, harness, guild, fakefish) -> None:
    await own_voice(bot, fakefish, ANN, "Ann one")
    await own_voice(bot, fakefish, ANN, "Ann two", visibility="public")
    await own_voice(bot, fakefish, BOB, "Bob one")
    embed = (await harness.run("voices mine", user_id=ANN, guild=guild))[-1].embeds[0]
    assert sorted(f.name for f in embed.fields) == ["Ann one", "Ann two"]
    empty = (await harness.run("voices mine", user_id=OWNER, guild=guild))[-1].embeds[0]
    assert "haven't cloned" in empty.description


# --- edit and delete ---------------------------------------------------------------------------


ADMIN_PERMS = discord.Permissions(administrator=True).value


@pytest.mark.parametrize(("user_id", "allowed"), [(ANN, True), (BOB, False), (OWNER, True), (ADMIN, False)])
async def test_edit_permission_matrix(bot, harness, guild, fakefish, user_id: int,
                                      allowed: bool) -> None:
    voice_id = await own_voice(bot, fakefish, ANN, "Ann voice")
    perms = ADMIN_PERMS if user_id == ADMIN else None
    sent = await harness.run("voices edit", user_id=user_id, guild=guild, permissions=perms, voice=voice_id,
                             title="Renamed", visibility="unlist")
    updates = fakefish.requests_for("model_update")
    record = await bot.voice_owners.get(voice_id)
    assert record is not None
    if allowed:
        assert "Updated **Renamed**" in sent[-1].content
        assert updates[-1].form("title") == ["Renamed"] and updates[-1].form("visibility") == ["unlist"]
        assert (record.title, record.visibility) == ("Renamed", "unlist")
        assert fakefish.voices[voice_id]["title"] == "Renamed"
    else:
        assert "only change voices you cloned" in sent[-1].content
        assert updates == [] and record.title == "Ann voice"


@pytest.mark.parametrize(("user_id", "allowed"), [(ANN, True), (BOB, False), (OWNER, True), (ADMIN, False)])
async def test_delete_permission_matrix(bot, harness, guild, fakefish, user_id: int,
                                        allowed: bool) -> None:
    voice_id = await own_voice(bot, fakefish, ANN, "Ann voice")
    perms = ADMIN_PERMS if user_id == ADMIN else None
    task = asyncio.create_task(harness.run("voices delete", user_id=user_id, guild=guild, permissions=perms,
                                           voice=voice_id))
    if allowed:
        await wait_for(lambda: any("for good" in s.content for s in harness.sent))
        prompt = next(s for s in harness.sent if "for good" in s.content)
        await harness.click(prompt, "confirm", user_id=user_id, guild=guild)
    sent = await asyncio.wait_for(task, 5)
    gone = await bot.voice_owners.get(voice_id) is None
    if allowed:
        assert "Deleted **Ann voice**" in sent[-1].content
        assert gone and voice_id not in fakefish.voices
    else:
        assert "only change voices you cloned" in sent[-1].content
        assert not gone and voice_id in fakefish.voices and fakefish.requests_for("model_delete") == []


async def test_delete_cancelled_keeps_everything(bot, harness, guild, fakefish) -> None:
    voice_id = await own_voice(bot, fakefish, ANN, "Keep me")
    task = asyncio.create_task(harness.run("voices delete", user_id=ANN, guild=guild, voice=voice_id))
    await wait_for(lambda: any("for good" in s.content for s in harness.sent))
    await harness.click(next(s for s in harness.sent if "for good" in s.content), "cancel", user_id=ANN,
                        guild=guild)
    sent = await asyncio.wait_for(task, 5)
    assert "Nothing was deleted." in sent[-1].content
    assert voice_id in fakefish.voices and await bot.voice_owners.get(voice_id) is not None


async def test_edit_needs_something_to_change(bot, harness, guild, fakefish) -> None:
    voice_id = await own_voice(bot, fakefish, ANN, "Ann voice")
    sent = await harness.run("voices edit", user_id=ANN, guild=guild, voice=voice_id)
    assert "Tell me what to change" in sent[-1].content


# --- the shared autocompleter ------------------------------------------------------------------


async def test_autocomplete_order_limits_and_cache(bot, harness, guild, fakefish) -> None:
    mine = await own_voice(bot, fakefish, ANN, "Zed mine")
    await own_voice(bot, fakefish, BOB, "Zed bob private")
    server_zed = "5e" * 16
    await bot.store.update_guild(guild.id, NAMESPACE, {"voice_id": server_zed, "voice_name": "Zed server"},
                                 model=VoicePrefs)
    for i in range(30):
        fakefish.add_voice(f"Zed library {i:02d}", mine=False)
    fakefish.add_voice("Zed " + "long " * 40, mine=False, task_count=10**6)

    choices = await harness.autocomplete("speak", "voice", user_id=ANN, guild=guild, voice="zed")
    assert len(choices) == 25
    assert choices[0] == {"name": "Zed mine (yours)", "value": mine}
    assert choices[1] == {"name": "Zed server (server default)", "value": server_zed}
    assert all(len(c["name"]) <= 100 for c in choices)
    assert not any("bob" in c["name"] for c in choices)
    asked = len(fakefish.requests_for("model_list"))
    again = await harness.autocomplete("voices info", "voice", user_id=ANN, guild=guild, voice="zed")
    assert again == choices and len(fakefish.requests_for("model_list")) == asked  # served from the cache


async def test_autocomplete_falls_back_to_local_choices(bot, harness, guild, fakefish,
                                                        monkeypatch) -> None:
    mine = await own_voice(bot, fakefish, ANN, "Quokka mine")
    fakefish.add_voice("Quokka library", mine=False)
    fakefish.fail("model_list", status=503, times=5)
    choices = await harness.autocomplete("speak", "voice", user_id=ANN, guild=guild, voice="quokka")
    assert choices == [{"name": "Quokka mine (yours)", "value": mine}]

    monkeypatch.setattr(autocomplete_module, "LIBRARY_TIMEOUT_S", 0.2)
    fakefish.clear_faults()
    fakefish.fail("model_list", delay=2.0)
    choices = await harness.autocomplete("speak", "voice", user_id=ANN, guild=guild, voice="quokk")
    assert choices == [{"name": "Quokka mine (yours)", "value": mine}]
    fakefish.clear_faults()
    # Failures are not cached: the library is back on the next key press.
    choices = await harness.autocomplete("speak", "voice", user_id=ANN, guild=guild, voice="quokka")
    assert [c["name"] for c in choices] == ["Quokka mine (yours)", "Quokka library"]


# --- window-limited listings and covers (§0 of the API notes) -------------------------------------


async def test_capped_search_says_so_and_never_shows_an_empty_page(harness, guild, fakefish) -> None:
    fakefish.library.max_offset = 20  # Fish only lets a broad query page this deep
    add_zebras(fakefish, 34)
    page = (await harness.run("voices search", user_id=ANN, guild=guild, query="Zebra"))[-1]
    capped = "Page 1 of 2 · showing the first 20 of many — refine the search"
    assert footer(page) == capped
    await harness.click(page, "last", user_id=ANN, guild=guild)
    await wait_for(lambda: harness.sent[-1].embeds and footer(harness.sent[-1]).startswith("Page 2"))
    last = harness.sent[-1]
    assert footer(last) == "Page 2 of 2 · showing the first 20 of many — refine the search"
    assert len(last.embeds[0].fields) == 10 and button(last, "next").get("disabled")
    deep = (await harness.run("voices search", user_id=ANN, guild=guild, query="Zebra", page=50))[-1]
    assert footer(deep).startswith("Page 2 of 2") and len(deep.embeds[0].fields) == 10
    asked = [r.query["page_number"][0] for r in fakefish.requests_for("model_list")]
    assert asked == ["1", "2", "50", "2"]


async def test_an_overestimated_window_steps_back_to_the_last_full_page(harness, guild, fakefish) -> None:
    zebras = add_zebras(fakefish, 25)
    first = [fakefish.published(v) for v in zebras[:10]]
    # A first answer that overestimates how far the results go (total not exact).
    fakefish.fail("model_list", status=200, body={
        "total": 5000, "items": first, "has_more": True, "total_is_exact": False, "window_limited": True,
        "max_offset": 1000, "accessible_upper_bound": 1000,
    })
    page = (await harness.run("voices search", user_id=ANN, guild=guild, query="Zebra"))[-1]
    assert footer(page) == "Page 1 of 100 · showing the first 1,000 of many — refine the search"
    await harness.click(page, "last", user_id=ANN, guild=guild)
    await wait_for(lambda: harness.sent[-1].embeds and footer(harness.sent[-1]).startswith("Page 3"))
    last = harness.sent[-1]
    assert footer(last) == "Page 3 of 3 · 25 voices" and len(last.embeds[0].fields) == 5
    assert [r.query["page_number"][0] for r in fakefish.requests_for("model_list")] == ["1", "100", "3"]


async def test_relative_covers_become_cdn_thumbnails(bot, harness, guild, fakefish,
                                                     monkeypatch) -> None:
    voice = fakefish.add_voice("Covered", mine=False)
    assert voice["cover_image"] == f"coverimage/{voice['_id']}"  # what Fish sends
    sent = await harness.run("voices info", user_id=ANN, guild=guild, voice=voice["_id"])
    assert sent[-1].embeds[0].thumbnail.url == f"https://public-platform.r2.fish.audio/coverimage/{voice['_id']}"
    monkeypatch.setattr(bot.settings.fish, "cdn_base", "https://cdn.example.test/fish/")
    page = (await harness.run("voices search", user_id=ANN, guild=guild, query="Covered"))[-1]
    await harness.click(page, "pick", user_id=ANN, guild=guild, values=[voice["_id"]])
    await wait_for(lambda: bool(harness.sent[-1].embeds) and harness.sent[-1].embeds[0].title == "Covered")
    card = harness.sent[-1]
    assert card.embeds[0].thumbnail.url == f"https://cdn.example.test/fish/coverimage/{voice['_id']}"
