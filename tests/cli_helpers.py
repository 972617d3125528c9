"""Helpers for driving the backfill CLI the way a user does: in-process and as a process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import duckdb

from shared.backfill.checkpoint import checkpoint_path
from shared.warehouse.factory import WarehouseConfig
from tests.doubles.slow_job import interpreter_args

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = (
    ROOT / "backfill_jobs/analytics/player_game_summary/player_game_summary_analytics_backfill.py"
)


LINEAGE_COLUMNS = ("data_hash", "transform_version")


def table_rows(
    warehouse: Path, table: str = "nba_analytics.player_game_summary", *, lineage: bool = True
) -> list[tuple]:
    """A whole table, without processed_at (and without the lineage unless ``lineage``), in a
    stable order (game_id, player_lookup)."""
    schema, name = table.split(".")
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        columns = [
            column
            for (column,) in connection.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = $schema AND table_name = $name "
                "AND column_name <> 'processed_at' ORDER BY ordinal_position",
                {"schema": schema, "name": name},
            ).fetchall()
        ]
        if not lineage:
            columns = [
                c for c in columns if c not in LINEAGE_COLUMNS and not c.startswith("source_")
            ]
        return connection.execute(
            f"SELECT {', '.join(columns)} FROM {table} ORDER BY game_id, player_lookup"
        ).fetchall()


def checkpoint_days(directory: Path, job: str = "player_game_summary") -> dict[str, dict]:
    """The days of the job's only checkpoint in ``directory`` ({} while none is readable)."""
    files = list(directory.glob(f"{job}_*.json"))
    if not files:
        return {}
    try:
        return json.loads(files[0].read_text())["days"]
    except (json.JSONDecodeError, KeyError):
        return {}


def start_backfill(
    args: list[str], log: Path, script: Path = SCRIPT, latency: float = 0.0
) -> subprocess.Popen:
    """The job's script in its own process; with ``latency``, through the test double that
    adds that round trip to every statement (``tests.doubles.slow_job``)."""
    env = {**os.environ, "NO_GCE_CHECK": "True"}
    handle = open(log, "w")  # noqa: SIM115 - closed with the process by the caller's wait
    return subprocess.Popen(
        [sys.executable, *interpreter_args(latency), str(script), *args],
        stdout=handle,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=ROOT,
    )


def catches(pid: int, sig: int) -> bool:
    """Whether process ``pid`` has a handler for ``sig`` (Linux: ``SigCgt`` in its status).
    The job scripts install theirs for SIGTERM first thing, before the project's imports."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    caught = next(line for line in status.splitlines() if line.startswith("SigCgt:"))
    return bool(int(caught.split()[1], 16) >> (sig - 1) & 1)


def wait_for(condition, timeout: float = 30.0, interval: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(interval)


def day(text: str) -> date:
    return date.fromisoformat(text)


def checkpoint_file(
    directory: Path, warehouse: Path, start: str, end: str, job: str = "player_game_summary"
) -> Path:
    """Where a run of ``job`` over [start, end] on ``warehouse`` keeps its checkpoint."""
    identity = WarehouseConfig(str(warehouse), job).identity
    return checkpoint_path(
        directory, job, date.fromisoformat(str(start)), date.fromisoformat(str(end)), identity
    )
