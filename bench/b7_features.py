"""B7: the features job (player_shot_zone_analysis) on a warehouse whose summary is built.

- Full range, per day (--batch-days 1) and batched (the default K), both --parallel
  --workers 15, each as a ratio to its own floor (one statement over the whole range); the
  variants interleaved round by round, medians with min-max, tables compared by fingerprint.
- Flat cost: the same 20 feature days of the last season, computed on a warehouse whose summary
  holds only that season and on one that holds the three seasons before them as well, in
  interleaved rounds. A day reads its own season only, so the two should cost the same.
"""

from __future__ import annotations

import shutil
import statistics
import sys
import time
from datetime import date
from pathlib import Path

import duckdb

from backfill_jobs.analytics.player_game_summary.processor import PlayerGameSummaryJob
from backfill_jobs.precompute.player_shot_zone_analysis.processor import (
    PlayerShotZoneAnalysisJob,
)
from bench.runs import ROOT, fresh_copy, open_duckdb, run_cli, run_floor, table_fingerprint
from shared.backfill.planning import calendar_days
from shared.warehouse.options import DuckDBOptions

SCRIPT = (
    ROOT
    / "backfill_jobs/precompute/player_shot_zone_analysis/player_shot_zone_analysis_backfill.py"
)
TABLE = "nba_precompute.player_shot_zone_analysis"
SUMMARY = "nba_analytics.player_game_summary"
LAST_SEASON = (date(2023, 8, 1), date(2024, 6, 30))
FLAT_DAYS = 20
FLOOR = "floor (one statement)"
VARIANTS: dict[str, tuple[str, ...] | None] = {
    "per-day parallel x15": ("--parallel", "--workers", "15", "--batch-days", "1"),
    f"batched K={DuckDBOptions.batch_days} parallel x15": (
        "--parallel",
        "--workers",
        "15",
        "--batch-days",
        str(DuckDBOptions.batch_days),
    ),
    FLOOR: None,
}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def measure(
    history: Path, work: Path, seeded: tuple[date, date], full: tuple[date, date], rounds: int
) -> dict:
    summary = _build_summary(history, work, seeded)
    return {
        "range": [full[0].isoformat(), full[1].isoformat()],
        **_full_range(summary, work, full, rounds),
        "flat": _flat_cost(summary, work, rounds),
    }


def _build_summary(history: Path, work: Path, seeded: tuple[date, date]) -> Path:
    """player_game_summary over every seeded day, in one statement: the features' upstream."""
    log("B7 building player_game_summary ...")
    path = fresh_copy(history, work, "b7_summary")
    warehouse = open_duckdb(path)
    job = PlayerGameSummaryJob(warehouse)
    job.prepare()
    job.process(calendar_days(*seeded))
    warehouse.close()
    return path


def _full_range(summary: Path, work: Path, full: tuple[date, date], rounds: int) -> dict:
    walls: dict[str, list[float]] = {name: [] for name in VARIANTS}
    engines: dict[str, list[float]] = {name: [] for name in VARIANTS}
    fingerprints = set()
    for round_number in range(1, rounds + 1):
        for name, flags in VARIANTS.items():
            copy = fresh_copy(summary, work, "b7_" + name.replace(" ", "_"))
            log(f"B7 round {round_number}/{rounds}: {name} ...")
            if flags is None:
                wall, engine = run_floor(copy, *full, PlayerShotZoneAnalysisJob.name)
            else:
                # The summary was built in one statement here, not by its own backfill, so no
                # checkpoint records its days: the run is told to read them anyway.
                measured = run_cli(copy, *full, *flags, "--allow-incomplete", script=SCRIPT)
                if measured.exit_code != 0:
                    raise SystemExit(
                        f"B7 {name} exited {measured.exit_code}; see {copy.parent / 'output.log'}"
                    )
                wall, engine = measured.wall_s, measured.engine_s
            walls[name].append(wall)
            engines[name].append(engine)
            fingerprints.add(table_fingerprint(copy, TABLE))
            shutil.rmtree(copy.parent)
    floor = statistics.median(walls[FLOOR])
    variants = {
        name: {
            "wall_s": round(statistics.median(walls[name]), 2),
            "wall_s_min_max": [round(min(walls[name]), 2), round(max(walls[name]), 2)],
            "engine_s": round(statistics.median(engines[name]), 2),
            "x_floor": round(statistics.median(walls[name]) / floor, 2),
        }
        for name in VARIANTS
    }
    batched = next(row for name, row in variants.items() if name.startswith("batched"))
    return {
        "rounds": rounds,
        "rows": next(iter(fingerprints))[0],
        "variants": variants,
        "tables_identical": len(fingerprints) == 1,
        "batched_x_floor": batched["x_floor"],
    }


