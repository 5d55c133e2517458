"""/voices and /clone in Japanese and Korean through the real command tree: replies, errors,
embeds, buttons and the modal read as the catalogs say; counts and numbers follow the language."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from tests.bot_fixtures import make_settings
from tests.discord_harness import FakeGuild, Harness, Sent, message_payload, wait_for
from tests.helpers.clone import last_edit, start_clone

ANN, OWNER = 4242, 6464


@pytest.fixture
def bot_settings(fakefish: Any, tmp_path: Path) -> Settings:
    return make_settings(fakefish.base_url, tmp_path, owner_ids=[OWNER],
                         fish={"timeout_s": 5.0, "max_retries": 0},
                         clone={"min_seconds": 2.0, "training_poll_s": 0.05, "training_timeout_s": 5.0})


@pytest.fixture
def members(guild: FakeGuild) -> None:
    guild.add_member(ANN, "ann")
    guild.add_member(OWNER, "owner")


def label(sent: Sent, custom_id: str) -> str:
    """A button's label or a menu's placeholder."""
    component = Harness.component(sent, custom_id)
    return str(component.get("label") or component.get("placeholder"))


async def test_voices_in_japanese(bot, harness, guild, members, fakefish) -> None:
    harness.locale = "ja"
    for i in range(25):
        fakefish.add_voice(f"Zebra {i:02d}", mine=False, task_count=1234, tags=["calm"])
    page = (await harness.run("voices search", user_id=ANN, guild=guild, query="Zebra"))[-1]
    embed = page.embeds[0]
    assert embed.title == "Fish Audioのボイス"
    assert embed.description == "「Zebra」 · 使用回数の多い順"
    assert embed.fields[0].name.startswith("1. Zebra ")  # the title is Fish's data, untouched
    assert embed.fields[0].value == "作成：someone · 1,234回使用 · calm"
    assert embed.footer.text == "1/3ページ · 25件のボイス"
    assert (label(page, "previous"), label(page, "next"), label(page, "pick")) == \
        ("‹ 前へ", "次へ ›", "ボイスを選んで試聴・使用")

    # An error, and the empty /voices mine embed.
    refused = await harness.run("voices edit", user_id=ANN, guild=guild, voice="0" * 32, title="x")
    assert refused[-1].content == ("変更できるのは、このボットで自分がクローンしたボイスだけです。"
                                   "`/voices mine` で確認できます。")
    mine = (await harness.run("voices mine", user_id=ANN, guild=guild))[-1].embeds[0]
    assert mine.title == "あなたのボイス"
    assert mine.description == "まだボイスをクローンしていません。`/clone` を試してみてください。"

    # A reply from a button, and the delete confirmation.
    voice = fakefish.add_voice("Ann voice", visibility="private")
    await bot.voice_owners.record(voice_id=voice["_id"], user_id=ANN, guild_id=None, title="Ann voice",
                                     visibility="private")
    task = asyncio.create_task(harness.run("voices delete", user_id=ANN, guild=guild, voice=voice["_id"]))
    await wait_for(lambda: any(s.components for s in harness.sent[-2:]))
    prompt = next(s for s in reversed(harness.sent) if s.components)
    assert prompt.content == ("**Ann voice** をFish Audioから完全に削除しますか？ "
                              "使っている人は使えなくなります。")
    assert (label(prompt, "confirm"), label(prompt, "cancel")) == ("削除する", "キャンセル")
    await harness.click(prompt, "confirm", user_id=ANN, guild=guild)
    assert (await asyncio.wait_for(task, 5))[-1].content == "**Ann voice** を削除しました。"


async def test_voice_info_in_korean(harness, guild, members, fakefish) -> None:
    harness.locale = "ko"
    voice = fakefish.add_voice("Narrator", mine=False, tags=["calm"], languages=["en", "ja"],
                               task_count=1234, like_count=5600, visibility="public")
    embed = (await harness.run("voices info", user_id=ANN, guild=guild, voice=voice["_id"]))[-1].embeds[0]
    fields = {f.name: f.value for f in embed.fields}
    assert fields["사용 횟수"] == "1,234회" and fields["좋아요"] == "5,600"
    assert fields["공개 범위"] == "공개" and fields["언어"] == "en, ja" and fields["태그"] == "calm"
    assert embed.footer.text == f"목소리 ID {voice['_id']}"
    training = fakefish.add_voice("Brand New", state="training")
    refused = await harness.run("voices info", user_id=ANN, guild=guild, voice=training["_id"])
    assert refused[-1].content == ("그 목소리는 Fish Audio에서 아직 학습 중이에요(또는 학습에 실패했어요). "
                                   "준비가 끝나면 말할 수 있어요.")


async def test_clone_in_korean(harness, guild, members, cdn, media, fakefish) -> None:
    harness.locale = "ko"
    samples = [cdn.attachment(media.bytes("sine.mp3"), "a.mp3"),
               cdn.attachment(media.bytes("sine.wav"), "b.wav")]
    refused = await start_clone(harness, guild, samples, user_id=OWNER, transcript="only one")
    assert refused[-1].content == ("전사문은 모든 샘플에 주거나 아예 주지 마세요. 샘플 2개에 1개를 받았어요. "
                                   "샘플 순서대로 `|`로 구분하세요.")

    before = len(harness.sent)
    task = start_clone(harness, guild, samples[:1], user_id=OWNER, title="Ann's voice")
    await wait_for(lambda: any(s.components for s in harness.sent[before:]))
    prompt = next(s for s in harness.sent[before:] if s.components)
    assert prompt.content.startswith("**업로드하기 전에:** 내 목소리나 주인이 동의한 목소리만 복제하세요.")
    assert re.search(r"\n\n목소리 \*\*Ann's voice\*\*\(비공개\): 샘플 1개, 오디오 \d+초\.$", prompt.content)
    assert label(prompt, "confirm") == "이 목소리를 복제할 권리가 있어요"
    await harness.click(prompt, "confirm", user_id=OWNER, guild=guild)
    await asyncio.wait_for(task, 15)
    card = last_edit(harness).embeds[0]
    assert card.title == "목소리 준비 완료: Ann's voice"
    assert card.description == "`/speak voice:`로 쓰거나 아래에서 내 목소리로 정하세요."
    fields = {f.name: f.value for f in card.fields}
    assert fields["공개 범위"] == "비공개" and re.fullmatch(r"1 · \d+초", str(fields["샘플"]))
    done = last_edit(harness)
    assert (label(done, "preview"), label(done, "use")) == ("미리 듣기", "내 목소리로 쓰기")


async def test_clone_modal_and_plurals_in_japanese(harness, guild, members, cdn, media, fakefish) -> None:
    harness.locale = "ja"
    menu = "Clone voice from this message"
    one = message_payload(guild, author_id=OWNER,
                          attachments=[cdn.attachment(media.bytes("sine.mp3"), "a.mp3")])
    modal = (await harness.context_menu(menu, message=one, user_id=OWNER, guild=guild))[-1]
    assert modal.data["title"] == "ボイスをクローン"
    inputs = {c["custom_id"]: c for row in modal.components for c in row["components"]}
    assert inputs["title"]["label"] == "新しいボイスのタイトル"
    assert inputs["transcript"]["placeholder"] == "サンプルごとに1つ、| で区切って入力（空欄でも可）"
    too_many = message_payload(guild, author_id=OWNER, attachments=[
        cdn.attachment(media.bytes("sine.mp3"), f"{i}.mp3") for i in range(4)])
    refused = await harness.context_menu(menu, message=too_many, user_id=OWNER, guild=guild)
    assert refused[-1].content == "サンプルが4個あります。上限は3個です。"
