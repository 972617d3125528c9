"""B9: what writing lineage with the rows costs, side by side with the transforms before it.

For each job, the one-statement full-range write (2021-10-01..2024-05-01) two ways, each into a
fresh copy of the same warehouse and a table created by its own DDL:
- ``before``: the transform and DDL of commit ``beb628a`` (no lineage columns), read from git;
- ``lineage``: today's transform, writing ``transform_version``, each source's digest and
  ``data_hash`` on every row in the same statement.
Only the write is timed (``replace_partitions``, the production path: one transaction deleting
the range and inserting the transform's rows). One warm-up round, then interleaved rounds, the
order alternating (before/lineage, lineage/before ...), so drift hits both alike; medians and
min-max, and the ratio of medians. The rows are compared on the columns both tables have (all
but ``processed_at``): lineage must add columns, not change a value.

The features are measured on a summary written by today's transform (the old features read
fewer of its columns, so both variants read the same table).
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from backfill_jobs.analytics.player_game_summary.processor import PlayerGameSummaryJob
from backfill_jobs.precompute.player_shot_zone_analysis.processor import (
    PlayerShotZoneAnalysisJob,
)
from bench.machine import Watch, load_line
from bench.runs import ROOT, fresh_copy, open_duckdb
from shared.backfill.partition_job import PartitionJob
from shared.backfill.planning import calendar_days
from shared.warehouse.base import PartitionedTable
from shared.warehouse.sql import Sql

BEFORE = "beb628a"  # "status --verify reads the upstream's checkpoints ...": the last commit
# before lineage in the rows.
ROUNDS = 5
TARGET_RATIO = 1.15
VARIANTS = ("before", "lineage")


@dataclass(frozen=True)
class Variant:
    """One way to write a job's full range: its DDL, its transform and the parameters it gets."""

    table: PartitionedTable
    transform: Sql
    params: Callable[[PartitionJob, date, date], dict[str, object]]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _at_commit(path: str) -> Sql:
    """A checked-in SQL file as it was at ``BEFORE``."""
    try:
        text = subprocess.run(
            ["git", "show", f"{BEFORE}:{path}"],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        raise SystemExit(
            f"B9 needs the git history of commit {BEFORE} (the transforms before lineage): "
            f"git show {BEFORE}:{path} failed ({exc})"
        ) from exc
    return Sql(name=Path(path).stem, text=text)


def _variants(job: type[PartitionJob], sql_dir: str) -> dict[str, Variant]:
    table = job.table
    old_ddl = _at_commit(f"{sql_dir}/{table.ddl.name}.sql")
    old_transform = _at_commit(f"{sql_dir}/{job.transform.name}.sql")
    return {
        "before": Variant(
            PartitionedTable(table.name, table.partition_column, old_ddl),
            old_transform,
            lambda j, first, last: old_transform.bind(j.params(first, last)),
        ),
        "lineage": Variant(
            table, job.transform, lambda j, first, last: j.transform_params(first, last)
        ),
    }


JOBS: dict[str, tuple[type[PartitionJob], str]] = {
    "summary": (PlayerGameSummaryJob, "backfill_jobs/analytics/player_game_summary/sql"),
    "features": (
        PlayerShotZoneAnalysisJob,
        "backfill_jobs/precompute/player_shot_zone_analysis/sql",
    ),
}


def measure(history: Path, work: Path, seeded: tuple[date, date], full: tuple[date, date]) -> dict:
    with Watch() as watch:
        summary = _build_summary(history, work, seeded)
        bases = {"summary": history, "features": summary}
        results = {
            name: _job(name, job, _variants(job, sql_dir), bases[name], work, full)
            for name, (job, sql_dir) in JOBS.items()
        }
        shutil.rmtree(summary.parent)
    return {
        "range": [full[0].isoformat(), full[1].isoformat()],
        "rounds": ROUNDS,
        "before_commit": BEFORE,
        "jobs": results,
        "machine": watch.summary(),
    }


def _build_summary(history: Path, work: Path, seeded: tuple[date, date]) -> Path:
    """player_game_summary with lineage over every seeded day, in one statement."""
    log("B9 building player_game_summary for the features ...")
    path = fresh_copy(history, work, "b9_summary")
    warehouse = open_duckdb(path)
    job = PlayerGameSummaryJob(warehouse)
    job.prepare()
    job.process(calendar_days(*seeded))
    warehouse.close()
    return path


def _job(
    name: str,
    job: type[PartitionJob],
    variants: dict[str, Variant],
    base: Path,
    work: Path,
    full: tuple[date, date],
) -> dict:
    times: dict[str, list[float]] = {variant: [] for variant in variants}
    contents: dict[str, set[tuple[int, str]]] = {variant: set() for variant in variants}
    for round_number in range(ROUNDS + 1):
        order = list(variants) if round_number % 2 == 0 else list(reversed(variants))
        label = "warm-up" if round_number == 0 else f"round {round_number}/{ROUNDS}"
        log(f"B9 {name} {label}: {', '.join(order)} ...")
        for variant in order:
            seconds, content = _write_once(job, variants[variant], base, work, full)
            if round_number:
                times[variant].append(seconds)
            contents[variant].add(content)
    medians = {variant: statistics.median(values) for variant, values in times.items()}
    per_round = [new / old for old, new in zip(times["before"], times["lineage"], strict=True)]
    identical = len(contents["before"] | contents["lineage"]) == 1
    return {
        "rows": next(iter(contents["lineage"]))[0],
        "median_s": {variant: round(value, 3) for variant, value in medians.items()},
        "min_max_s": {v: [round(min(t), 3), round(max(t), 3)] for v, t in times.items()},
        "runs_s": {v: [round(x, 3) for x in t] for v, t in times.items()},
        "ratio": round(medians["lineage"] / medians["before"], 3),
        "ratio_min_max": [round(min(per_round), 3), round(max(per_round), 3)],
        "same_rows": identical,
    }


def _write_once(
    job: type[PartitionJob], variant: Variant, base: Path, work: Path, full: tuple[date, date]
) -> tuple[float, tuple[int, str]]:
    """The full range in one statement into a fresh copy: seconds, and the rows' content."""
    path = fresh_copy(base, work, "b9_write")
    warehouse = open_duckdb(path)
    try:
        instance = job(warehouse)
        if warehouse.table_exists(variant.table.name):
            raise SystemExit(f"B9: {variant.table.name} exists before the write")
        warehouse.execute(variant.table.ddl)
        days = calendar_days(*full)
        params = variant.params(instance, full[0], full[1])
        started = time.perf_counter()
        warehouse.replace_partitions(variant.table, variant.transform, params, days)
        seconds = time.perf_counter() - started
    finally:
        warehouse.close()
    content = _content(path, variant.table.name)
    shutil.rmtree(path.parent)
    return seconds, content


def _content(path: Path, table: str) -> tuple[int, str]:
    """Row count and an order-independent hash of the columns the table had before lineage:
    every column before ``processed_at``, which ends the old tables (lineage follows it)."""
    schema, name = table.split(".")
    with duckdb.connect(str(path), read_only=True) as connection:
        columns = [
            column
            for (column,) in connection.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = $schema "
                "AND table_name = $name ORDER BY ordinal_position",
                {"schema": schema, "name": name},
            ).fetchall()
        ]
        kept = columns[: columns.index("processed_at")]
        if "data_hash" in kept:
            raise SystemExit(f"B9: {table} has lineage columns before processed_at")
        count, digest = connection.execute(
            f"SELECT COUNT(*), SUM(HASH({', '.join(kept)})::HUGEINT) FROM {table}"
        ).fetchone()
    return int(count), str(digest)


