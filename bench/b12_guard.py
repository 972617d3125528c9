"""B12: what the shrink guard costs on the full-range summary run.

Every write compares its new rows with the rows they replace (one grouped comparison per
statement) before it replaces a day. On a warehouse whose full range 2021-10-01..2024-05-01 is
backfilled, in interleaved rounds, the range is rewritten in its default 60-game-day batches
by the job itself, once with the guard and once without it (the same job, its writes handed
no guard), so the ratio is the guard's cost on the run that pays it most: a rerun, where every
day holds rows to compare with.
"""

from __future__ import annotations

import statistics
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

from backfill_jobs.analytics.player_game_summary.processor import PlayerGameSummaryJob
from bench.machine import Watch, load_line
from bench.runs import fresh_copy, open_duckdb, run_cli
from shared.backfill.job import work_units
from shared.backfill.planning import calendar_days, make_batches
from shared.warehouse.base import Warehouse
from shared.warehouse.options import DuckDBOptions

TARGET_RATIO = 1.05


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class _Unguarded:
    """The warehouse, its writes handed no guard (what every write did before the guard)."""

    def __init__(self, inner: Warehouse) -> None:
        self._inner = inner

    def replace_partitions(
        self, table: Any, select: Any, params: Any, days: Any, guard: Any = None, **options: Any
    ) -> Any:
        return self._inner.replace_partitions(table, select, params, days, None, **options)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def _rewrite(job: PlayerGameSummaryJob, batches: list[tuple[date, ...]]) -> float:
    started = time.perf_counter()
    for batch in batches:
        job.process(batch)
    return time.perf_counter() - started


def measure(history: Path, work: Path, full: tuple[date, date], rounds: int) -> dict:
    warehouse = fresh_copy(history, work, "b12")
    log("B12 backfilling the full range ...")
    built = run_cli(warehouse, *full, "--parallel", "--workers", "15")
    if built.exit_code != 0:
        raise SystemExit(f"B12 backfill exited {built.exit_code}")
    timings: dict[str, list[float]] = {"guarded": [], "unguarded": []}
    batches: list[tuple[date, ...]] = []
    with Watch() as watch:
        for round_number in range(1, rounds + 1):
            log(f"B12 round {round_number}/{rounds} ...")
            store = open_duckdb(warehouse)
            guarded = PlayerGameSummaryJob(store)
            units = work_units(guarded.day_counts(*full))
            days = calendar_days(*full)
            idle = {day for day in days if day not in units}
            batches = make_batches(
                [day for day in days if day in units],
                units,
                DuckDBOptions.batch_days,
                bridge=idle,
            )
            unguarded = PlayerGameSummaryJob(_Unguarded(store))  # type: ignore[arg-type]
            order = [("guarded", guarded), ("unguarded", unguarded)]
            for name, job in order if round_number % 2 else reversed(order):
                timings[name].append(_rewrite(job, batches))
            store.close()
    medians = {name: statistics.median(values) for name, values in timings.items()}
    return {
        "rounds": rounds,
        "batches": len(batches),
        "median_s": medians,
        "min_max_s": {name: [min(v), max(v)] for name, v in timings.items()},
        "guarded_x_unguarded": medians["guarded"] / medians["unguarded"],
        "machine": watch.summary(),
    }


def verdicts(b12: dict) -> list[tuple[str, str, str, bool | None]]:
    valid = b12["machine"]["invalid"] is None
    return [
        (
            "B12 shrink guard: guarded / unguarded rerun",
            f"{b12['guarded_x_unguarded']:.3f}x",
            f"<= {TARGET_RATIO}x",
            (b12["guarded_x_unguarded"] <= TARGET_RATIO) if valid else None,
        )
    ]


def render(b12: dict) -> list[str]:
    median, spread = b12["median_s"], b12["min_max_s"]
    lines = [
        f"B12 shrink guard, the full range rewritten in {b12['batches']} batches by the job "
        f"(median of {b12['rounds']} interleaved rounds, [min-max])"
    ]
    for name in ("guarded", "unguarded"):
        low, high = spread[name]
        lines.append(f"  {name:<12} {median[name]:>7.3f} s [{low:.3f}-{high:.3f}]")
    lines.append(f"  guarded / unguarded: {b12['guarded_x_unguarded']:.3f}x")
    lines.append(load_line(b12["machine"]))
    return lines
