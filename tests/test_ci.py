"""CI runs exactly the test command the README gives a newcomer, in a brand-new environment."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def readme_command(heading: str) -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split(heading, 1)[1]
    command = re.search(r"```sh\n(.+?)\n```", section, re.S)
    assert command is not None
    return command.group(1).strip()


def test_ci_runs_the_readme_test_command_in_a_new_environment() -> None:
    line = readme_command("## Develop and test")
    # A newcomer's machine has no environment yet: the command makes one, installs, then tests.
    assert line.startswith("python3 -m venv .venv && . .venv/bin/activate && ")
    assert "pip install -e '.[test]'" in line and line.endswith("python -m pytest -q")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert line in ci
    # It runs in a temporary copy, so `.venv` there cannot be an old one, and nothing before it
    # installs into the system interpreter.
    before = ci[: ci.index(line)]
    assert any(step.startswith('cd "$scratch"') for step in before)
    assert not any("pip install" in step for step in before)


def test_the_readme_run_command_makes_its_own_environment() -> None:
    line = readme_command("## Run it")
    assert line.startswith("python3 -m venv .venv && . .venv/bin/activate && pip install -e ")
    assert line.endswith("python -m bot run")


def test_ci_runs_the_readmes_checks_under_another_date() -> None:
    section = (ROOT / "README.md").read_text(encoding="utf-8").split("## Develop and test", 1)[1]
    checks = [line for line in section.splitlines() if line.startswith("FAKETIME_DONT_FAKE_MONOTONIC=1 ")]
    assert {line.split("'")[1] for line in checks} == {"@2027-01-02 12:00:00", "@2026-12-06 23:30:00"}
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    after_the_suite = ci[ci.index(readme_command("## Develop and test")):]
    assert all(line in after_the_suite for line in checks)
