"""Services with one owner: each shared service is built where the bot's services are built and
handed in (discord.py's advanced_startup pattern); nothing below the cogs reaches back into the
bot for one; one cache implementation; test helpers in helper modules, discord.py's private
parts in one."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from bot.client import FishBot

ROOT = Path(__file__).resolve().parent.parent


def sources(*folders: str) -> dict[str, str]:
    return {path.relative_to(ROOT).as_posix(): path.read_text(encoding="utf-8")
            for folder in folders for path in sorted((ROOT / folder).rglob("*.py"))}


def test_voice_owners_is_built_once_where_the_services_are_built() -> None:
    built = [path for path, text in sources("bot", "cogs").items() if re.search(r"\bVoiceOwners\(", text)]
    assert built == ["bot/cli.py"]


async def test_the_bot_and_its_cogs_share_one_voice_owners(bot: FishBot) -> None:
    owners = bot.voice_owners
    assert bot.speech.stale._owners is owners and bot.core_member_data._owners is owners
    assert bot.voice_choices.owners is owners
    for name in ("Voices", "Clone"):
        assert bot.get_cog(name).owners is owners  # type: ignore[union-attr]
    # Narration resolves voices through the speech preparer, as everything that speaks does.
    assert bot.speech.preparer.owners is owners
    assert bot.get_cog("Narration").reader.preparer is bot.speech.preparer  # type: ignore[union-attr]


def test_nothing_below_the_cogs_looks_services_up_on_the_bot() -> None:
    """discord.py hands checks, autocompleters and views only the interaction; its `client` is the
    whole bot. Lower layers are handed what they use instead (a cog mixes in the autocompleter,
    the bot gives the tree its store)."""
    found = [f"{path}:{number}" for path, text in sources("bot").items()
             for number, line in enumerate(text.splitlines(), 1)
             if re.search(r"interaction\.client\b|getattr\(\s*(self\.)?(bot|client)\b", line)]
    assert found == []


def test_caches_are_cachetools_not_hand_written() -> None:
    hand_written = re.compile(r"\bOrderedDict\b|move_to_end|popitem\(last")
    found = [path for path, text in sources("bot", "cogs").items() if hand_written.search(text)]
    assert found == []


def test_discord_py_internals_are_reached_only_through_one_module() -> None:
    """The private parts of discord.py the harness needs are wrapped, each with its reason, in
    tests/discord_internals.py: a discord.py upgrade that moves one breaks that module alone."""
    private = re.compile(r"\._connection\b|_async_setup_hook|\.tree\._call\b|\._ready\.|_get_websocket"
                         r"|_HTTPClient__|discord\.webhook\.async_|opus\._lib|DEFAULT_GATEWAY")
    found = [f"{path}:{number}" for path, text in sources("tests", "benchmarks").items()
             if path not in ("tests/discord_internals.py", "tests/test_ownership.py")  # this pattern
             for number, line in enumerate(text.splitlines(), 1) if private.search(line)]
    assert found == []


def test_no_test_imports_from_another_test_module() -> None:
    """Shared fixtures and helpers live in helper modules (tests/helpers, conftest.py, the
    harness modules): a test module that another imports couples unrelated tests (editing one
    breaks the other)."""
    found = []
    for path, text in sources("tests", "benchmarks").items():
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.ImportFrom):
                names = [node.module or "", *(f"{node.module}.{alias.name}" for alias in node.names)]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            found += [f"{path}: {name}" for name in names if name.rsplit(".", 1)[-1].startswith("test_")]
    assert found == []
