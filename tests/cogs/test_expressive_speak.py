"""/speak's style, members' inline cues and /voice style, through the real CommandTree: the text
that reaches the Fish stand-in is built per model, and the stand-in's reading of that model
(tests/fakefish/expressive.py) proves no cue is ever read aloud. Files (member not in voice)
keep these tests off the voice thread; the text path is the same one voice uses."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from bot.expressive import cues
from bot.storage.models import UsageEvent
from tests.discord_harness import FakeGuild, Harness, snowflake
from tests.fakefish.expressive import performance_of
from tests.helpers.expressive import allow_cues

pytestmark = pytest.mark.usefixtures("before_s1_retires")


@pytest.fixture
def member(guild: FakeGuild) -> int:
    return guild.add_member(snowflake(), "Alice")


async def speak(harness: Harness, guild: FakeGuild, user_id: int, text: str, **options: Any) -> list[Any]:
    return await harness.run("speak", user_id=user_id, guild=guild, text=text, **options)


def last_tts(fakefish: Any) -> Any:
    return fakefish.requests_for("tts")[-1]


async def ledger(bot: Any) -> list[tuple[str, int, str]]:
    await bot.usage.drain()
    async with bot.db.session() as session:
        rows = (await session.scalars(select(UsageEvent).order_by(UsageEvent.id))).all()
    return [(r.kind, r.amount, r.outcome) for r in rows]


@pytest.mark.parametrize(("model", "style", "sent", "acted_on"), [
    ("s2.1-pro", "whispering", "[whispering] Come closer.", ["[whispering]"]),
    ("s2-pro", "tired, end of a long shift", "[tired, end of a long shift] Come closer.",
     ["[tired, end of a long shift]"]),
    ("drama-3-preview", "<whisper>", "<whisper>Come closer.</whisper>", ["<whisper>"]),
    ("s1", "whisper", "(whispering) Come closer.", ["(whispering)"]),
    ("s1", "(happy)", "(happy) Come closer.", ["(happy)"]),
])
async def test_style_is_written_for_the_model(bot, harness, guild, member, fakefish, model, style, sent,
                                              acted_on) -> None:
    replies = await speak(harness, guild, member, "Come closer.", model=model, style=style)
    assert replies[-1].files, replies[-1].content
    request = last_tts(fakefish)
    assert request.model == model and request.body["text"] == sent
    heard = performance_of(request)
    assert heard.cues == acted_on and heard.spoken == "Come closer."
    assert await ledger(bot) == [("tts_bytes", len(sent), "ok")]


async def test_a_style_the_model_lacks_is_refused_before_anything_is_spent(bot, harness, guild, member,
                                                                           fakefish) -> None:
    [refusal] = await speak(harness, guild, member, "Come closer.", model="s1", style="tired")
    assert refusal.ephemeral and "s1 only knows a fixed list of emotions" in refusal.content
    assert fakefish.requests_for("tts") == [] and await ledger(bot) == []


async def test_inline_cues_only_when_the_server_allows_them(bot, harness, guild, member, fakefish) -> None:
    text = "Well [laughing] fine <whisper>I guess</whisper>."
    await speak(harness, guild, member, text, model="s2.1-pro")
    off = performance_of(last_tts(fakefish))
    assert off.cues == [] and off.spoken == "Well (laughing) fine I guess ."

    await allow_cues(harness, guild, member)
    await speak(harness, guild, member, text, model="s2.1-pro")
    assert last_tts(fakefish).body["text"] == "Well [laughing] fine [whispering] I guess."
    await speak(harness, guild, member, text, model="drama-3-preview")
    assert last_tts(fakefish).body["text"] == "Well [laughing] fine <whisper>I guess</whisper>."
    await speak(harness, guild, member, text, model="s1")
    assert last_tts(fakefish).body["text"] == "Well (laughing) fine (whispering) I guess."
    for request in fakefish.requests_for("tts"):
        heard = performance_of(request)
        assert not any(mark in heard.spoken for mark in "[]<>"), (request.model, heard.spoken)
        if request.model == "s1":
            assert "(laughing)" not in heard.spoken


async def test_members_default_style(bot, harness, guild, member, fakefish) -> None:
    done = await harness.run("voice style", user_id=member, guild=guild, style="excited")
    assert "default style is now “excited”" in done[-1].content and done[-1].ephemeral
    await speak(harness, guild, member, "We won!")
    assert last_tts(fakefish).body["text"] == "We won!"  # the server doesn't allow cues
    await allow_cues(harness, guild, member)
    await speak(harness, guild, member, "We won!")
    assert last_tts(fakefish).body["text"] == "[excited] We won!"
    await speak(harness, guild, member, "We won!", style="calm")  # the option wins
    assert last_tts(fakefish).body["text"] == "[calm] We won!"


async def test_default_style_per_model_and_cleared(bot, harness, guild, member, fakefish) -> None:
    await harness.run("voice style", user_id=member, guild=guild, style="excited")
    await allow_cues(harness, guild, member)
    await speak(harness, guild, member, "We won!", model="s1")
    assert last_tts(fakefish).body["text"] == "(excited) We won!"
    cleared = await harness.run("voice style", user_id=member, guild=guild)
    assert "no default style" in cleared[-1].content
    await speak(harness, guild, member, "We won!")
    assert last_tts(fakefish).body["text"] == "We won!"


async def test_voice_style_checks_the_bots_model(harness, guild, member) -> None:
    refused = await harness.run("voice style", user_id=member, guild=guild, style="a]b")
    assert "A style is a short description" in refused[-1].content


async def test_style_autocomplete_follows_the_model(harness, guild, member) -> None:
    s1 = await harness.autocomplete("speak", "style", user_id=member, guild=guild, text="hi", model="s1",
                                    style="whisp")
    assert [c["value"] for c in s1] == ["whispering"]
    assert s1[0]["name"].startswith("(whispering)")
    s2 = await harness.autocomplete("speak", "style", user_id=member, guild=guild, text="hi",
                                    style="sleepy pirate")
    assert s2[0]["value"] == "sleepy pirate" and "your own words" in s2[0]["name"]
    drama = await harness.autocomplete("speak", "style", user_id=member, guild=guild, text="hi",
                                       model="drama-3-preview", style="whisper")
    assert {"whispering", "<whisper>"} <= {c["value"] for c in drama}
    plain = await harness.autocomplete("speak", "style", user_id=member, guild=guild, text="hi", style="")
    assert len(plain) == len(cues.BRACKET_CUES) and plain[0]["value"] == "whispering"
