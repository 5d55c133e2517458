"""Configuration: file + environment, the fixed deployment names, one message listing every problem."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings

REQUIRED = ("discord_token", "fish_api_key")
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in list(os.environ):
        if name.startswith("FISHBOT_") or name in (
            "DISCORD_TOKEN", "FISH_API_KEY", "FISH_BASE_URL", "DATABASE_URL"
        ):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no ./config.toml unless a test writes one
    return tmp_path


def test_missing_secrets_are_named_together() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(require=REQUIRED)
    text = caught.value.render()
    assert "DISCORD_TOKEN" in text and "FISH_API_KEY" in text


def test_environment_only_deployment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "discord-token-value")
    monkeypatch.setenv("FISH_API_KEY", "fish-key-value")
    monkeypatch.setenv("FISH_BASE_URL", "http://127.0.0.1:8787/")
    settings = load_settings(require=REQUIRED)
    assert settings.fish_base_url == "http://127.0.0.1:8787"
    assert settings.resolved_database_url == "sqlite+aiosqlite:///data/fishbot.db"
    assert settings.speak.max_text_length == 1000


def test_environment_wins_over_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(
        'fish_api_key = "from-file-key"\nlog_level = "DEBUG"\n[speak]\nqueue_limit = 5\n'
        "max_text_length = 400\n"
    )
    monkeypatch.setenv("DISCORD_TOKEN", "discord-token-value")
    monkeypatch.setenv("FISH_API_KEY", "from-env-key")
    monkeypatch.setenv("FISHBOT_SPEAK__MAX_TEXT_LENGTH", "250")
    settings = load_settings(require=REQUIRED)
    assert settings.fish_api_key is not None
    assert settings.fish_api_key.get_secret_value() == "from-env-key"
    assert settings.log_level == "DEBUG"
    assert settings.speak.queue_limit == 5
    assert settings.speak.max_text_length == 250


def test_every_problem_listed_and_no_value_echoed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    secret = "sk-live-very-secret-value"
    (tmp_path / "config.toml").write_text(
        f'log_level = "{secret}"\n[speak]\nqueue_limit = 0\nunknown_key = 1\n'
    )
    with pytest.raises(ConfigError) as caught:
        load_settings(require=REQUIRED)
    problems = caught.value.problems
    text = caught.value.render()
    assert any(p.startswith("DISCORD_TOKEN") for p in problems)
    assert any(p.startswith("FISH_API_KEY") for p in problems)
    assert any(p.startswith("log_level") for p in problems)
    assert any(p.startswith("speak.queue_limit") for p in problems)
    assert any("speak.unknown_key: is not a known setting" in p for p in problems)
    assert secret not in text


def test_explicit_config_path_must_exist(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.toml")


def test_bad_toml_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text("this is = = not toml")
    with pytest.raises(ConfigError):
        load_settings()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("sqlite:///data/x.db", "sqlite+aiosqlite:///data/x.db"),
        ("postgresql://u:p@db/fish", "postgresql+asyncpg://u:p@db/fish"),
        ("postgresql+asyncpg://u:p@db/fish", "postgresql+asyncpg://u:p@db/fish"),
    ],
)
def test_database_url_forms(monkeypatch: pytest.MonkeyPatch, given: str, expected: str) -> None:
    monkeypatch.setenv("DATABASE_URL", given)
    assert load_settings().resolved_database_url == expected


def _cli(*args: str, env: dict[str, str] | None = None, cwd: Path) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("FISHBOT_")}
    for name in ("DISCORD_TOKEN", "FISH_API_KEY", "FISH_BASE_URL", "DATABASE_URL"):
        base.pop(name, None)
    base["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], capture_output=True, text=True, cwd=cwd,
        env={**base, **(env or {})}, timeout=60,
    )


@pytest.mark.parametrize("command", ["run", "check"])
def test_cli_without_environment_exits_2_naming_both(command: str, tmp_path: Path) -> None:
    result = _cli(command, cwd=tmp_path)
    assert result.returncode == 2
    assert "DISCORD_TOKEN" in result.stderr and "FISH_API_KEY" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_cli_never_prints_a_misplaced_secret(tmp_path: Path) -> None:
    secret = "MTA5-this-looks-like-a-discord-token"
    result = _cli("run", cwd=tmp_path, env={"FISHBOT_LOG_LEVEL": secret})
    assert result.returncode == 2
    assert secret not in result.stderr + result.stdout
    assert "log_level" in result.stderr


def test_the_example_config_is_valid_and_every_key_is_known(monkeypatch: pytest.MonkeyPatch,
                                                           tmp_path: Path) -> None:
    # Sections reject unknown keys, so a key the code dropped would fail here.
    monkeypatch.setenv("DISCORD_TOKEN", "x" * 20)
    monkeypatch.setenv("FISH_API_KEY", "key")
    settings = load_settings(ROOT / "config.example.toml")
    assert settings.narration.enabled is False and settings.transcribe.auto_transcribe is False
    stale = tmp_path / "config.toml"
    example = (ROOT / "config.example.toml").read_text()
    assert "[clone]\n" in example
    stale.write_text(example.replace("[clone]\n", "[clone]\ndaily_limit = 3\n"))
    with pytest.raises(ConfigError, match="daily_limit"):
        load_settings(stale)
