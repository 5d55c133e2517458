"""/clone and "Clone voice from this message", through the real CommandTree against the Fish
stand-in, with real audio from a local attachment CDN. Every path that must not spend anything
is checked at the stand-in: no model_create request."""

from __future__ import annotations

import asyncio
import sys
import tempfile
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from fishaudio import AsyncFishAudio

from bot.config import Settings
from bot.media import encoded_bound, probe
from bot.media import ffmpeg as media_ffmpeg
from bot.media import jobs as media_jobs
from bot.media.jobs import MediaJobs
from bot.storage.voice_prefs import NAMESPACE, VoicePrefs
from tests.attachments import VOICE_MESSAGE_FLAG, FakeCDN
from tests.bot_fixtures import make_settings
from tests.discord_harness import FakeGuild, Harness, Sent, message_payload, wait_for
from tests.helpers.clone import ANN, BOB, OWNER, last_edit, start_clone
from tests.media_samples import MediaSamples


@pytest.fixture
def bot_settings(fakefish: Any, tmp_path: Path) -> Settings:
    return make_settings(fakefish.base_url, tmp_path, owner_ids=[OWNER],
                         fish={"timeout_s": 5.0, "max_retries": 0},
                         clone={"min_seconds": 2.0, "training_poll_s": 0.05, "training_timeout_s": 5.0},
                         quotas={"clones_per_member": 3})


@pytest.fixture
def members(guild: FakeGuild) -> None:
    for user_id, name in ((ANN, "ann"), (BOB, "bob"), (OWNER, "owner")):
        guild.add_member(user_id, name)


async def consent_prompt(harness: Harness, before: int = 0) -> Sent:
    def prompt() -> Sent | None:
        return next((s for s in harness.sent[before:] if "right to clone" in s.content), None)
    await wait_for(lambda: prompt() is not None)
    found = prompt()
    assert found is not None
    return found


async def clone_with_consent(harness: Harness, guild: FakeGuild, samples: list[dict[str, Any]],
                             **options: Any) -> Sent:
    before = len(harness.sent)
    task = start_clone(harness, guild, samples, **options)
    prompt = await consent_prompt(harness, before)
    await harness.click(prompt, "confirm", user_id=options.get("user_id", ANN), guild=guild)
    await task
    return last_edit(harness)


def created_voice_id(done: Sent) -> str:
    embed = done.embeds[0]
    assert embed.title and embed.title.startswith("Voice ready")
    field = next(f for f in embed.fields if f.name == "Voice id")
    return str(field.value).strip("`")


# --- the happy paths ---------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "content_type"), [("sine.mp3", "audio/mpeg"), ("sine.wav", "audio/wav"),
                                                    ("sine.ogg", "audio/ogg"), ("sine.m4a", "audio/mp4"),
                                                    ("voice-message.ogg", "audio/ogg")])
async def test_clone_uploads_accepted_formats_as_they_are(bot, harness, guild, members, cdn: FakeCDN,
                                                          media: MediaSamples, fakefish, name: str,
                                                          content_type: str) -> None:
    data = media.bytes(name)
    done = await clone_with_consent(harness, guild, [cdn.attachment(data, name, content_type=content_type)])
    voice_id = created_voice_id(done)
    request = fakefish.requests_for("model_create")[-1]
    assert [p.data for p in request.files("voices")] == [data]
    assert voice_id in fakefish.voices
    record = await bot.voice_owners.get(voice_id)
    assert record is not None
    assert (record.user_id, record.guild_id, record.title) == (ANN, guild.id, "Ann's voice")


async def test_other_formats_are_converted_to_mp3_and_leave_nothing_on_disk(harness, guild, members, cdn,
                                                                            media, fakefish, tmp_path,
                                                                            monkeypatch) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    done = await clone_with_consent(harness, guild, [cdn.attachment(media.bytes("sine.flac"), "a.flac",
                                                                    content_type="audio/flac")])
    created_voice_id(done)
    uploaded = fakefish.requests_for("model_create")[-1].files("voices")[0].data
    assert uploaded[:2] == b"\xff\xfb"  # an MPEG-1 Layer III frame, no tags
    assert list(scratch.iterdir()) == []
    out = tmp_path / "uploaded.mp3"
    out.write_bytes(uploaded)
    info = await probe(out, name="uploaded.mp3")
    assert (info.codec, info.sample_rate, info.channels) == ("mp3", 44100, 1)
    assert info.claimed_s == pytest.approx(info.duration_s, abs=0.1) == pytest.approx(8, abs=0.1)


