"""The command lines printed for going on after a run (resume, retry, rerun stale), by the run
itself and by ``status``: rendered in one place, so a copied command keeps every flag that
shapes the run, not only its warehouse (a resume without ``--batch-days 1`` runs another plan).
"""

from __future__ import annotations

import argparse
import shlex
from collections.abc import Mapping, Sequence
from pathlib import Path

from shared.backfill.cli import (
    DEFAULT_BIGQUERY_BATCH_DAYS,
    DEFAULT_DUCKDB_BATCH_DAYS,
    DEFAULT_MAX_RETRIES,
    JobSpec,
    invocation,
)
from shared.backfill.planning import WriteMode
from shared.paths import DEFAULT_CHECKPOINT_DIR, DEFAULT_LOG_DIR
from shared.warehouse.factory import BIGQUERY
from shared.warehouse.pacing import DEFAULT_TABLE_UPDATES_PER_10S

# Switches that change what a run does with its days, kept as given.
_SWITCHES = ("allow_shrink", "allow_incomplete", "with_upstream", "fail_fast", "stale")
_LISTS_DAYS = ("--dates", "--retry-failed")


def default_batch_days(warehouse: str) -> int:
    return DEFAULT_BIGQUERY_BATCH_DAYS if warehouse == BIGQUERY else DEFAULT_DUCKDB_BATCH_DAYS


def run_flags(args: argparse.Namespace) -> list[str]:
    """A run's flags other than its days, its warehouse and its checkpoint folder, where they
    differ from the defaults: how it runs (workers, batches, retries, limits, pacing) and what
    it does with its days (``--stale``, ``--allow-shrink`` ...). Recorded with each run, so
    ``status`` prints the same commands the run did."""
    flags: list[str] = []
    if args.log_dir != DEFAULT_LOG_DIR:
        flags += ["--log-dir", str(args.log_dir)]
    if args.parallel:
        flags += ["--parallel", "--workers", str(args.workers)]
    if args.batch_days is not None and args.batch_days != default_batch_days(args.warehouse):
        flags += ["--batch-days", str(args.batch_days)]
    if args.max_retries != DEFAULT_MAX_RETRIES:
        flags += ["--max-retries", str(args.max_retries)]
    if args.max_failures is not None:
        flags += ["--max-failures", str(args.max_failures)]
    if args.max_bytes_billed is not None:
        flags += ["--max-bytes-billed", str(args.max_bytes_billed)]
    if args.pace_table_updates != DEFAULT_TABLE_UPDATES_PER_10S:
        pace = args.pace_table_updates
        flags += ["--pace-table-updates", "off" if pace is None else f"{pace:g}"]
    if args.write_mode is not WriteMode.AUTO:
        flags += ["--write-mode", args.write_mode.value]
    if args.simulate_latency:
        flags += ["--simulate-latency", str(args.simulate_latency)]
    flags += ["--" + name.replace("_", "-") for name in _SWITCHES if getattr(args, name, False)]
    return flags


def recorded_run_flags(run: Mapping[str, object] | None) -> list[str]:
    """The flags a recorded run kept (``run_flags``); for a run recorded before they were
    kept, its manner of running."""
    run = run or {}
    flags = run.get("run_flags")
    if isinstance(flags, list) and all(isinstance(flag, str) for flag in flags):
        return list(flags)
    workers = run.get("workers")
    if run.get("mode") == "parallel" and isinstance(workers, int):
        return ["--parallel", "--workers", str(workers)]
    return []


def command_line(
    spec: JobSpec,
    warehouse_flags: Sequence[str],
    checkpoint_dir: Path,
    flags: Sequence[str],
    *extra: str,
) -> str:
    """The job's command over the same warehouse and checkpoints with ``flags`` (a run's, see
    ``run_flags``) and ``extra`` (the days, and what to do with them), each flag once; a command
    that lists its days (``--dates``, ``--retry-failed``) drops ``--stale``, which picks them
    too and is refused with them."""
    if any(flag in _LISTS_DAYS for flag in extra):
        flags = [flag for flag in flags if flag != "--stale"]
    parts = [*invocation(spec), *warehouse_flags]
    if checkpoint_dir != DEFAULT_CHECKPOINT_DIR:
        parts += ["--checkpoint-dir", str(checkpoint_dir)]
    parts += flags
    parts += [flag for flag in extra if not (flag.startswith("--") and flag in flags)]
    return shlex.join(parts)
