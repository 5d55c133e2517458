"""One parse of a voice id wherever one is accepted: any spelling of another member's private voice
other than nothing at all is "no such voice", refused before Fish is asked. Through the real
CommandTree against the Fish stand-in; what Fish was asked is read from its recorded requests."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from typing import Any

import discord
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.fish import parse_voice_id
from bot.storage.voice_prefs import NAMESPACE, VoicePrefs
from tests.discord_harness import FakeGuild, Harness, Sent, snowflake
from tests.helpers.voices import ANN, BOB, bot_settings, members, own_voice  # noqa: F401 (fixtures)

pytestmark = pytest.mark.usefixtures("members")
MANAGE = discord.Permissions(manage_guild=True).value
# Requests that name one voice: its path, or its `reference_id`.
NAMING = ("model_get", "model_update", "model_delete", "tts", "tts_live")

SPELLINGS: dict[str, Callable[[str, str], str]] = {
    "suffix #": lambda v, other: v + "#",
    "suffix ?": lambda v, other: v + "?x=1",
    "suffix /": lambda v, other: v + "/",
    "suffix %23": lambda v, other: v + "%23",
    "prefix ./": lambda v, other: "./" + v,
    "upper case": lambda v, other: v.upper(),
    "surrounding spaces": lambda v, other: f" {v} ",
    "a second id after #": lambda v, other: f"{other}#{v}",
    "its id, then a second after #": lambda v, other: f"{v}#{other}",
    "zero-width space inside": lambda v, other: v[:16] + "\u200b" + v[16:],
    "zero-width joiner after": lambda v, other: v + "\u200d",
    "byte-order mark before": lambda v, other: "\ufeff" + v,
}

# Each command that takes a voice, with what else it needs and what the refusal says.
COMMANDS: dict[str, tuple[dict[str, Any], str]] = {
    "voice set": ({}, "that you can use"),
    "voices info": ({}, "that you can use"),
    "speak": ({"text": "hello there"}, "that you can use"),
    "settings voice": ({}, "that you can use"),
    "voices edit": ({"title": "Mine now"}, "only change voices you cloned"),
    "voices delete": ({}, "only change voices you cloned"),
}


def naming(fakefish: Any, voice_id: str, since: int = 0) -> list[Any]:
    """Requests since `since` that mention `voice_id` anywhere: path, query or body."""
    return [r for r in fakefish.requests[since:] if voice_id in repr((r.path, r.query, r.body))]


def fish_asked_about_a_voice(fakefish: Any, since: int) -> list[Any]:
    """Requests since `since` that name one voice (whichever)."""
    return [r for r in fakefish.requests[since:] if r.endpoint in NAMING]


async def run(harness: Harness, guild: FakeGuild, command: str, user_id: int, voice: str) -> list[Sent]:
    extra, _refusal = COMMANDS[command]
    return await harness.run(command, user_id=user_id, guild=guild, voice=voice,
                             permissions=MANAGE if command == "settings voice" else None, **extra)


@pytest.fixture
def no_cooldowns(bot: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The cooldowns' clock moves an hour per use: many commands in a row are each refused or
    allowed for what they are, never for coming too quickly."""
    ticks = itertools.count(1_000_000_000, 3600)
    monkeypatch.setattr(bot.cooldowns, "_clock", lambda: float(next(ticks)))


@pytest.mark.parametrize("command", list(COMMANDS))
async def test_no_spelling_of_a_private_voice_reaches_fish(bot, harness, guild, fakefish,
                                                           no_cooldowns, command: str) -> None:
    anns = await own_voice(bot, fakefish, ANN, "Ann's own voice")
    library = fakefish.add_voice("Library Voice", mine=False)["_id"]
    refusal = COMMANDS[command][1]
    for name, spell in SPELLINGS.items():
        for user_id in (BOB, ANN):  # not even the owner: only the exact id is an id
            since = len(fakefish.requests)
            sent = await run(harness, guild, command, user_id, spell(anns, library))
            assert sent[-1].ephemeral and refusal in sent[-1].content, (name, user_id, sent[-1].content)
            assert fish_asked_about_a_voice(fakefish, since) == [], (name, user_id)
    # Bob's exact use of Ann's id is refused the same way, and Fish never hears of it.
    sent = await run(harness, guild, command, BOB, anns)
    assert refusal in sent[-1].content and naming(fakefish, anns) == []
    assert (await bot.store.get_user(BOB, NAMESPACE, VoicePrefs)).voice_id is None
    assert (await bot.store.get_guild(guild.id, NAMESPACE, VoicePrefs)).voice_id is None
    assert fakefish.voices[anns]["title"] == "Ann's own voice"


async def test_the_exact_id_still_works_for_its_owner(bot, harness, guild, fakefish) -> None:
    anns = await own_voice(bot, fakefish, ANN, "Ann's own voice")
    sent = await harness.run("voice set", user_id=ANN, guild=guild, voice=anns)
    assert "Your voice is now **Ann's own voice**" in sent[-1].content
    assert [r.path for r in fakefish.requests_for("model_get")] == [f"/model/{anns}"]