async def test_multipart_is_what_the_official_sdk_sends(harness, guild, members, cdn, media,
                                                        fakefish) -> None:
    samples = [cdn.attachment(media.bytes("sine.mp3"), "one.mp3"),
               cdn.attachment(media.bytes("speech.wav"), "two.wav", content_type="audio/wav")]
    cover = cdn.attachment(media.bytes("picture.png"), "cover.png", content_type="image/png")
    done = await clone_with_consent(harness, guild, samples, title="Duo",
                                    transcript="first words | second words", description="two clips",
                                    tags="Calm, deep, calm", visibility="public",
                                    enhance=False, cover=cover)
    voice_id = created_voice_id(done)
    # Fish answers with a CDN-relative cover path; the card shows it as a thumbnail.
    assert fakefish.voices[voice_id]["cover_image"] == f"coverimage/{voice_id}"
    assert done.embeds[0].thumbnail.url == f"https://public-platform.r2.fish.audio/coverimage/{voice_id}"
    ours = fakefish.requests_for("model_create")[-1]
    async with AsyncFishAudio(api_key="test-key", base_url=fakefish.base_url) as sdk:
        await sdk.voices.create(
            title="Duo", voices=[p.data for p in ours.files("voices")], description="two clips",
            texts=["first words", "second words"], tags=["calm", "deep"], visibility="public",
            train_mode="fast", enhance_audio_quality=False, cover_image=media.bytes("picture.png"),
        )
    theirs = fakefish.requests_for("model_create")[-1]
    assert [(p.name, p.filename, p.content_type, p.data) for p in ours.parts] == \
        [(p.name, p.filename, p.content_type, p.data) for p in theirs.parts]
    assert ours.form("enhance_audio_quality") == ["false"] and ours.form("visibility") == ["public"]


async def test_clone_from_a_voice_message_via_the_context_menu(bot, harness, guild, members, cdn, media,
                                                               fakefish) -> None:
    message = message_payload(guild, author_id=ANN, flags=VOICE_MESSAGE_FLAG, attachments=[
        cdn.attachment(media.bytes("voice-message.ogg"), "voice-message.ogg", content_type="audio/ogg",
                       voice=True, duration_secs=5.0)])
    sent = await harness.context_menu("Clone voice from this message", message=message, user_id=ANN,
                                      guild=guild)
    modal = sent[-1]
    before = len(harness.sent)
    submitted = harness.start_submit_modal(modal, {"title": "From my message"}, user_id=ANN, guild=guild)
    prompt = await consent_prompt(harness, before)
    await harness.click(prompt, "confirm", user_id=ANN, guild=guild)
    await submitted
    voice_id = created_voice_id(last_edit(harness))
    assert fakefish.voices[voice_id]["title"] == "From my message"


async def test_success_card_buttons(bot, harness, guild, members, cdn, media, fakefish) -> None:
    done = await clone_with_consent(harness, guild, [cdn.attachment(media.bytes("sine.mp3"), "a.mp3")])
    voice_id = created_voice_id(done)
    used = await harness.click(done, "use", user_id=ANN, guild=guild)
    assert "Your voice is now **Ann's voice**" in used[0].content
    prefs = await bot.store.get_user(ANN, NAMESPACE, VoicePrefs)
    assert prefs.voice_id == voice_id
    preview = await harness.click(done, "preview", user_id=ANN, guild=guild)
    assert any(name.startswith("speech.") for s in preview for name, _ in s.file_bytes())
    assert fakefish.requests_for("tts")[-1].body["reference_id"] == voice_id


# --- consent -----------------------------------------------------------------------------------


async def test_declined_consent_uploads_nothing_and_gives_the_quota_back(bot, harness, guild, members, cdn,
                                                                        media, fakefish) -> None:
    task = start_clone(harness, guild, [cdn.attachment(media.bytes("sine.mp3"), "a.mp3")])
    prompt = await consent_prompt(harness)
    refused = await harness.click(prompt, "confirm", user_id=BOB, guild=guild)
    assert "someone else's" in refused[0].content
    await harness.click(prompt, "cancel", user_id=ANN, guild=guild)
    await task
    assert last_edit(harness).content == "Nothing was uploaded (you declined)."
    assert fakefish.requests_for("model_create") == []
    await bot.usage.drain()
    assert (await bot.usage.member_today(ANN, guild.id)).used["clones"] == 0


