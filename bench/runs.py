"""Running the backfill the way a user does, measured: wall time, engine time, peak RSS."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from backfill_jobs.analytics.player_game_summary import processor as summary
from backfill_jobs.precompute.player_shot_zone_analysis import processor as features
from shared.warehouse.base import as_named
from shared.warehouse.duckdb_warehouse import DuckDBWarehouse
from tests.doubles.slow_job import interpreter_args

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = (
    ROOT / "backfill_jobs/analytics/player_game_summary/player_game_summary_analytics_backfill.py"
)
FEATURES_SCRIPT = (
    ROOT
    / "backfill_jobs/precompute/player_shot_zone_analysis/player_shot_zone_analysis_backfill.py"
)


@dataclass(frozen=True)
class Measured:
    wall_s: float
    engine_s: float
    peak_rss_mb: float
    exit_code: int


def open_duckdb(path: Path) -> DuckDBWarehouse:
    """A benchmark's warehouse file, with both jobs' datasets as schemas."""
    return DuckDBWarehouse(path, datasets=as_named((*summary.DATASETS, *features.DATASETS)))


def fresh_copy(source: Path, directory: Path, name: str) -> Path:
    """A private copy of a seeded warehouse, so every variant starts from the same bytes."""
    target = directory / name / "warehouse.duckdb"
    if target.parent.exists():
        shutil.rmtree(target.parent)
    target.parent.mkdir(parents=True)
    shutil.copy(source, target)
    return target


# Peak RSS of a child includes the RSS its parent had when it forked it (the child's
# high-water mark starts there, before exec). The benchmark process holds a large warehouse
# in memory, so the measured command is started by this tiny launcher instead, and the
# launcher reports the command's own wait4 figures.
_LAUNCHER = """
import os, subprocess, sys
process = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(process.pid, 0)
with open(sys.argv[1], "w") as out:
    out.write(f"{os.waitstatus_to_exitcode(status)} {usage.ru_maxrss}")
"""


def run_cli(
    warehouse: Path,
    start: date,
    end: date,
    *flags: str,
    script: Path = SCRIPT,
    resume: bool = False,
    checkpoint_dir: Path | None = None,
    latency: float = 0.0,
) -> Measured:
    """One backfill command in its own process, with its wall time and its own peak RSS;
    from scratch (``--no-resume``) unless ``resume``; its output in ``output.log`` next to the
    warehouse, its checkpoints in ``checkpoint_dir`` (default: ``checkpoints`` there)."""
    work = warehouse.parent
    checkpoints = checkpoint_dir or work / "checkpoints"
    command = [
        sys.executable,
        *interpreter_args(latency),
        str(script),
        "--warehouse",
        str(warehouse),
        "--start-date",
        start.isoformat(),
        "--end-date",
        end.isoformat(),
        "--checkpoint-dir",
        str(checkpoints),
        "--log-dir",
        str(work / "logs"),
        *([] if resume else ["--no-resume"]),
        *flags,
    ]
    env = {**os.environ, "NO_GCE_CHECK": "True", "PYTHONPATH": str(ROOT)}
    report = work / "launcher.out"
    started = time.perf_counter()
    with open(work / "output.log", "w") as output:
        subprocess.run(
            [sys.executable, "-S", "-c", _LAUNCHER, str(report), *command],
            stdout=output,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=ROOT,
            check=True,
        )
    wall = time.perf_counter() - started
    exit_code, max_rss_kb = (int(value) for value in report.read_text().split())
    # The checkpoint this command wrote last (the folder may hold other ranges and jobs); a
    # command refused before it ran has none: its engine time is NaN (callers check the exit).
    written = sorted(checkpoints.glob("*.json"), key=lambda path: path.stat().st_mtime_ns)
    engine = json.loads(written[-1].read_text())["runs"][-1]["elapsed_s"] if written else math.nan
    return Measured(wall, engine, max_rss_kb / 1024, exit_code)


def run_floor(
    warehouse: Path, start: date, end: date, job: str = "player_game_summary"
) -> tuple[float, float]:
    """The one-statement floor in its own process: wall time, and the statement's own time."""
    started = time.perf_counter()
    output = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.floor",
            str(warehouse),
            start.isoformat(),
            end.isoformat(),
            job,
        ],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    ).stdout
    return time.perf_counter() - started, float(output.strip())


def table_fingerprint(
    warehouse: Path, table: str = "nba_analytics.player_game_summary"
) -> tuple[int, str]:
    """Row count and an order-independent hash of every column but processed_at."""
    schema, name = table.split(".")
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        columns = [
            column
            for (column,) in connection.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = $schema "
                "AND table_name = $name AND column_name <> 'processed_at' "
                "ORDER BY ordinal_position",
                {"schema": schema, "name": name},
            ).fetchall()
        ]
        count, digest = connection.execute(
            f"SELECT COUNT(*), SUM(HASH({', '.join(columns)})::HUGEINT) FROM {table}"
        ).fetchone()
    return int(count), str(digest)