async def test_someone_elses_private_voice_on_fish_is_no_voice(bot, harness, guild,
                                                               fakefish) -> None:
    """Fish answers 403 for another account's private voice (the stand-in follows the OpenAPI
    document): to the member, that is a missing voice like any other."""
    theirs = next(v["_id"] for v in fakefish.voices.values()
                  if v["visibility"] == "private" and v["author"]["_id"] != fakefish.user_id)
    sent = await harness.run("voices info", user_id=BOB, guild=guild, voice=theirs)
    assert "that you can use" in sent[-1].content
    assert fakefish.requests_for("model_get")[-1].status == 403


async def test_an_unrecorded_private_voice_of_the_operator_is_nobodys(bot, harness, guild,
                                                                     fakefish) -> None:
    """A private voice on the operator's account that no member is recorded to own (made on Fish's
    website, or left behind by an older /forget-me) is handed to no member."""
    orphan = fakefish.add_voice("Left behind", visibility="private")["_id"]
    sent = await harness.run("voice set", user_id=BOB, guild=guild, voice=orphan)
    assert "that you can use" in sent[-1].content
    assert (await bot.store.get_user(BOB, NAMESPACE, VoicePrefs)).voice_id is None
    shared = fakefish.add_voice("Shared by link", visibility="unlist")["_id"]
    sent = await harness.run("voice set", user_id=BOB, guild=guild, voice=shared)
    assert "Your voice is now **Shared by link**" in sent[-1].content


def spellings_of(*voice_ids: str) -> st.SearchStrategy[str]:
    """Inputs a member could send: the ids themselves, the ids with text around or inside them
    and in other cases, and text of any kind."""
    junk = st.text(max_size=4)
    ids = st.sampled_from(voice_ids)
    cased = ids.flatmap(lambda v: st.sampled_from([v, v.upper(), v.title(), v.swapcase()]))
    around = st.tuples(junk, cased, junk).map("".join)
    inside = st.tuples(ids, st.integers(0, 32), junk).map(lambda t: t[0][: t[1]] + t[2] + t[0][t[1]:])
    return st.one_of(ids, around, inside, st.text(max_size=40),
                     st.from_regex(r"[0-9a-fA-F#?/%.\s]{28,36}", fullmatch=True))


async def test_only_the_exact_id_of_a_usable_voice_ever_reaches_fish(bot, harness, guild,
                                                                     fakefish, no_cooldowns) -> None:
    """Property: whatever a member types as a voice, a voice the member may not use is never named
    to Fish; Fish is asked about a voice only when the text is exactly a voice id, and then about
    that id alone; what gets saved is a voice the member may use."""
    anns = await own_voice(bot, fakefish, ANN, "Ann's own voice")
    unlisted = await own_voice(bot, fakefish, ANN, "Ann unlisted", visibility="unlist")
    public = await own_voice(bot, fakefish, ANN, "Ann public", visibility="public")
    library = fakefish.add_voice("Library Voice", mine=False)["_id"]
    usable = {public, library}
    loop = asyncio.get_running_loop()
    reached = 0  # examples that did reach Fish (the property is not vacuous)

    async def attempt(command: str, typed: str) -> tuple[list[Sent], list[Any], str | None]:
        member = snowflake()  # a new member each time
        guild.add_member(member, f"m{member}")
        since = len(fakefish.requests)
        sent = await run(harness, guild, command, member, typed)
        saved = (await bot.store.get_user(member, NAMESPACE, VoicePrefs)).voice_id
        return sent, fakefish.requests[since:], saved

    @settings(max_examples=150, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(command=st.sampled_from(["voice set", "voices info", "settings voice", "speak"]),
           typed=spellings_of(anns, unlisted, public, library).filter(bool))
    def property_holds(command: str, typed: str) -> None:
        nonlocal reached
        sent, requests, saved = asyncio.run_coroutine_threadsafe(attempt(command, typed), loop).result(60)
        assert sent and (sent[-1].ephemeral or sent[-1].files), (command, typed)
        for private in (anns, unlisted):
            assert not [r for r in requests if private in repr((r.path, r.query, r.body))], (command, typed)
        asked = [r for r in requests if r.endpoint in NAMING]
        if parse_voice_id(typed) is None:  # not exactly an id: refused before Fish is asked
            assert asked == [], (command, typed)
        for request in asked:  # asked about exactly what was typed (an unknown id: Fish says so)
            assert request.path == f"/model/{typed}" or (request.body or {}).get("reference_id") == typed
        assert saved in (None, *usable)
        reached += bool(asked)

    await asyncio.to_thread(property_holds)
    assert reached > 0
    assert (await bot.store.get_guild(guild.id, NAMESPACE, VoicePrefs)).voice_id in (None, *usable)