async def test_unanswered_consent_uploads_nothing(harness, guild, members, cdn, media, fakefish,
                                                  monkeypatch) -> None:
    # load_extension imported its own copy of the module: patch the one the bot runs.
    monkeypatch.setattr(sys.modules["cogs.clone"], "CONSENT_TIMEOUT_S", 0.2)
    task = start_clone(harness, guild, [cdn.attachment(media.bytes("sine.mp3"), "a.mp3")])
    await asyncio.wait_for(task, 10)
    assert last_edit(harness).content == "Nothing was uploaded (no answer in time)."
    assert fakefish.requests_for("model_create") == []


# --- validation --------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "expected"), [
    ("png-named.mp3", "isn't an audio or video file"),
    ("empty.mp3", "is empty"),
    ("truncated.mp3", "is damaged"),
    ("silence.wav", "is silent"),
    ("short.mp3", "is only 1.5 s"),
    ("long.ogg", "longer than 300 s"),
])
async def test_bad_samples_are_refused_before_consent(harness, guild, members, cdn, media, fakefish,
                                                      name: str, expected: str) -> None:
    good = cdn.attachment(media.bytes("sine.mp3"), "good.mp3")
    sent = await start_clone(harness, guild, [good, cdn.attachment(media.bytes(name), name)])
    assert expected in sent[-1].content and f"`{name}`" in sent[-1].content and sent[-1].ephemeral
    assert not any("right to clone" in s.content for s in sent)
    assert fakefish.requests_for("model_create") == []


async def test_oversized_sample_is_not_even_downloaded(harness, guild, members, cdn, fakefish) -> None:
    sent = await start_clone(harness, guild, [cdn.attachment(b"x", "big.wav", size=21 * 1024 * 1024)])
    assert "the limit is 20 MB" in sent[-1].content
    assert cdn.downloads == [] and fakefish.requests_for("model_create") == []


@pytest.mark.parametrize(("options", "expected"), [
    ({"title": "   "}, "Give the voice a title."),
    ({"title": "x" * 65}, "keep it to 64"),
    ({"transcript": "only one"}, "Give a transcript for every sample or for none: I got 1 for 2"),
    ({"transcript": "one | "}, "I got 1 for 2"),
    ({"visibility": "public"}, "needs a cover image"),
    ({"tags": ",".join(f"t{i}" for i in range(11))}, "At most 10 tags"),
])
async def test_option_problems_are_refused_before_downloading(harness, guild, members, cdn, media, fakefish,
                                                              options: dict[str, Any], expected: str) -> None:
    samples = [cdn.attachment(media.bytes("sine.mp3"), "a.mp3"),
               cdn.attachment(media.bytes("sine.wav"), "b.wav")]
    sent = await start_clone(harness, guild, samples, **options)
    assert expected in sent[-1].content and sent[-1].ephemeral
    assert cdn.downloads == [] and fakefish.requests_for("model_create") == []


async def test_too_many_samples_in_a_message(harness, guild, members, cdn, media, fakefish) -> None:
    message = message_payload(guild, author_id=ANN, attachments=[
        cdn.attachment(media.bytes("sine.mp3"), f"{i}.mp3") for i in range(4)])
    sent = await harness.context_menu("Clone voice from this message", message=message, user_id=ANN,
                                      guild=guild)
    assert "4 samples; the limit is 3" in sent[-1].content


# --- limits and API errors ---------------------------------------------------------------------


async def test_daily_clone_quota(bot, harness, guild, members, cdn, media, fakefish, monkeypatch) -> None:
    monkeypatch.setattr(bot.settings.quotas, "clones_per_member", 1)
    sample = media.bytes("sine.mp3")
    # The bot owner has no cooldown, so the second try reaches the quota.
    first = await clone_with_consent(harness, guild, [cdn.attachment(sample, "a.mp3")], user_id=OWNER)
    created_voice_id(first)
    sent = await start_clone(harness, guild, [cdn.attachment(sample, "b.mp3")], user_id=OWNER)
    assert "daily quota of voice clones is used up" in sent[-1].content
    assert not any("right to clone" in s.content for s in sent)
    assert len(fakefish.requests_for("model_create")) == 1
    assert cdn.downloads == ["a.mp3"]  # the quota comes first: no download, no decoding


