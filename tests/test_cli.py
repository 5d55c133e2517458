"""The command line, run as a real process: `check` against the Fish stand-in, `db upgrade`."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.helpers.cli import fishbot
from tests.startup_standins import child_env, closed_port, start_run


async def test_check_reports_a_working_key_and_the_system(fakefish, tmp_path: Path) -> None:
    code, out, err = await fishbot(
        "check", cwd=tmp_path,
        env={"DISCORD_TOKEN": "x" * 20, "FISH_API_KEY": "test-key", "FISH_BASE_URL": fakefish.base_url},
    )
    assert code == 0, out + err
    assert "[ok] Fish Audio API key: works; API credit 10" in out
    for line in ("[ok] ffmpeg", "[ok] libopus", "[ok] davey", "[ok] database"):
        assert line in out
    assert [r.endpoint for r in fakefish.requests] == ["credits"]


async def test_check_names_a_rejected_key_without_showing_it(fakefish, tmp_path: Path) -> None:
    key = "sk-this-key-is-wrong-123456"
    code, out, err = await fishbot(
        "check", cwd=tmp_path,
        env={"DISCORD_TOKEN": "x" * 20, "FISH_API_KEY": key, "FISH_BASE_URL": fakefish.base_url},
    )
    assert code == 1
    assert "[FAIL] Fish Audio API key: The bot's Fish Audio API key is invalid" in out
    assert key not in out + err


async def test_db_upgrade_applies_every_migration_once(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'x' / 'bot.db'}"}
    code, out, _ = await fishbot("db", "upgrade", cwd=tmp_path, env=env)
    assert code == 0 and "0001_initial" in out
    code, out, _ = await fishbot("db", "upgrade", cwd=tmp_path, env=env)
    assert code == 0 and "nothing to apply" in out


async def test_check_warns_that_narration_needs_the_message_content_intent(fakefish, tmp_path: Path) -> None:
    env = {"DISCORD_TOKEN": "x" * 20, "FISH_API_KEY": "test-key", "FISH_BASE_URL": fakefish.base_url}
    _, quiet, _ = await fishbot("check", cwd=tmp_path, env=env)
    assert "Message Content" not in quiet
    code, out, err = await fishbot("check", cwd=tmp_path, env={**env, "FISHBOT_NARRATION__ENABLED": "true"})
    assert code == 0, out + err
    assert "[warn] narration or automatic transcription is on" in out and "Message Content intent" in out


async def run_unreachable(tmp_path: Path, fish_base_url: str) -> tuple[int, str]:
    """`run` with Discord's API at a closed local port."""
    env = child_env(DISCORD_TOKEN="x" * 20, FISH_API_KEY="test-key", FISH_BASE_URL=fish_base_url,
                    FISHBOT_STARTUP_RETRY_S="2")
    process = await start_run(f"http://127.0.0.1:{closed_port()}/api/v10", tmp_path, env)
    _, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    return process.returncode, err.decode()


async def test_run_names_what_it_cannot_reach_and_exits(tmp_path: Path) -> None:
    fish = f"http://127.0.0.1:{closed_port()}"
    code, err = await run_unreachable(tmp_path, fish)
    assert code == 3, err
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith("fishbot: could not reach Discord (") and f"Fish Audio at {fish} (" in last
    assert last.endswith("gave up after 2 s")
    # It retried with backoff meanwhile, saying so in the log.
    assert "retrying in" in err


async def test_run_with_only_discord_unreachable_names_only_discord(fakefish, tmp_path: Path) -> None:
    code, err = await run_unreachable(tmp_path, fakefish.base_url)
    assert code == 3 and "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith("fishbot: could not reach Discord (") and "Fish Audio" not in last
    assert fakefish.requests_for("credits")  # Fish was asked, and answered


async def test_check_says_why_the_database_failed(fakefish, tmp_path: Path) -> None:
    """Regression: only the exception's type name was printed."""
    (tmp_path / "not-a-dir").write_text("")
    env = {"DISCORD_TOKEN": "x" * 20, "FISH_API_KEY": "test-key", "FISH_BASE_URL": fakefish.base_url,
           "DATABASE_URL": f"sqlite:///{tmp_path / 'not-a-dir' / 'bot.db'}"}
    code, out, _ = await fishbot("check", cwd=tmp_path, env=env)
    assert code == 1
    line = next(line for line in out.splitlines() if line.startswith("[FAIL] database"))
    assert "FileExistsError: [Errno 17] File exists" in line and "not-a-dir" in line, line


async def test_check_names_an_unreachable_database_without_its_password(fakefish, tmp_path: Path) -> None:
    secret = "hunter2-db-password"
    env = {"DISCORD_TOKEN": "x" * 20, "FISH_API_KEY": "test-key", "FISH_BASE_URL": fakefish.base_url,
           "DATABASE_URL": f"postgresql://fishbot:{secret}@127.0.0.1:1/fishbot"}
    code, out, err = await fishbot("check", cwd=tmp_path, env=env)
    assert code == 1
    line = next(line for line in out.splitlines() if line.startswith("[FAIL] database"))
    assert "127.0.0.1" in line and ("refused" in line.lower() or "connect" in line.lower()), line
    assert secret not in out + err
