"""B11: the default full-range summary run, end to end, against the one-statement floor.

The command a user types for the full range 2021-10-01..2024-05-01 with no tuning flag
(sequential, the embedded warehouse's default batches), as a whole process: interpreter start,
imports, planning (the survey), the writes, the checkpoint, the summary and the validation.
Against the floor of B1 (``bench.floor``: one process, one statement over the whole range,
interpreter start included): what binds a run on one machine. In interleaved rounds, the order
rotating, each on a fresh copy of the seeded warehouse:
- ``floor``: the one-statement process (its statement's own time shown too);
- ``default run``: the command, from scratch;
- ``parallel x15 run``: the same with ``--parallel --workers 15`` (``make demo``), shown;
- ``resume, nothing to do``: the default command again on the default run's copy: start-up and
  planning with nothing to write, the part of the fixed cost that is not writing.
Reported: medians and min-max, the ratio of medians and the min-max of the per-round ratios.
"""

from __future__ import annotations

import shutil
import statistics
import sys
from datetime import date
from pathlib import Path

from bench.machine import Watch, load_line
from bench.runs import fresh_copy, run_cli, run_floor

ROUNDS = 5
TARGET_RATIO = 2.5
FLOOR = "floor (one statement)"
DEFAULT = "default run"
PARALLEL = "parallel x15 run"
RESUME = "resume, nothing to do"
VARIANTS = (FLOOR, DEFAULT, PARALLEL)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def measure(history: Path, work: Path, full: tuple[date, date]) -> dict:
    walls: dict[str, list[float]] = {name: [] for name in (*VARIANTS, RESUME)}
    inner: dict[str, list[float]] = {name: [] for name in VARIANTS}
    with Watch() as watch:
        for round_number in range(1, ROUNDS + 1):
            shift = (round_number - 1) % len(VARIANTS)
            order = VARIANTS[shift:] + VARIANTS[:shift]
            log(f"B11 round {round_number}/{ROUNDS}: {', '.join(order)} ...")
            for name in order:
                copy = fresh_copy(history, work, "b11")
                if name == FLOOR:
                    wall, statement = run_floor(copy, *full)
                else:
                    flags = ("--parallel", "--workers", "15") if name == PARALLEL else ()
                    measured = run_cli(copy, *full, *flags)
                    _exit_ok(name, measured.exit_code, copy)
                    wall, statement = measured.wall_s, measured.engine_s
                    if name == DEFAULT:
                        again = run_cli(copy, *full, resume=True)
                        _exit_ok(RESUME, again.exit_code, copy)
                        walls[RESUME].append(again.wall_s)
                walls[name].append(wall)
                inner[name].append(statement)
                shutil.rmtree(copy.parent)
    median = {name: statistics.median(values) for name, values in walls.items()}
    per_round = [run / floor for floor, run in zip(walls[FLOOR], walls[DEFAULT], strict=True)]
    return {
        "range": [full[0].isoformat(), full[1].isoformat()],
        "rounds": ROUNDS,
        "variants": {
            name: {
                "wall_s": round(median[name], 3),
                "wall_s_min_max": [round(min(walls[name]), 3), round(max(walls[name]), 3)],
                "inner_s": round(statistics.median(inner[name]), 3) if name in inner else None,
                "x_floor": round(median[name] / median[FLOOR], 2),
                "wall_s_runs": [round(value, 3) for value in walls[name]],
            }
            for name in walls
        },
        "default_x_floor": round(median[DEFAULT] / median[FLOOR], 3),
        "default_x_floor_min_max": [round(min(per_round), 3), round(max(per_round), 3)],
        "machine": watch.summary(),
    }


def _exit_ok(name: str, exit_code: int, copy: Path) -> None:
    if exit_code != 0:
        raise SystemExit(f"B11 {name} exited {exit_code}; see {copy.parent / 'output.log'}")


def verdicts(b11: dict) -> list[tuple[str, str, str, bool | None]]:
    ratio = b11["default_x_floor"]
    invalid = b11["machine"]["invalid"] is not None
    return [
        (
            "B11 default run / floor",
            f"{ratio:.2f}x",
            f"<= {TARGET_RATIO}x",
            None if invalid else ratio <= TARGET_RATIO,
        )
    ]


def render(b11: dict) -> list[str]:
    first, last = b11["range"]
    lines = [
        f"B11 default summary run {first}..{last} end to end vs the one-statement floor "
        f"(median [min-max] of {b11['rounds']} interleaved rounds; wall = whole process; inner = "
        "the floor's statement, a run's runner)",
        f"  {'variant':<28} {'wall s':>20} {'inner s':>8} {'x floor':>8}",
    ]
    for name, row in b11["variants"].items():
        low, high = row["wall_s_min_max"]
        wall = f"{row['wall_s']:.2f} [{low:.2f}-{high:.2f}]"
        inner = "" if row["inner_s"] is None else f"{row['inner_s']:.2f}"
        lines.append(f"  {name:<28} {wall:>20} {inner:>8} {row['x_floor']:>8.2f}")
    low, high = b11["default_x_floor_min_max"]
    lines.append(f"  default run / floor per round: {low:.2f}-{high:.2f}")
    lines.append(load_line(b11["machine"]))
    return lines