async def test_cooldown_between_clones(harness, guild, members, cdn, media) -> None:
    await clone_with_consent(harness, guild, [cdn.attachment(media.bytes("sine.mp3"), "a.mp3")])
    sent = await start_clone(harness, guild, [cdn.attachment(media.bytes("sine.mp3"), "b.mp3")])
    assert "Slow down" in sent[-1].content


async def test_a_429_puts_the_upload_back_in_line(bot, harness, guild, members, cdn, media,
                                                  fakefish) -> None:
    fakefish.fail("model_create", status=429, retry_after=0)  # refused: nothing was created
    done = await clone_with_consent(harness, guild, [cdn.attachment(media.bytes("sine.mp3"), "a.mp3")])
    assert created_voice_id(done) in fakefish.voices
    assert [r.status for r in fakefish.requests_for("model_create")] == [429, 201]
    assert len(await bot.voice_owners.of_user(ANN)) == 1


@pytest.mark.parametrize(("status", "expected"), [(402, "credit"), (422, "Fish Audio")])
async def test_api_errors_end_the_progress_message(bot, harness, guild, members, cdn, media, fakefish,
                                                   status: int, expected: str) -> None:
    fakefish.fail("model_create", status=status)
    done = await clone_with_consent(harness, guild, [cdn.attachment(media.bytes("sine.mp3"), "a.mp3")])
    assert done.content.startswith("Nothing was created:") and expected.lower() in done.content.lower()
    await bot.usage.drain()
    assert (await bot.usage.member_today(ANN, guild.id)).used["clones"] == 0
    assert await bot.voice_owners.of_user(ANN) == []


async def test_forget_me_deletes_the_voice_then_its_record(bot, harness, guild, members, cdn, media,
                                                            fakefish) -> None:
    voice_id = created_voice_id(
        await clone_with_consent(harness, guild, [cdn.attachment(media.bytes("sine.mp3"), "a.mp3")]))
    assert (await bot.forget_user(ANN)).records >= 1
    assert voice_id not in fakefish.voices
    assert fakefish.requests_for("model_delete")[-1].path == f"/model/{voice_id}"
    assert await bot.voice_owners.get(voice_id) is None


async def test_a_private_clone_is_usable_only_by_its_owner(harness, guild, members, cdn, media,
                                                           fakefish) -> None:
    voice_id = created_voice_id(
        await clone_with_consent(harness, guild, [cdn.attachment(media.bytes("sine.mp3"), "a.mp3")]))
    refused = await harness.run("speak", user_id=BOB, guild=guild, text="hello", voice=voice_id)
    assert "that you can use" in refused[-1].content and refused[-1].ephemeral
    assert fakefish.requests_for("tts") == []
    spoken = await harness.run("speak", user_id=ANN, guild=guild, text="hello", voice=voice_id)
    assert any(s.files for s in spoken)
    assert fakefish.requests_for("tts")[-1].body["reference_id"] == voice_id


async def test_unlisted_is_sent_as_the_apis_unlist(harness, guild, members, cdn, media, fakefish) -> None:
    done = await clone_with_consent(harness, guild, [cdn.attachment(media.bytes("sine.mp3"), "a.mp3")],
                                    visibility="unlist")
    fields = {f.name: f.value for f in done.embeds[0].fields}
    assert fields["Visibility"] == "unlisted"
    assert fakefish.requests_for("model_create")[-1].form("visibility") == ["unlist"]


# --- training (a new voice comes back `training`; ready only once Fish says `trained`) ---------------


async def test_ready_only_once_trained_progress_shows_training(bot, harness, guild, members, cdn, media,
                                                              fakefish) -> None:
    fakefish.training_seconds = 0.3
    done = await clone_with_consent(harness, guild, [cdn.attachment(media.bytes("sine.mp3"), "sine.mp3")])
    voice_id = created_voice_id(done)
    assert fakefish.requests_for("model_create")[-1].status == 201
    assert fakefish.voices[voice_id]["state"] == "trained"
    polls = fakefish.requests_for("model_get")
    assert len(polls) >= 2 and polls[-1].path == f"/model/{voice_id}"
    assert any(s.kind == "edit_message" and s.content.startswith("Uploaded. Fish Audio is training")
               for s in harness.sent)


