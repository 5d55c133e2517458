"""/speak says the names of the members its text mentions, also those the bot has never seen: a
string option carries only `<@id>`, so they are fetched from Discord (GET /guilds/{id}/members/{id}
through discord.py's own HTTP path, answered by the harness), remembered, and said as "someone"
when Discord doesn't know them there or can't be asked."""

from __future__ import annotations

from typing import Any

from tests.discord_harness import DiscordApi, FakeGuild, Harness, snowflake


async def said(harness: Harness, guild: FakeGuild, user_id: int, text: str, fakefish: Any) -> str:
    """What Fish was asked to say for a /speak (not in voice: the clip comes back as a file)."""
    await harness.run("speak", user_id=user_id, guild=guild, text=text)
    return [r for r in fakefish.requests if r.endpoint == "tts"][-1].body["text"]


async def test_a_mentioned_member_the_bot_has_not_seen_is_said_by_name(bot, harness, guild, fakefish) -> None:
    alice = guild.add_member(snowflake(), "Alice")
    rosalind = guild.add_member(snowflake(), "Rosalind", cached=False)
    assert guild.sync().get_member(rosalind) is None  # only `<@id>` reaches the bot
    api = DiscordApi.of(bot)

    assert await said(harness, guild, alice, f"Hi <@{rosalind}>", fakefish) == "Hi Rosalind"
    assert api.requests == [("GET", f"/guilds/{guild.id}/members/{rosalind}")]
    # Remembered: the next text naming her asks Discord nothing.
    assert await said(harness, guild, alice, f"Bye <@{rosalind}>", fakefish) == "Bye Rosalind"
    assert len(api.requests) == 1


async def test_a_mention_discord_cannot_name_is_said_as_someone(bot, harness, guild, fakefish) -> None:
    alice = guild.add_member(snowflake(), "Alice")
    api = DiscordApi.of(bot)
    stranger = snowflake()  # not a member of this server: 404 Unknown Member
    assert await said(harness, guild, alice, f"Hi <@{stranger}>", fakefish) == "Hi someone"
    assert await said(harness, guild, alice, f"Hi again <@{stranger}>", fakefish) == "Hi again someone"
    assert len(api.requests) == 1  # "not a member" is remembered too

    api.down = True  # Discord failing: the current wording, and asked again next time
    rosalind = guild.add_member(snowflake(), "Rosalind", cached=False)
    assert await said(harness, guild, alice, f"Hello <@{rosalind}>", fakefish) == "Hello someone"
    api.down = False
    assert await said(harness, guild, alice, f"Hello <@{rosalind}>", fakefish) == "Hello Rosalind"
    assert api.requests[-2:] == [("GET", f"/guilds/{guild.id}/members/{rosalind}")] * 2


async def test_a_text_full_of_mentions_fetches_only_a_few(bot, harness, guild, fakefish) -> None:
    alice = guild.add_member(snowflake(), "Alice")
    others = [guild.add_member(snowflake(), f"Member{i}", cached=False) for i in range(8)]
    text = " ".join(f"<@{member}>" for member in others)
    words = (await said(harness, guild, alice, text, fakefish)).split()
    assert words == [f"Member{i}" for i in range(5)] + ["someone"] * 3
    assert len(DiscordApi.of(bot).requests) == 5
