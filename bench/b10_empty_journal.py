"""B10: planning a resume from the warehouse alone (an empty checkpoint folder) against planning
it with the full journal, for each job, through the real command.

On a warehouse whose full range 2021-10-01..2024-05-01 holds both jobs' rows (the summary's
backfill, then the features', each a complete run), in interleaved rounds, the order
alternating:
- ``full folder``: the same command again with the complete run's checkpoint folder: every day
  is done, it prints "Nothing to do";
- ``empty folder``: the same command with a new, empty checkpoint folder (a new container, a
  lost volume): the survey finds every day current from the rows' lineage, the command records
  them in its new journal and runs nothing.
Both are the whole command (interpreter start, imports, the survey: ``day_stats``, the rows'
lineage and one digest query per source, grouped over the range), wall time of the process.
Each empty-folder run must run no day ("Days: 0 to run"), and the tables must be untouched
(``processed_at`` included) at the end.
"""

from __future__ import annotations

import re
import shutil
import statistics
import sys
from datetime import date
from pathlib import Path

import duckdb

from bench.b7_features import SCRIPT as FEATURES_SCRIPT
from bench.machine import Watch, load_line
from bench.runs import SCRIPT as SUMMARY_SCRIPT
from bench.runs import fresh_copy, run_cli

ROUNDS = 5
# "About the same": the empty folder adds writing the new journal (one checkpoint of 944 days)
# and logging the days without work it records; the survey is the same queries.
TARGET_RATIO = 1.25
JOBS = {
    "summary": (SUMMARY_SCRIPT, "nba_analytics.player_game_summary"),
    "features": (FEATURES_SCRIPT, "nba_precompute.player_shot_zone_analysis"),
}
MODES = ("full folder", "empty folder")
_TO_RUN = re.compile(r"Days: (\d+) to run")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def measure(history: Path, work: Path, full: tuple[date, date]) -> dict:
    with Watch() as watch:
        warehouse = fresh_copy(history, work, "b10")
        journal = warehouse.parent / "checkpoints"
        for name, (script, _) in JOBS.items():
            log(f"B10 backfilling {name} over the full range ...")
            built = run_cli(warehouse, *full, "--parallel", "--workers", "15", script=script)
            if built.exit_code != 0:
                raise SystemExit(f"B10 {name} backfill exited {built.exit_code}")
        written = {name: _table_state(warehouse, table) for name, (_, table) in JOBS.items()}
        walls: dict[str, dict[str, list[float]]] = {
            name: {mode: [] for mode in MODES} for name in JOBS
        }
        for round_number in range(1, ROUNDS + 1):
            order = MODES if round_number % 2 else tuple(reversed(MODES))
            for name, (script, _) in JOBS.items():
                log(f"B10 round {round_number}/{ROUNDS}: {name}, {' then '.join(order)} ...")
                for mode in order:
                    folder = journal
                    if mode == "empty folder":
                        folder = warehouse.parent / f"empty_{name}_{round_number}"
                        folder.mkdir()
                    measured = run_cli(
                        warehouse, *full, script=script, resume=True, checkpoint_dir=folder
                    )
                    _check(name, mode, measured.exit_code, warehouse.parent / "output.log")
                    walls[name][mode].append(measured.wall_s)
        untouched = all(
            _table_state(warehouse, table) == written[name] for name, (_, table) in JOBS.items()
        )
        shutil.rmtree(warehouse.parent)
    jobs = {}
    for name, modes in walls.items():
        medians = {mode: statistics.median(values) for mode, values in modes.items()}
        per_round = [
            empty / full_
            for full_, empty in zip(modes["full folder"], modes["empty folder"], strict=True)
        ]
        jobs[name] = {
            "median_s": {mode: round(value, 3) for mode, value in medians.items()},
            "min_max_s": {m: [round(min(v), 3), round(max(v), 3)] for m, v in modes.items()},
            "runs_s": {m: [round(x, 3) for x in v] for m, v in modes.items()},
            "ratio": round(medians["empty folder"] / medians["full folder"], 3),
            "ratio_min_max": [round(min(per_round), 3), round(max(per_round), 3)],
        }
    return {
        "range": [full[0].isoformat(), full[1].isoformat()],
        "rounds": ROUNDS,
        "jobs": jobs,
        "tables_untouched": untouched,
        "machine": watch.summary(),
    }


def _check(name: str, mode: str, exit_code: int, output: Path) -> None:
    """The command succeeded and ran no day (a full folder: "Nothing to do")."""
    text = output.read_text()
    found = _TO_RUN.search(text)
    to_run = int(found.group(1)) if found else None
    nothing = mode != "full folder" or "Nothing to do" in text
    if exit_code != 0 or to_run != 0 or not nothing:
        raise SystemExit(
            f"B10 {name} with the {mode}: exit {exit_code}, {to_run} day(s) to run; "
            f"expected exit 0 and none to run (see {output})"
        )


def _table_state(warehouse: Path, table: str) -> tuple[int, str]:
    """Row count and an order-independent hash of every column, processed_at included."""
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        count, digest = connection.execute(
            f"SELECT COUNT(*), SUM(HASH(t)::HUGEINT) FROM {table} AS t"
        ).fetchone()
    return int(count), str(digest)


def verdicts(b10: dict) -> list[tuple[str, str, str, bool | None]]:
    invalid = b10["machine"]["invalid"] is not None
    rows: list[tuple[str, str, str, bool | None]] = [
        (
            f"B10 {name}: empty / full folder",
            f"{result['ratio']:.2f}x",
            f"<= {TARGET_RATIO}x",
            None if invalid else result["ratio"] <= TARGET_RATIO,
        )
        for name, result in b10["jobs"].items()
    ]
    rows.append(
        (
            "B10 tables untouched",
            str(b10["tables_untouched"]),
            "True",
            b10["tables_untouched"],
        )
    )
    return rows


def render(b10: dict) -> list[str]:
    first, last = b10["range"]
    lines = [
        f"B10 resume of {first}..{last} with nothing to do, whole command: the complete run's "
        f"checkpoint folder vs an empty one (median [min-max] of {b10['rounds']} interleaved "
        "rounds)",
        f"  {'job':<10} {'full folder s':>20} {'empty folder s':>20} {'ratio':>6} {'per round':>12}",
    ]
    for name, result in b10["jobs"].items():
        cells = []
        for mode in MODES:
            low, high = result["min_max_s"][mode]
            cells.append(f"{result['median_s'][mode]:.2f} [{low:.2f}-{high:.2f}]")
        low, high = result["ratio_min_max"]
        lines.append(
            f"  {name:<10} {cells[0]:>20} {cells[1]:>20} {result['ratio']:>5.2f}x "
            f"{f'{low:.2f}-{high:.2f}':>12}"
        )
    lines.append(load_line(b10["machine"]))
    return lines