@pytest.mark.parametrize(("outcome", "seconds", "said"), [
    ("failed", 0.0, "Fish Audio could not train **Ann's voice** (training failed), so nothing was kept "
                    "and your clone quota was given back. Try clearer samples of one speaker."),
    ("trained", 60.0, "Fish Audio was still training **Ann's voice** after 0.4 s, so I stopped waiting; "
                      "nothing was kept and your clone quota was given back. Try again later."),
])
async def test_failed_or_slow_training_ends_clearly_and_gives_the_quota_back(
    bot, harness, guild, members, cdn, media, fakefish, monkeypatch, outcome: str, seconds: float, said: str
) -> None:
    monkeypatch.setattr(bot.settings.clone, "training_timeout_s", 0.4)
    fakefish.train_outcome, fakefish.training_seconds = outcome, seconds
    done = await clone_with_consent(harness, guild, [cdn.attachment(media.bytes("sine.mp3"), "sine.mp3")])
    assert done.content == said and not done.embeds
    created = fakefish.requests_for("model_create")[-1]
    assert fakefish.requests_for("model_delete")  # not left half-made on the account
    assert not fakefish.voices or all(v["title"] != "Ann's voice" for v in fakefish.voices.values())
    assert created.status == 201
    await bot.usage.drain()
    assert (await bot.usage.member_today(ANN, guild.id)).used["clones"] == 0


async def test_a_voice_in_training_is_not_offered_to_speak(bot, harness, guild, members, fakefish) -> None:
    training = fakefish.add_voice("Brand New Voice", state="training")
    choices = await harness.autocomplete("speak", "voice", user_id=ANN, guild=guild, voice="Brand New")
    assert training["_id"] not in [c["value"] for c in choices]
    sent = await harness.run("speak", user_id=ANN, guild=guild, text="hi", voice=training["_id"])
    assert sent[-1].ephemeral and sent[-1].content == (
        "That voice is still being trained on Fish Audio (or its training failed): it can speak once it "
        "is ready."
    )
    assert not fakefish.requests_for("tts")


# --- uploads that can't exhaust the machine -------------------------------------------------------


