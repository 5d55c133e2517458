"""`run --shard-count N --shards-per-process K`: every process runs the same command and its index
picks its shards; over many N and K the ranges cover every shard exactly once, and an index
beyond them is refused. The index comes from the option, the environment or the host name."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from bot.cli import EXIT_CONFIG, build_parser, shard_options
from bot.shards import INDEX_ENV, ShardPlanError, process_index, processes_needed, shard_range
from tests.helpers.cli import fishbot


def run_args(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(["run", *argv])


@pytest.mark.parametrize("shard_count", [*range(1, 41), 64, 97, 128, 250, 1000])
def test_every_shard_runs_exactly_once_for_any_process_count(shard_count: int) -> None:
    for per_process in range(1, shard_count + 2):
        processes = processes_needed(shard_count, per_process)
        ran = [shard for index in range(processes) for shard in shard_range(shard_count, per_process, index)]
        assert ran == list(range(shard_count)), (shard_count, per_process)
        assert all(shard_range(shard_count, per_process, index) for index in range(processes))
        with pytest.raises(ShardPlanError, match=f"need exactly {processes} processes"):
            shard_range(shard_count, per_process, processes)


@pytest.mark.parametrize(("shard_count", "per_process"), [(1, 1), (7, 3), (8, 2), (10, 4), (33, 5)])
def test_run_options_give_each_process_its_range(shard_count: int, per_process: int) -> None:
    """Through `run`'s own parser, each index once: all shards, in order, once."""
    ran = []
    for index in range(processes_needed(shard_count, per_process)):
        options = shard_options(run_args("--shard-count", str(shard_count), "--shards-per-process",
                                         str(per_process), "--process-index", str(index)))
        assert options["shard_count"] == shard_count
        ran += options["shard_ids"]
    assert ran == list(range(shard_count))


def test_the_index_comes_from_the_option_then_the_environment_then_the_host_name() -> None:
    assert process_index(5, {INDEX_ENV: "3"}, "fishbot-7") == 5
    assert process_index(None, {INDEX_ENV: "3"}, "fishbot-7") == 3
    assert process_index(None, {}, "fishbot-7") == 7
    # Kubernetes gives an empty string for a pod label the cluster doesn't set.
    assert process_index(None, {INDEX_ENV: ""}, "fishbot-12") == 12
    with pytest.raises(ShardPlanError, match=INDEX_ENV):
        process_index(None, {INDEX_ENV: "two"}, "fishbot-1")
    with pytest.raises(ShardPlanError, match="--process-index"):
        process_index(None, {}, "laptop")


@pytest.mark.parametrize(("argv", "message"), [
    (["--shards-per-process", "2"], "--shards-per-process needs --shard-count"),
    (["--shard-count", "4", "--process-index", "1"], "--process-index goes with --shards-per-process"),
    (["--shard-ids", "0,1"], "--shard-ids needs --shard-count"),
    (["--shard-count", "2", "--shard-ids", "1,2"], "below --shard-count"),
])
def test_inconsistent_shard_options_are_refused(argv: list[str], message: str) -> None:
    with pytest.raises(ShardPlanError, match=message):
        shard_options(run_args(*argv))


def test_shard_ids_and_shards_per_process_exclude_each_other(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        run_args("--shard-count", "4", "--shard-ids", "0", "--shards-per-process", "2")
    assert "not allowed with argument" in capsys.readouterr().err


async def test_a_process_without_shards_refuses_to_start(tmp_path: Path) -> None:
    code, _out, err = await fishbot(
        "run", "--shard-count", "4", "--shards-per-process", "2", cwd=tmp_path,
        env={"DISCORD_TOKEN": "x" * 20, "FISH_API_KEY": "test-key", INDEX_ENV: "2",
             "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}"},
    )
    assert code == EXIT_CONFIG
    assert err.strip() == ("fishbot: process index 2 has no shards: 4 shards, 2 per process, need "
                           "exactly 2 processes (indices 0 to 1)")
    assert not (tmp_path / "bot.db").exists()  # refused before touching anything
