"""B6: the full range on the simulated BigQuery, through the real CLI, the real
google-cloud-bigquery client (BIGQUERY_EMULATOR_HOST) and our adapter, at 1, 15 and 30
workers, with and without pacing; wall time against the quota floor.

Quota floor: BigQuery takes at most 50 table updates per 10 s on one table, so 944 per-day
writes take at least 944 / 5 = 188.8 s (scaled by the time scale). Our run writes only the
days with final games (585 of 944), so its own floor is 585 / 5 = 117 s; both are shown.

Time scale: the simulator runs SCALE real seconds per simulated one (median job 2 s), and the
CLI runs on the same clock (bench/b6_cli.py). What is not scaled is real work: DuckDB computing
each job's rows (~30 ms) and both processes' Python per request, about 0.1 s of real time per
day per worker on this 2-core machine. Divided by the scale it becomes simulated time, so the
scale must be large enough for it to stay small: at 0.2 it added 2 s to every 4 s day (x15 ran
at 1.65x the floor), at 0.5 it adds 0.2 s (1.05x). 15 and 30 workers run at 0.5. One worker
runs at 0.02 (585 days one after the other would take 22 minutes at 0.5), where that overhead
is 5 s a day: its figures are shown, not judged. One worker runs with pacing only: at 0.2
updates/s the pacer never waits (its log line says so), so a run without it is the same run.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from bench.runs import ROOT
from shared.bigquery_sim import BigQuerySimulator, Latency, SimConfig
from shared.bigquery_sim.http import EmulatorServer
from shared.bigquery_sim.sqltext import TableName
from shared.schemas import RAW_TABLES
from shared.warehouse.pacing import DEFAULT_TABLE_UPDATES_PER_10S
from shared.warehouse.pricing import estimate_cost_usd

FULL = (date(2021, 10, 1), date(2024, 5, 1))
CALENDAR_DAYS = 944
QUOTA_PER_S = 5.0  # 50 table updates per 10 s per table
PRODUCTION_S = 18 * 60 + 47  # the shipped 15-thread run (domain.md)
MULTI_SCALE = 0.5
ONE_SCALE = 0.02
VARIANTS = (
    (1, True, ONE_SCALE),
    (15, True, MULTI_SCALE),
    (15, False, MULTI_SCALE),
    (30, True, MULTI_SCALE),
    (30, False, MULTI_SCALE),
)
PROJECT = "sim-project"
TARGET = TableName("nba_analytics", "player_game_summary")
_PACING_LINE = re.compile(r"Pacing: (\d+) table updates .*; (\d+) waited, ([\d.]+) s in all")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Variant:
    workers: int
    pacing: bool
    scale: float

    @property
    def name(self) -> str:
        return f"x{self.workers} {'paced' if self.pacing else 'unpaced'}"


def run_b6(warehouse: Path, work: Path) -> dict:
    """Every variant on a copy of ``warehouse`` (seeded raw tables), one after the other."""
    database = work / "b6.duckdb"
    database.write_bytes(warehouse.read_bytes())
    estimate = _dry_run(database, work)
    results = {}
    for workers, pacing, scale in VARIANTS:
        variant = Variant(workers, pacing, scale)
        log(f"B6 {variant.name} at time scale {scale} ...")
        results[variant.name] = _measure(variant, database, work)
    paced15 = results["x15 paced"]
    return {
        "median_job_s": Latency().median_s,
        "floor_944_s": CALENDAR_DAYS / QUOTA_PER_S,
        "dry_run_estimate_bytes": estimate,
        "variants": results,
        "production_s": PRODUCTION_S,
        "predicted_s": paced15["sim_s"],
    }


def _simulator(database: Path, scale: float) -> BigQuerySimulator:
    config = SimConfig(project=PROJECT, time_scale=scale, seed=11)
    partitioning = {table.name: table.partition_column for table in RAW_TABLES}
    return BigQuerySimulator(
        database, config, partitioning=partitioning, datasets=["nba_analytics"]
    )


def _cli(server: EmulatorServer, scale: float, work: Path, *flags: str) -> tuple[int, float]:
    env = {
        **os.environ,
        "NO_GCE_CHECK": "True",
        "PYTHONPATH": str(ROOT),
        "BIGQUERY_EMULATOR_HOST": server.url,
    }
    command = [
        sys.executable, "-m", "bench.b6_cli", str(scale),
        "--warehouse", "bigquery", "--project", PROJECT, "--location", "US",
        "--start-date", FULL[0].isoformat(), "--end-date", FULL[1].isoformat(),
        "--checkpoint-dir", str(work / "checkpoints"), "--log-dir", str(work / "logs"),
        *flags,
    ]  # fmt: skip
    started = time.perf_counter()
    work.mkdir(parents=True, exist_ok=True)
    with open(work / "b6_output.log", "a") as output:
        code = subprocess.run(
            command, stdout=output, stderr=subprocess.STDOUT, env=env, cwd=ROOT, check=False
        ).returncode
    return code, time.perf_counter() - started


def _dry_run(database: Path, work: Path) -> int:
    sim = _simulator(database, MULTI_SCALE)
    with EmulatorServer(sim) as server:
        log("B6 dry run (bytes estimate) ...")
        code, _ = _cli(server, MULTI_SCALE, work, "--dry-run")
    estimate = sim.stats().dry_run_bytes["player_game_summary"]
    sim.close()
    if code != 0:
        raise SystemExit(f"B6 dry run exited {code}; see {work / 'b6_output.log'}")
    return estimate


def _measure(variant: Variant, database: Path, work: Path) -> dict:
    sim = _simulator(database, variant.scale)
    run_dir = work / variant.name.replace(" ", "_")
    pace = f"{DEFAULT_TABLE_UPDATES_PER_10S:g}" if variant.pacing else "off"
    flags = ["--no-resume", "--pace-table-updates", pace]
    if variant.workers > 1:
        flags += ["--parallel", "--workers", str(variant.workers)]
    with EmulatorServer(sim) as server:
        code, wall = _cli(server, variant.scale, run_dir, *flags)
    stats = sim.stats()
    meta = sim.storage.table(TARGET)
    if meta is not None:
        sim.storage.delete(meta, None)  # the next variant starts from an empty target
    sim.close()
    days = json.loads(next((run_dir / "checkpoints").glob("*.json")).read_text())["days"]
    failed = sum(entry["status"] == "failed" for entry in days.values())
    written = sum(entry["status"] == "success" for entry in days.values())
    retried = sum(entry.get("attempts", 1) > 1 for entry in days.values())
    paced = _pacing(run_dir / "logs")
    jobs = stats.jobs["query"] + stats.jobs["copy"]
    sim_s = wall / variant.scale
    return {
        "workers": variant.workers,
        "pacing": variant.pacing,
        "time_scale": variant.scale,
        "exit_code": code,
        "wall_s": round(wall, 2),
        "sim_s": round(sim_s, 1),
        "x_floor_944": round(sim_s / (CALENDAR_DAYS / QUOTA_PER_S), 2),
        "x_floor_own": round(sim_s / (written / QUOTA_PER_S), 2) if written else None,
        "days_written": written,
        "failed_days": failed,
        "days_retried_by_runner": retried,
        "jobs": jobs,
        "rate_limit_errors": stats.rate_limited,
        "rate_limit_pct": round(100 * stats.rate_limited / jobs, 2) if jobs else 0.0,
        "pacing_waits": paced,
        "bytes_billed": sum(stats.bytes_billed.values()),
        "bytes_billed_writes": stats.bytes_billed["player_game_summary"],
        "bytes_processed_writes": stats.bytes_processed["player_game_summary"],
        "engine_cpu_s": round(stats.engine_s, 1),
    }


def _pacing(log_dir: Path) -> dict | None:
    for path in sorted(log_dir.glob("*.log")):
        found = _PACING_LINE.search(path.read_text())
        if found:
            return {"updates": int(found[1]), "waits": int(found[2]), "waited_s": float(found[3])}
    return None


def verdicts(report: dict) -> list[tuple[str, str, str, bool]]:
    paced = report["variants"]["x15 paced"]
    return [
        (
            "B6 x15 paced / quota floor",
            f"{paced['x_floor_944']:.2f}x",
            "<= 1.25x",
            paced["x_floor_944"] <= 1.25,
        ),
        (
            "B6 x15 paced rate-limit errors",
            f"{paced['rate_limit_pct']:.2f}%",
            "<= 1%",
            paced["rate_limit_pct"] <= 1.0,
        ),
        ("B6 x15 paced failed days", str(paced["failed_days"]), "0", paced["failed_days"] == 0),
    ]


def render(report: dict) -> list[str]:
    floor = report["floor_944_s"]
    lines = [
        f"B6 simulated BigQuery, {FULL[0]}..{FULL[1]}, median job {report['median_job_s']:g} s; "
        f"quota floor {CALENDAR_DAYS} updates / {QUOTA_PER_S:g} per s = {floor:.1f} s "
        "(simulated seconds = real / time scale)",
        f"  {'variant':<13} {'scale':>5} {'wall s':>7} {'sim s':>7} {'x floor':>7} "
        f"{'x own':>6} {'rate-limit':>10} {'% jobs':>6} {'retried':>7} {'failed':>6} "
        f"{'paced waits':>11} {'cpu s':>6}",
    ]
    for name, row in report["variants"].items():
        waits = row["pacing_waits"]
        waited = f"{waits['waits']}/{waits['updates']}" if waits else "-"
        lines.append(
            f"  {name:<13} {row['time_scale']:>5g} {row['wall_s']:>7.1f} {row['sim_s']:>7.1f} "
            f"{row['x_floor_944']:>7.2f} {row['x_floor_own']:>6.2f} {row['rate_limit_errors']:>10} "
            f"{row['rate_limit_pct']:>6.2f} {row['days_retried_by_runner']:>7} "
            f"{row['failed_days']:>6} {waited:>11} {row['engine_cpu_s']:>6.1f}"
        )
    paced = report["variants"]["x15 paced"]
    estimate = report["dry_run_estimate_bytes"]
    lines += [
        f"  x own = against this run's own floor ({paced['days_written']} days written / 5 per s);"
        " cpu s = DuckDB compute in the simulator (real time, not scaled)",
        f"  bytes: dry run estimated {estimate / 1024**2:,.0f} MiB for the writes; they billed "
        f"{paced['bytes_billed_writes'] / 1024**2:,.0f} MiB (10 MB minimum per table read), "
        f"the whole run {paced['bytes_billed'] / 1024**2:,.0f} MiB "
        f"(${estimate_cost_usd(paced['bytes_billed']):.2f} on demand)",
        f"  production (shipped, 15 threads): {_clock(report['production_s'])}; simulated x15 "
        f"paced at real time scale: {_clock(report['predicted_s'])} "
        f"({report['production_s'] / report['predicted_s']:.1f}x faster)",
    ]
    return lines


def _clock(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"