class FfmpegOutput:
    """Counts the audio every ffmpeg process of bot.media hands back (its piped output; ffprobe's
    few hundred bytes of JSON aside)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.sizes: list[int] = []
        real = media_ffmpeg._run

        async def counted(args: list[str], **kwargs: Any) -> media_ffmpeg.Completed:
            result = await real(args, **kwargs)
            if args[0] == "ffmpeg":
                self.sizes.append(len(result.stdout))
            return result

        monkeypatch.setattr(media_ffmpeg, "_run", counted)

    @property
    def total(self) -> int:
        return sum(self.sizes)


class UploadPeak:
    """The traced peak when the bot calls Fish to create the voice (the call itself goes ahead)."""

    def __init__(self, bot: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        self.peak: int | None = None
        create = bot.fish.voices.create

        async def noted(**kwargs: Any) -> Any:
            self.peak = tracemalloc.get_traced_memory()[1]
            return await create(**kwargs)

        monkeypatch.setattr(bot.fish.voices, "create", noted)


def traced_bytes() -> int:
    """Python memory allocated since tracing started and still held, less Babel's locale data
    (about 4 MB, loaded once by the first reply that formats a number in a new language)."""
    snapshot = tracemalloc.take_snapshot().filter_traces([tracemalloc.Filter(False, "*/babel/*")])
    return sum(stat.size for stat in snapshot.statistics("filename"))


async def test_a_384_khz_flac_is_held_as_uploaded_and_sent_as_48_khz_mp3(
        bot, harness, guild, members, cdn, media, fakefish, monkeypatch, tmp_path) -> None:
    # Issue 24: three of these (250 KB each) were held as 3 × 230 MB of WAV through the consent wait.
    data = media.bytes("hires.flac")
    samples = [cdn.attachment(data, f"{n}.flac", content_type="audio/flac") for n in range(3)]
    output = FfmpegOutput(monkeypatch)
    peak_at_upload = UploadPeak(bot, monkeypatch)
    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        task = start_clone(harness, guild, samples)
        prompt = await consent_prompt(harness)
        peak_before_consent = tracemalloc.get_traced_memory()[1]
        held = traced_bytes()
        produced_before_consent = output.total
        await harness.click(prompt, "confirm", user_id=ANN, guild=guild)
        await task
    finally:
        tracemalloc.stop()
    created_voice_id(last_edit(harness))
    # Before consent the samples were only decoded to count and measure them: nothing was made.
    assert produced_before_consent == 0
    assert held - baseline < 2 * 1024 * 1024  # the three FLACs as uploaded (750 KB), not 690 MB
    assert peak_before_consent - baseline < 16 * 1024 * 1024
    uploaded = [p.data for p in fakefish.requests_for("model_create")[-1].files("voices")]
    assert output.total == sum(len(u) for u in uploaded) <= 3 * encoded_bound(300)
    # Everything the bot did up to the upload: the three upload forms (4.8 MB of MP3 each) and
    # their originals, not 3 × 230 MB of WAV. (The upload's own copies are the Fish client's and
    # the in-process stand-in's, sized by what is uploaded.)
    assert peak_at_upload.peak is not None and peak_at_upload.peak - baseline < 32 * 1024 * 1024
    out = tmp_path / "uploaded.mp3"
    out.write_bytes(uploaded[0])
    info = await probe(out, name="uploaded.mp3")
    assert (info.codec, info.sample_rate, info.channels) == ("mp3", 48_000, 1)
    assert info.duration_s == pytest.approx(300, abs=0.2)


@pytest.mark.parametrize(("name", "max_seconds"), [("hires.flac", 60), ("lying.flac", 30)])
async def test_a_file_that_decodes_to_far_more_is_refused_before_consent(
        bot, harness, guild, members, cdn, media, fakefish, monkeypatch, name: str, max_seconds: int) -> None:
    # hires.flac: 250 KB that decode to 5 minutes at 384 kHz; lying.flac claims 2 s and holds 60.
    monkeypatch.setattr(bot.settings.clone, "max_seconds", max_seconds)
    output = FfmpegOutput(monkeypatch)
    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        sent = await start_clone(harness, guild, [cdn.attachment(media.bytes(name), name)])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert sent[-1].content == f"`{name}` is longer than {max_seconds} s. Trim it to the clearest part."
    assert sent[-1].ephemeral and not any("right to clone" in s.content for s in sent)
    assert output.total == 0 and peak - baseline < 4 * 1024 * 1024
    assert fakefish.requests_for("model_create") == []
    await bot.usage.drain()
    assert (await bot.usage.member_today(ANN, guild.id)).used["clones"] == 0


async def test_a_conversion_over_its_output_cap_is_told_as_too_long_or_damaged(
        bot, harness, guild, members, cdn, media, fakefish, monkeypatch) -> None:
    # The cap (what `clone.max_seconds` of MP3 can take) made small enough for 8 s to run over it.
    monkeypatch.setattr(sys.modules["bot.cloning"], "encoded_bound", lambda seconds: 20_000)
    output = FfmpegOutput(monkeypatch)
    done = await clone_with_consent(harness, guild, [cdn.attachment(media.bytes("sine.flac"), "a.flac")])
    assert done.content == ("Nothing was created: `a.flac` is too long or damaged: it decodes to far more "
                            "audio than it should. Try a shorter file.")
    assert output.total == 0 and fakefish.requests_for("model_create") == []  # stopped at the cap
    await bot.usage.drain()
    assert (await bot.usage.member_today(ANN, guild.id)).used["clones"] == 0


async def test_a_full_media_line_is_a_clear_busy_before_and_after_consent(
        bot, harness, guild, members, cdn, media, fakefish, monkeypatch) -> None:
    monkeypatch.setattr(media_jobs, "JOBS", MediaJobs(limit=1, max_waiting=0))
    busy = "I'm busy processing other members' audio right now. Try again in a minute."
    async with media_jobs.slot():  # someone else's file takes the only slot
        sent = await start_clone(harness, guild, [cdn.attachment(media.bytes("sine.flac"), "a.flac")])
    assert sent[-1].content == busy and sent[-1].ephemeral

    # The FLAC is checked before consent and converted after it: the line is full by then.
    task = start_clone(harness, guild, [cdn.attachment(media.bytes("sine.flac"), "b.flac")], user_id=OWNER)
    prompt = await consent_prompt(harness, len(harness.sent))
    async with media_jobs.slot():
        await harness.click(prompt, "confirm", user_id=OWNER, guild=guild)
        await task
    assert last_edit(harness).content == f"Nothing was created: {busy}"
    assert fakefish.requests_for("model_create") == []
    await bot.usage.drain()
    for user_id in (ANN, OWNER):
        assert (await bot.usage.member_today(user_id, guild.id)).used["clones"] == 0
