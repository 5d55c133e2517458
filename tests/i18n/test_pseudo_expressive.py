"""/voices design, /scene and /speak-help run through the real command tree in the pseudo-locale:
every reply, error, embed, button, select and modal they show must come from the catalog. Cue
names are the models' tokens (data, shown in code spans or as they are written), like the names
members give voices and speakers. One reply of each is also checked in Japanese against its
catalog text."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from bot.expressive import cues
from tests.bot_fixtures import make_settings
from tests.discord_harness import FakeGuild, Sent, snowflake, wait_for
from tests.helpers.scene import Cast, put_in_voice, reply, scene
from tests.helpers.voice_design import DESCRIPTION, answer, design
from tests.i18n import pseudo

ANN = 4242
S1_LAST_DAY, S1_RETIRED = date(2026, 12, 30), date(2026, 12, 31)


@pytest.fixture
def bot_settings(fakefish: Any, tmp_path: Path) -> Settings:
    fakefish.ms_per_char = 10.0  # short clips keep the tests quick
    return make_settings(
        fakefish.base_url, tmp_path,
        speak={"stall_timeout_s": 2.0, "idle_timeout_s": 60.0, "alone_leave_delay_s": 5.0},
        fish={"timeout_s": 5.0, "max_retries": 0}, scene={"max_speakers": 3, "max_chars": 300},
    )


@pytest.fixture(autouse=True)
def no_cooldowns(bot: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests run each command many times in a row: its cooldown is not what they check."""
    async def spend(*args: Any) -> float:
        return 0.0

    monkeypatch.setattr(bot.cooldowns, "spend", spend)


@pytest.fixture
async def cast(bot: Any, guild: FakeGuild, fakefish: Any) -> Cast:
    people = Cast(bot, guild, fakefish)
    await people.give_voices()
    return people