def _flat_cost(summary: Path, work: Path, rounds: int) -> dict:
    """Milliseconds per feature day with one season of summary vs three seasons."""
    one = _last_season_only(summary, work)
    three = fresh_copy(summary, work, "b7_three_seasons")
    with duckdb.connect(str(one), read_only=True) as connection:
        days = [
            day
            for (day,) in connection.execute(
                f"SELECT DISTINCT game_date FROM {SUMMARY} WHERE minutes_played > 0 ORDER BY 1"
            ).fetchall()
        ]
    sample = [days[i * len(days) // FLAT_DAYS] for i in range(FLAT_DAYS)]
    jobs = {}
    for label, path in (("one season", one), ("three seasons", three)):
        job = PlayerShotZoneAnalysisJob(open_duckdb(path))
        job.prepare()
        job.process([sample[0]])  # warm the caches alike
        jobs[label] = job
    timings: dict[str, list[float]] = {label: [] for label in jobs}
    for round_number in range(1, rounds + 1):
        log(f"B7 flat cost round {round_number}/{rounds} ...")
        for day in sample:
            for label, job in jobs.items():
                started = time.perf_counter()
                job.process([day])
                timings[label].append(time.perf_counter() - started)
    for job in jobs.values():
        job.warehouse.close()
    shutil.rmtree(one.parent)
    shutil.rmtree(three.parent)
    medians = {label: statistics.median(values) for label, values in timings.items()}
    return {
        "days": len(sample),
        "median_ms": {label: round(value * 1000, 2) for label, value in medians.items()},
        "min_max_ms": {
            label: [round(min(v) * 1000, 2), round(max(v) * 1000, 2)]
            for label, v in timings.items()
        },
        "ratio": round(medians["three seasons"] / medians["one season"], 3),
    }


def _last_season_only(summary: Path, work: Path) -> Path:
    """A warehouse whose summary holds the last season only, in the same storage order."""
    path = work / "b7_one_season" / "warehouse.duckdb"
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as connection:
        connection.execute(f"ATTACH '{summary}' AS src (READ_ONLY)")
        connection.execute("CREATE SCHEMA nba_analytics")
        connection.execute(
            f"CREATE TABLE {SUMMARY} AS SELECT * FROM src.{SUMMARY} "
            "WHERE game_date BETWEEN $start AND $end ORDER BY game_date",
            {"start": LAST_SEASON[0], "end": LAST_SEASON[1]},
        )
    return path


def verdicts(b7: dict) -> list[tuple[str, str, str, bool]]:
    return [
        (
            "B7 batched / floor",
            f"{b7['batched_x_floor']:.2f}x",
            "<= 2.0x",
            b7["batched_x_floor"] <= 2.0,
        ),
        ("B7 tables identical", str(b7["tables_identical"]), "True", b7["tables_identical"]),
        (
            "B7 three seasons / one season",
            f"{b7['flat']['ratio']:.2f}",
            "<= 1.25",
            b7["flat"]["ratio"] <= 1.25,
        ),
    ]


def render(b7: dict) -> list[str]:
    first, last = b7["range"]
    lines = [
        f"B7 features full range {first}..{last} on a built summary ({b7['rows']:,} rows; "
        f"median [min-max] of {b7['rounds']} interleaved rounds)",
        f"  {'variant':<32} {'wall s':>17} {'engine s':>9} {'x floor':>8}",
    ]
    for name, row in b7["variants"].items():
        low, high = row["wall_s_min_max"]
        wall = f"{row['wall_s']:.2f} [{low:.2f}-{high:.2f}]"
        lines.append(f"  {name:<32} {wall:>17} {row['engine_s']:>9.2f} {row['x_floor']:>8.2f}")
    flat = b7["flat"]
    one, three = flat["median_ms"]["one season"], flat["median_ms"]["three seasons"]
    lines.append(
        f"B7 feature day, median of {flat['days']} days x {b7['rounds']} rounds: one season of "
        f"summary {one:.1f} ms, three seasons {three:.1f} ms (x{flat['ratio']:.2f})"
    )
    return lines