def verdicts(b9: dict) -> list[tuple[str, str, str, bool | None]]:
    invalid = b9["machine"]["invalid"] is not None
    rows: list[tuple[str, str, str, bool | None]] = []
    for name, result in b9["jobs"].items():
        rows.append(
            (
                f"B9 {name}: lineage / before",
                f"{result['ratio']:.2f}x",
                f"<= {TARGET_RATIO}x",
                None if invalid else result["ratio"] <= TARGET_RATIO,
            )
        )
        rows.append(
            (f"B9 {name}: same rows", str(result["same_rows"]), "True", result["same_rows"])
        )
    return rows


def render(b9: dict) -> list[str]:
    first, last = b9["range"]
    lines = [
        f"B9 lineage cost: one-statement write of {first}..{last} into a fresh copy, before "
        f"lineage ({b9['before_commit']}) vs today (median [min-max] of {b9['rounds']} "
        "interleaved rounds after a warm-up)",
        f"  {'job':<10} {'rows':>8} {'before s':>20} {'lineage s':>20} {'ratio':>6} "
        f"{'per round':>12} same rows",
    ]
    for name, result in b9["jobs"].items():
        cells = []
        for variant in VARIANTS:
            low, high = result["min_max_s"][variant]
            cells.append(f"{result['median_s'][variant]:.3f} [{low:.3f}-{high:.3f}]")
        low, high = result["ratio_min_max"]
        lines.append(
            f"  {name:<10} {result['rows']:>8,} {cells[0]:>20} {cells[1]:>20} "
            f"{result['ratio']:>5.2f}x {f'{low:.2f}-{high:.2f}':>12} {result['same_rows']}"
        )
    lines.append(load_line(b9["machine"]))
    return lines
