"""B8: what knowing every day's inputs costs (stale-day detection).

On a warehouse whose full range 2021-10-01..2024-05-01 is backfilled, in interleaved rounds:
- the input fingerprints of all 944 days (one digest query per source: the transform's own
  ``*_digest`` CTEs run alone);
- the plan of a resume on which nothing is stale (merged checkpoints, work and rows per day,
  the rows' lineage, the input digests, comparison) against a plain resume's plan (merged
  checkpoints and work units only: what a resume with nothing to do cost before lineage);
- the whole command of that resume, as a user runs it (interpreter start included).
"""

from __future__ import annotations

import statistics
import sys
import time
from datetime import date
from pathlib import Path

from backfill_jobs.analytics.player_game_summary.processor import PlayerGameSummaryJob
from bench.runs import fresh_copy, open_duckdb, run_cli
from shared.backfill.ledger import read_ledger
from shared.backfill.survey import survey


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def measure(history: Path, work: Path, full: tuple[date, date], rounds: int) -> dict:
    warehouse = fresh_copy(history, work, "b8")
    checkpoints = warehouse.parent / "checkpoints"
    log("B8 backfilling the full range ...")
    built = run_cli(warehouse, *full, "--parallel", "--workers", "15")
    if built.exit_code != 0:
        raise SystemExit(f"B8 backfill exited {built.exit_code}")
    timings: dict[str, list[float]] = {"plain": [], "fingerprints": [], "nothing stale": []}
    commands: list[float] = []
    stale_days = set()
    for round_number in range(1, rounds + 1):
        log(f"B8 round {round_number}/{rounds} ...")
        store = open_duckdb(warehouse)
        job = PlayerGameSummaryJob(store)
        started = time.perf_counter()
        read_ledger(checkpoints, job.name)
        job.day_counts(*full)
        timings["plain"].append(time.perf_counter() - started)
        started = time.perf_counter()
        job.current_inputs(*full)
        timings["fingerprints"].append(time.perf_counter() - started)
        started = time.perf_counter()
        found = survey(job, store, read_ledger(checkpoints, job.name).history, *full)
        timings["nothing stale"].append(time.perf_counter() - started)
        stale_days |= set(found.stale)
        store.close()
        measured = run_cli(warehouse, *full, resume=True)
        if measured.exit_code != 0:
            raise SystemExit(f"B8 resume exited {measured.exit_code}")
        commands.append(measured.wall_s)
    medians = {name: statistics.median(values) for name, values in timings.items()}
    return {
        "rounds": rounds,
        "days": (full[1] - full[0]).days + 1,
        "median_s": {name: round(value, 3) for name, value in medians.items()},
        "min_max_s": {
            name: [round(min(values), 3), round(max(values), 3)] for name, values in timings.items()
        },
        "nothing_stale_x_plain": round(medians["nothing stale"] / medians["plain"], 2),
        "resume_command_s": round(statistics.median(commands), 2),
        "resume_command_min_max_s": [round(min(commands), 2), round(max(commands), 2)],
        "stale_days_found": len(stale_days),
    }


def verdicts(b8: dict) -> list[tuple[str, str, str, bool]]:
    return [
        (
            "B8 fingerprints of 944 days",
            f"{b8['median_s']['fingerprints']:.2f} s",
            "<= 1 s",
            b8["median_s"]["fingerprints"] <= 1.0,
        ),
        (
            "B8 nothing-stale plan / plain",
            f"{b8['nothing_stale_x_plain']:.2f}x",
            "<= 10x",
            b8["nothing_stale_x_plain"] <= 10,
        ),
        ("B8 stale days found", str(b8["stale_days_found"]), "0", b8["stale_days_found"] == 0),
    ]


def render(b8: dict) -> list[str]:
    median, spread = b8["median_s"], b8["min_max_s"]
    lines = [
        f"B8 stale-day detection, {b8['days']} days backfilled (median of {b8['rounds']} "
        "interleaved rounds, [min-max])",
    ]
    for name, label in (
        ("plain", "plain resume plan (checkpoints + work units)"),
        ("fingerprints", "input fingerprints, 3 sources"),
        ("nothing stale", "resume plan with stale-day check"),
    ):
        low, high = spread[name]
        lines.append(f"  {label:<46} {median[name]:>7.3f} s [{low:.3f}-{high:.3f}]")
    low, high = b8["resume_command_min_max_s"]
    lines.append(
        f"  {'whole resume command, nothing to do':<46} {b8['resume_command_s']:>7.2f} s "
        f"[{low:.2f}-{high:.2f}]"
    )
    return lines
