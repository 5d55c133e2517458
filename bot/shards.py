"""Which shards a process runs when every process runs the same command
(`run --shard-count N --shards-per-process K`): process i runs shards i·K … i·K+K-1 (fewer in the
last one), so ceil(N / K) processes, indices 0 … ceil(N / K) - 1, run every shard exactly once.

The index comes from `--process-index`, else the environment variable `FISHBOT_PROCESS_INDEX`,
else the number ending the host name: a Kubernetes StatefulSet names its pods `<name>-<ordinal>`
and sets that as their host name.
"""

from __future__ import annotations

import math
import os
import re
import socket
from collections.abc import Mapping

INDEX_ENV = "FISHBOT_PROCESS_INDEX"
_ORDINAL = re.compile(r"-(\d+)$")


class ShardPlanError(ValueError):
    """The options can't give this process a shard range (the message is one line)."""


def processes_needed(shard_count: int, per_process: int) -> int:
    return math.ceil(shard_count / per_process)


def shard_range(shard_count: int, per_process: int, index: int) -> list[int]:
    if shard_count < 1 or per_process < 1:
        raise ShardPlanError("--shard-count and --shards-per-process must be at least 1")
    processes = processes_needed(shard_count, per_process)
    if not 0 <= index < processes:
        raise ShardPlanError(
            f"process index {index} has no shards: {shard_count} shards, {per_process} per process, "
            f"need exactly {processes} processes (indices 0 to {processes - 1})"
        )
    return list(range(index * per_process, min((index + 1) * per_process, shard_count)))


def process_index(explicit: int | None, environ: Mapping[str, str] | None = None,
                  hostname: str | None = None) -> int:
    """`explicit`, else $FISHBOT_PROCESS_INDEX (an empty value counts as unset: Kubernetes gives
    an empty string for a pod label the cluster doesn't set), else the host name's ordinal."""
    if explicit is not None:
        return explicit
    value = (os.environ if environ is None else environ).get(INDEX_ENV, "").strip()
    if value:
        if not value.isdigit():
            raise ShardPlanError(f"{INDEX_ENV} must be a number from 0, not {value[:40]!r}")
        return int(value)
    host = socket.gethostname() if hostname is None else hostname
    match = _ORDINAL.search(host)
    if match is None:
        raise ShardPlanError(
            f"--shards-per-process needs this process's index: pass --process-index, set {INDEX_ENV}, "
            f"or run with a host name ending in -<number> (a StatefulSet pod); this host is {host[:60]!r}"
        )
    return int(match.group(1))
