"""Keeping the connection to Fish warm: the bot pre-connects at start-up, and the first request
after that travels on the same TCP connection (no new handshake; with TLS, none of it either)."""

from __future__ import annotations

from tests.discord_harness import snowflake, wait_for


async def test_start_up_pre_connects_and_the_first_speech_reuses_the_connection(
    bot, harness, guild, fakefish
) -> None:
    await wait_for(lambda: any(method == "HEAD" for method, _, _ in fakefish.peers))
    (warm_port,) = {port for method, _, port in fakefish.peers if method == "HEAD"}
    assert all(r.headers.get("authorization") is None for r in fakefish.requests)  # no key sent

    member = guild.add_member(snowflake(), "Alice")
    guild.put_in_voice(member, guild.add_channel("Voice", kind=2))
    await harness.run("speak", user_id=member, guild=guild, text="First words after start-up.")
    await wait_for(lambda: any(path == "/v1/tts" for _, path, _ in fakefish.peers))
    tts_ports = [port for _, path, port in fakefish.peers if path == "/v1/tts"]
    assert tts_ports == [warm_port]


async def test_warming_an_unreachable_fish_is_harmless(fakefish) -> None:
    from bot.fish import FishClient

    client = FishClient(api_key="test-key", base_url="http://127.0.0.1:9")  # nothing listens
    try:
        await client.warm()  # logged at debug, never raised
    finally:
        await client.close()
