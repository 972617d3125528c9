"""Running the backfill the way a user does, measured: wall time, engine time, peak RSS."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "backfill_jobs/analytics/player_game_summary/player_game_summary_analytics_backfill.py"


@dataclass(frozen=True)
class Measured:
    wall_s: float
    engine_s: float
    peak_rss_mb: float
    exit_code: int


def fresh_copy(source: Path, directory: Path, name: str) -> Path:
    """A private copy of a seeded warehouse, so every variant starts from the same bytes."""
    target = directory / name / "warehouse.duckdb"
    if target.parent.exists():
        shutil.rmtree(target.parent)
    target.parent.mkdir(parents=True)
    shutil.copy(source, target)
    return target


def run_cli(warehouse: Path, start: date, end: date, *flags: str) -> Measured:
    """One backfill command in its own process; peak RSS from wait4 of that process alone."""
    work = warehouse.parent
    command = [
        sys.executable, str(SCRIPT),
        "--warehouse", str(warehouse),
        "--start-date", start.isoformat(), "--end-date", end.isoformat(),
        "--checkpoint-dir", str(work / "checkpoints"), "--log-dir", str(work / "logs"),
        "--no-resume", *flags,
    ]
    env = {**os.environ, "NO_GCE_CHECK": "True", "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    with open(work / "output.log", "w") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
        _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    checkpoint = next((work / "checkpoints").glob("*.json"))
    engine = json.loads(checkpoint.read_text())["runs"][-1]["elapsed_s"]
    return Measured(wall, engine, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status))


def table_fingerprint(warehouse: Path) -> tuple[int, str]:
    """Row count and an order-independent hash of every column but processed_at."""
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        columns = [
            name
            for (name,) in connection.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = 'nba_analytics' "
                "AND table_name = 'player_game_summary' AND column_name <> 'processed_at' "
                "ORDER BY ordinal_position"
            ).fetchall()
        ]
        count, digest = connection.execute(
            f"SELECT COUNT(*), SUM(HASH({', '.join(columns)})::HUGEINT) FROM nba_analytics.player_game_summary"
        ).fetchone()
    return int(count), str(digest)