def _walk(components: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for component in components:
        yield component
        yield from _walk(component.get("components", []))
        if isinstance(component.get("component"), dict):  # a modal's Label wraps its input
            yield from _walk([component["component"]])


def seen(sent: list[Sent]) -> list[str]:
    """Every piece of text a member reads in these responses, modals included."""
    texts = []
    for item in sent:
        data = item.data
        texts += [t for t in (item.content, data.get("title")) if t]
        for embed in item.embeds:
            texts += [t for t in (embed.title, embed.description, embed.footer.text) if t]
            for field in embed.fields:
                texts += [field.name or "", field.value or ""]
        for component in _walk(item.components):
            texts += [component[key] for key in ("label", "placeholder", "text") if component.get(key)]
            texts += [option["label"] for option in component.get("options", [])]
    return texts


@pytest.mark.usefixtures("pseudo_locale")
async def test_voice_design_is_all_translated(bot, harness, guild, fakefish) -> None:
    guild.add_member(ANN, "ann")
    sent: list[Sent] = []
    sent += await design(harness, guild, description="   ")
    sent += await design(harness, guild, description="x" * 2001)
    sent += await design(harness, guild, description=DESCRIPTION, language="english!")
    offer = answer(await design(harness, guild, description=DESCRIPTION))
    sent.append(offer)
    sent += await harness.click(offer, "play-0", user_id=ANN, guild=guild)  # not in a voice channel
    channel = guild.add_channel("Studio", kind=2)
    guild.put_in_voice(ANN, channel)
    sent += await harness.click(offer, "play-2", user_id=ANN, guild=guild)
    session = bot.voice_sessions.get(guild.id)
    await wait_for(lambda: session is not None and session.clips_played == 1)
    update = (await harness.click(offer, "visibility", user_id=ANN, guild=guild, values=["unlist"]))[-1]
    sent.append(update)
    [modal] = await harness.click(update, "save-1", user_id=ANN, guild=guild)
    sent.append(modal)
    saved = await harness.submit_modal(modal, {"title": "Gravel"}, user_id=ANN, guild=guild)
    card = next(s for s in saved if s.embeds)
    sent += saved
    sent += await harness.click(update, "save-0", user_id=ANN, guild=guild)  # already saved one
    fakefish.fail("voice_design", status=402)
    sent += await design(harness, guild, description=DESCRIPTION)
    texts = seen(sent)
    assert len(texts) >= 25
    # The description and the voice's title and id are the member's words and Fish's data.
    voice_id = next(v for v in fakefish.voices if v in card.text)
    assert pseudo.unmarked(texts, values=[DESCRIPTION, "Gravel", voice_id]) == []
    await session.close()


@pytest.mark.usefixtures("pseudo_locale")
async def test_scene_is_all_translated(bot, harness, guild, cast, fakefish, set_today) -> None:
    set_today(S1_LAST_DAY)  # s1 is still itself: one voice per request
    sent: list[Sent] = []
    [modal] = await harness.run("scene", user_id=cast.ann, guild=guild)
    assert len(seen([modal])) == 3  # its title, the field's label and its example script
    sent.append(modal)
    for script in ("just words", "Ann:", "A: 1\nB: 2\nC: 3\nD: 4", "Ann: " + "x" * 301,
                   "Ann: Hi.\nZed: Hey.\nThe Ghost: Boo.", "Ann: [whispering]"):
        sent += await scene(harness, guild, cast.ann, script)
    sent += await scene(harness, guild, cast.ann, f"Ann: One.\n<@{cast.bob}>: Two.", model="s1", as_file=True)
    set_today(S1_RETIRED)
    retired = await harness.run("scene", user_id=cast.ann, guild=guild, model="s1")
    assert retired[-1].ephemeral and "s2.1-pro" in retired[-1].content  # no longer offered
    sent += retired
    sent += await scene(harness, guild, cast.ann, f"Ann: One.\n<@{cast.bob}>: Two.", as_file=True)
    put_in_voice(guild, cast.ann)
    sent += await scene(harness, guild, cast.ann, f"Ann: One.\n<@{cast.bob}>: Two.")
    sent += await scene(harness, guild, cast.ann, "Ann: Alone.")
    session = bot.voice_sessions.get(guild.id)
    await wait_for(lambda: session is not None and session.clips_played == 2)
    texts = seen(sent)
    assert len(texts) >= 12
    # Speakers quoted back are what the member wrote; the channel's mention is Discord's.
    quoted = ["Zed", "The Ghost", "Ann", "just words", "x" * 39 + "…"]
    assert pseudo.unmarked(texts, values=[*quoted, "[whispering]"]) == []
    await session.close()


@pytest.mark.usefixtures("pseudo_locale")
async def test_speak_help_is_all_translated(bot, harness, guild, fakefish) -> None:
    user_id = guild.add_member(snowflake(), "Alice")
    sent: list[Sent] = []
    for model in ("drama-3-preview", "s2.1-pro", "s1"):
        help_reply = (await harness.run("speak-help", user_id=user_id, guild=guild, model=model))[-1]
        sent.append(help_reply)
    drama = sent[0]
    sent += await harness.click(drama, "cue-16", user_id=user_id, guild=guild)  # <whisper>: translated label
    sent += await harness.click(drama, "cue-0", user_id=user_id, guild=guild)
    texts = seen(sent)
    labels = [c["label"] for c in _walk(drama.components) if c.get("label")]
    assert any("⟦" in label for label in labels)  # drama-3's tags are described in the member's language
    # The cue words are the models' tokens (data), the language names CLDR's (Babel: English in
    # the pseudo-locale); every sentence around them is translated.
    names = [cues.language_name(code) for code in cues.DRAMA_LANGUAGE_CODES.values()]
    data = sorted({*cues.BRACKET_CUES, *cues.S1_EMOTIONS, *names}, key=len, reverse=True)
    assert pseudo.unmarked(texts, values=data) == []
    assert fakefish.requests_for("tts")  # the previews really spoke


def test_the_checker_lets_neighbouring_code_spans_through() -> None:
    assert pseudo.unmarked(["`[sad]` `[calm]` `<whisper>…</whisper>`"]) == []
    assert pseudo.unmarked(["`[sad]` plain `[calm]`"]) == ["plain"]


async def test_replies_in_japanese(bot, harness, guild, cast, fakefish) -> None:
    harness.locale = "ja"
    unknown = reply(await scene(harness, guild, cast.ann, "Ann: Hi.\nZed: Hey."))
    assert unknown.content.startswith("**Zed** が誰かわかりません。話し手はメンバー")
    offer = answer(await design(harness, guild, cast.ann, description=DESCRIPTION))
    assert offer.content.startswith(f"「{DESCRIPTION}」の声を4件作りました。")
    labels = [c["label"] for c in _walk(offer.components) if c.get("label")]
    assert labels[:2] == ["1を保存", "2を保存"] and "1をボイスで再生" in labels
    help_reply = (await harness.run("speak-help", user_id=cast.ann, guild=guild, model="drama-3-preview"))[-1]
    embed = help_reply.embeds[0]
    assert embed.title == "drama-3-preview の演技キュー"
    assert "whisper（中の言葉に適用）" in [c["label"] for c in _walk(help_reply.components) if c.get("label")]
    # drama-3's language tags are named in the member's language (CLDR, through Babel).
    choices = await harness.autocomplete("speak", "style", user_id=cast.ann, guild=guild, text="hi",
                                         model="drama-3-preview", style="french")
    assert "<french>…</french>  フランス語で" in [c["name"] for c in choices]
