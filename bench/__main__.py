"""``make bench``: the backfill's speed, scaling, flat cost, memory and checkpoint overhead,
each measured side by side in one run on the same seeded warehouse.

B1 full range: sequential per-day, --parallel --workers 15 per-day, batched, and the floor
   (one statement over the whole range); wall times of the commands, ratios, identical tables.
B2 thread scaling with 0.5 s added to every statement (a remote engine's round trip).
B3 flat cost: the same 20 single-day runs on one season vs three seasons of raw history.
B4 peak RSS of the full-range run with 15 workers.
B5 time to record 10,000 day outcomes from 15 threads in the checkpoint.
B6 the full range on a simulated BigQuery through the real client: one bulk write (table
   updates, bytes billed), per-day writes at 15/30 workers with and without pacing against
   their own floor, and under injected faults (bench/b6_bigquery_sim.py).
B7 the features job: per day vs batched vs its floor, and its flat cost (bench/b7_features.py).
B8 stale-day detection: fingerprints of the full range, a resume with nothing stale against a
   plain one (bench/b8_fingerprints.py).
B9 lineage cost: the one-statement full-range write of each job before lineage (commit beb628a)
   and today, side by side (bench/b9_lineage.py).
B10 a resume planned from the warehouse alone (an empty checkpoint folder) vs with the full
   journal, each job, through the real command (bench/b10_empty_journal.py).
B11 the default full-range summary run end to end vs the one-statement floor
   (bench/b11_fixed_cost.py).
B12 the shrink guard: the full range rewritten by the job with and without it
   (bench/b12_guard.py).

``python -m bench --only B7`` (or ``--only B1,B3``) runs some of them; B4 comes with B1.
A result is PASS or FAIL, or INVALID (B9-B12) when the machine, not the backfill, bound the
measurement (loaded past its cores at the start, or others' work on its cores meanwhile); the
exit status is 0 only if every result is PASS.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb

from backfill_jobs.analytics.player_game_summary.processor import PlayerGameSummaryJob
from bench import (
    b6_bigquery_sim,
    b7_features,
    b8_fingerprints,
    b9_lineage,
    b10_empty_journal,
    b11_fixed_cost,
    b12_guard,
)
from bench.runs import ROOT, fresh_copy, open_duckdb, run_cli, run_floor, table_fingerprint
from shared.backfill.checkpoint import Checkpoint
from shared.backfill.results import DayResult, DayStatus
from shared.warehouse.options import DuckDBOptions

FULL = (date(2021, 10, 1), date(2024, 5, 1))
HISTORY = (date(2021, 7, 1), date(2024, 6, 30))  # three whole seasons
ONE_SEASON = (date(2022, 7, 1), date(2023, 6, 30))
SCALING = (date(2022, 1, 1), date(2022, 5, 5))  # ~120 game days
ROUNDS = 3
LATENCY_S = 0.5
SCALING_WORKERS = (1, 4, 15, 30)
RAW_TABLES = ("nbac_schedule", "nbac_gamebook_player_stats", "bigdataball_play_by_play")
RESULTS = ROOT / "bench" / "results" / "latest.json"
SECTIONS = ("B1", "B2", "B3", "B4", "B5", "B6", "B7", "B8", "B9", "B10", "B11", "B12")
# A result: passed, failed, or None when the measurement is INVALID (see bench/machine.py).
Verdict = tuple[str, str, str, bool | None]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def seed(work: Path) -> tuple[Path, Path]:
    """Three seasons of raw history, and one season cut from it with the same storage order."""
    history = work / "history.duckdb"
    log(f"seeding {HISTORY[0]}..{HISTORY[1]} ...")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "shared.nba.sample_data",
            "--warehouse",
            str(history),
            "--start-date",
            HISTORY[0].isoformat(),
            "--end-date",
            HISTORY[1].isoformat(),
            "--seed",
            "7",
        ],
        check=True,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    one = work / "one_season.duckdb"
    with duckdb.connect(str(one)) as connection:
        connection.execute(f"ATTACH '{history}' AS src (READ_ONLY)")
        connection.execute("CREATE SCHEMA nba_raw; CREATE SCHEMA nba_analytics")
        for table in RAW_TABLES:
            connection.execute(
                f"CREATE TABLE nba_raw.{table} AS SELECT * FROM src.nba_raw.{table} "
                "WHERE game_date BETWEEN $start AND $end ORDER BY game_date",
                {"start": ONE_SEASON[0], "end": ONE_SEASON[1]},
            )
    return history, one


def b1_full_range(history: Path, work: Path) -> tuple[dict, float]:
    """Each variant ROUNDS times, interleaved so drift on a shared machine hits all alike;
    medians reported. Peak RSS is the largest of the 15-worker runs."""
    start, end = FULL
    variants: dict[str, tuple[str, ...] | None] = {
        "sequential per-day": ("--batch-days", "1"),
        "parallel x15 per-day": ("--parallel", "--workers", "15", "--batch-days", "1"),
        f"batched K={DuckDBOptions.batch_days} parallel x15": (
            "--parallel",
            "--workers",
            "15",
            "--batch-days",
            str(DuckDBOptions.batch_days),
        ),
        "floor (one statement)": None,
    }
    walls: dict[str, list[float]] = {name: [] for name in variants}
    engines: dict[str, list[float]] = {name: [] for name in variants}
    fingerprints = set()
    peak_rss = 0.0
    for round_number in range(1, ROUNDS + 1):
        for name, flags in variants.items():
            copy = fresh_copy(history, work, name.replace(" ", "_"))
            log(f"B1 round {round_number}/{ROUNDS}: {name} ...")
            if flags is None:
                wall, engine = run_floor(copy, start, end)
            else:
                measured = run_cli(copy, start, end, *flags)
                if measured.exit_code != 0:
                    raise SystemExit(
                        f"B1 {name} exited {measured.exit_code}; see {copy.parent / 'output.log'}"
                    )
                wall, engine = measured.wall_s, measured.engine_s
                if "x15" in name:
                    peak_rss = max(peak_rss, measured.peak_rss_mb)
            walls[name].append(wall)
            engines[name].append(engine)
            fingerprints.add(table_fingerprint(copy))
            shutil.rmtree(copy.parent)
    wall = {name: statistics.median(values) for name, values in walls.items()}
    floor = wall["floor (one statement)"]
    results = {
        name: {
            "wall_s": round(wall[name], 2),
            "engine_s": round(statistics.median(engines[name]), 2),
            "x_floor": round(wall[name] / floor, 2),
            "wall_s_runs": [round(value, 2) for value in walls[name]],
        }
        for name in variants
    }
    batched = next(value for name, value in wall.items() if name.startswith("batched"))
    return {
        "rounds": ROUNDS,
        "variants": results,
        "rows": next(iter(fingerprints))[0],
        "tables_identical": len(fingerprints) == 1,
        "parallel_speedup_vs_sequential": round(
            wall["sequential per-day"] / wall["parallel x15 per-day"], 2
        ),
        "batched_x_floor": round(batched / floor, 2),
    }, peak_rss


def b2_scaling(history: Path, work: Path) -> dict:
    start, end = SCALING
    times = {}
    for workers in SCALING_WORKERS:
        copy = fresh_copy(history, work, f"scaling_{workers}")
        log(f"B2 {workers} worker(s), {LATENCY_S}s per statement ...")
        flags = ["--batch-days", "1"]
        if workers > 1:
            flags += ["--parallel", "--workers", str(workers)]
        measured = run_cli(copy, start, end, *flags, latency=LATENCY_S)
        times[workers] = measured.engine_s
        shutil.rmtree(copy.parent)
    with duckdb.connect(str(history), read_only=True) as connection:
        game_days = connection.execute(
            "SELECT COUNT(DISTINCT game_date) FROM nba_raw.nbac_schedule WHERE game_date BETWEEN $s AND $e",
            {"s": start, "e": end},
        ).fetchone()[0]
    return {
        "game_days": game_days,
        "latency_s": LATENCY_S,
        "workers": {
            str(w): {
                "engine_s": round(t, 2),
                "speedup": round(times[1] / t, 2),
                "efficiency": round(times[1] / t / w, 3),
            }
            for w, t in times.items()
        },
    }


def b3_flat_cost(history: Path, one_season: Path, work: Path) -> dict:
    with duckdb.connect(str(one_season), read_only=True) as connection:
        days = [
            d
            for (d,) in connection.execute(
                "SELECT DISTINCT game_date FROM nba_raw.nbac_schedule WHERE game_status = 3 ORDER BY 1"
            ).fetchall()
        ]
    sample = [days[i * len(days) // 20] for i in range(20)]
    medians = {}
    for label, source in (("one season", one_season), ("three seasons", history)):
        copy = fresh_copy(source, work, f"flat_{label.replace(' ', '_')}")
        warehouse = open_duckdb(copy)
        job = PlayerGameSummaryJob(warehouse)
        job.prepare()
        job.process([sample[0]])
        timings = []
        for _ in range(3):
            for day in sample:
                started = time.perf_counter()
                job.process([day])
                timings.append(time.perf_counter() - started)
        warehouse.close()
        medians[label] = statistics.median(timings)
        shutil.rmtree(copy.parent)
        log(f"B3 {label}: median {medians[label] * 1000:.1f} ms per day")
    return {
        "median_ms": {k: round(v * 1000, 2) for k, v in medians.items()},
        "ratio": round(medians["three seasons"] / medians["one season"], 3),
    }


def b5_checkpoint(work: Path) -> dict:
    days = [date(1990, 1, 1) + timedelta(days=i) for i in range(10_000)]
    checkpoint = Checkpoint.load_or_create(work / "b5.json", "bench", days[0], days[-1])
    started = time.perf_counter()

    def record(chunk: list[date]) -> None:
        for day in chunk:
            checkpoint.record(
                [DayResult(day=day, status=DayStatus.SUCCESS, rows=250, units=8, coverage=0.97)]
            )

    threads = [threading.Thread(target=record, args=(days[i::15],)) for i in range(15)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    checkpoint.flush()
    elapsed = time.perf_counter() - started
    return {"outcomes": len(days), "threads": 15, "seconds": round(elapsed, 3)}


def verdicts(report: dict) -> list[Verdict]:
    rows: list[Verdict] = []
    if "B1" in report:
        b1 = report["B1"]
        rows += [
            (
                "B1 batched / floor",
                f"{b1['batched_x_floor']:.2f}x",
                "<= 2.0x",
                b1["batched_x_floor"] <= 2.0,
            ),
            (
                "B1 parallel speedup vs sequential",
                f"{b1['parallel_speedup_vs_sequential']:.2f}x",
                ">= 1.5x",
                b1["parallel_speedup_vs_sequential"] >= 1.5,
            ),
            ("B1 tables identical", str(b1["tables_identical"]), "True", b1["tables_identical"]),
        ]
    if "B2" in report:
        b2 = report["B2"]["workers"]
        rows += [
            (
                "B2 efficiency at 15 workers",
                f"{b2['15']['efficiency']:.2f}",
                ">= 0.90",
                b2["15"]["efficiency"] >= 0.9,
            ),
            (
                "B2 efficiency at 30 workers",
                f"{b2['30']['efficiency']:.2f}",
                ">= 0.80",
                b2["30"]["efficiency"] >= 0.8,
            ),
        ]
    if "B3" in report:
        b3 = report["B3"]
        rows.append(
            ("B3 three seasons / one season", f"{b3['ratio']:.2f}", "<= 1.25", b3["ratio"] <= 1.25)
        )
    if "B4" in report:
        rows.append(
            (
                "B4 peak RSS, 15 workers",
                f"{report['B4']['peak_rss_mb']:.0f} MB",
                "<= 400 MB",
                report["B4"]["peak_rss_mb"] <= 400,
            )
        )
    if "B5" in report:
        rows.append(
            (
                "B5 10,000 outcomes, 15 threads",
                f"{report['B5']['seconds']:.2f} s",
                "<= 2 s",
                report["B5"]["seconds"] <= 2.0,
            )
        )
    if "B6" in report:
        rows += b6_bigquery_sim.verdicts(report["B6"])
    if "B7" in report:
        rows += b7_features.verdicts(report["B7"])
    if "B8" in report:
        rows += b8_fingerprints.verdicts(report["B8"])
    if "B9" in report:
        rows += b9_lineage.verdicts(report["B9"])
    if "B10" in report:
        rows += b10_empty_journal.verdicts(report["B10"])
    if "B11" in report:
        rows += b11_fixed_cost.verdicts(report["B11"])
    if "B12" in report:
        rows += b12_guard.verdicts(report["B12"])
    return rows


def result_word(passed: bool | None) -> str:
    return "INVALID" if passed is None else "PASS" if passed else "FAIL"


def render(report: dict) -> str:
    lines = [""]
    if "B1" in report:
        lines.append(
            "B1 full range 2021-10-01..2024-05-01 "
            f"({report['B1']['rows']:,} rows; median of {report['B1']['rounds']} interleaved "
            "rounds; wall = whole command, engine = runner only)"
        )
        lines.append(f"  {'variant':<32} {'wall s':>8} {'engine s':>9} {'x floor':>8}")
        for name, row in report["B1"]["variants"].items():
            lines.append(
                f"  {name:<32} {row['wall_s']:>8.2f} {row['engine_s']:>9.2f} {row['x_floor']:>8.2f}"
            )
    if "B2" in report:
        lines.append(
            f"B2 thread scaling, {report['B2']['game_days']} game days, "
            f"{report['B2']['latency_s']} s per statement"
        )
        lines.append(f"  {'workers':>7} {'engine s':>9} {'speedup':>8} {'efficiency':>10}")
        for workers, row in report["B2"]["workers"].items():
            lines.append(
                f"  {workers:>7} {row['engine_s']:>9.2f} {row['speedup']:>8.2f} {row['efficiency']:>10.3f}"
            )
    if "B3" in report:
        b3 = report["B3"]["median_ms"]
        lines.append(
            f"B3 single day, median: one season {b3['one season']:.1f} ms, "
            f"three seasons {b3['three seasons']:.1f} ms"
        )
    if "B6" in report:
        lines.extend(b6_bigquery_sim.render(report["B6"]))
    if "B7" in report:
        lines.extend(b7_features.render(report["B7"]))
    if "B8" in report:
        lines.extend(b8_fingerprints.render(report["B8"]))
    if "B9" in report:
        lines.extend(b9_lineage.render(report["B9"]))
    if "B10" in report:
        lines.extend(b10_empty_journal.render(report["B10"]))
    if "B11" in report:
        lines.extend(b11_fixed_cost.render(report["B11"]))
    if "B12" in report:
        lines.extend(b12_guard.render(report["B12"]))
    lines.append("")
    lines.append(f"  {'target':<36} {'measured':>10}  {'wanted':<9} result")
    for name, value, wanted, passed in verdicts(report):
        lines.append(f"  {name:<36} {value:>10}  {wanted:<9} {result_word(passed)}")
    for section in SECTIONS:
        reason = report.get(section, {}).get("machine", {}).get("invalid")
        if reason:
            lines.append(f"  {section} INVALID: {reason}")
    return "\n".join(lines)


def parse_sections(argv: list[str] | None) -> set[str]:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "--only",
        help=f"comma list of sections to run, of {', '.join(SECTIONS)} (default: all)",
    )
    args = parser.parse_args(argv)
    if args.only is None:
        return set(SECTIONS)
    wanted = {part.strip().upper() for part in args.only.split(",") if part.strip()}
    unknown = wanted - set(SECTIONS)
    if not wanted or unknown:
        parser.error(f"--only: unknown section(s) {sorted(unknown)}; pick from {SECTIONS}")
    return wanted


def main(argv: list[str] | None = None) -> int:
    wanted = parse_sections(argv)
    started = time.perf_counter()
    (ROOT / "data").mkdir(exist_ok=True)
    report: dict = {
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
        }
    }
    with tempfile.TemporaryDirectory(prefix="bench-", dir=ROOT / "data") as tmp:
        work = Path(tmp)
        history, one_season = seed(work)
        if wanted & {"B1", "B4"}:
            report["B1"], peak_rss = b1_full_range(history, work)
            report["B4"] = {"peak_rss_mb": round(peak_rss, 1)}
        if "B2" in wanted:
            report["B2"] = b2_scaling(history, work)
        if "B3" in wanted:
            report["B3"] = b3_flat_cost(history, one_season, work)
        if "B5" in wanted:
            report["B5"] = b5_checkpoint(work)
        if "B6" in wanted:
            report["B6"] = b6_bigquery_sim.run_b6(history, work)
        if "B7" in wanted:
            report["B7"] = b7_features.measure(history, work, HISTORY, FULL, ROUNDS)
        if "B8" in wanted:
            report["B8"] = b8_fingerprints.measure(history, work, FULL, ROUNDS)
        if "B9" in wanted:
            report["B9"] = b9_lineage.measure(history, work, HISTORY, FULL)
        if "B10" in wanted:
            report["B10"] = b10_empty_journal.measure(history, work, FULL)
        if "B11" in wanted:
            report["B11"] = b11_fixed_cost.measure(history, work, FULL)
        if "B12" in wanted:
            report["B12"] = b12_guard.measure(history, work, FULL, ROUNDS)
    report["total_s"] = round(time.perf_counter() - started, 1)
    report["measured_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    report["targets"] = [
        {"target": n, "measured": v, "wanted": w, "passed": p, "result": result_word(p)}
        for n, v, w, p in verdicts(report)
    ]
    # A partial run keeps the full run's figures: it writes next to them.
    results = RESULTS
    if wanted != set(SECTIONS):
        results = RESULTS.with_name(f"latest_{'_'.join(sorted(wanted))}.json")
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text(json.dumps(report, indent=2))
    print(render(report))
    print(f"\n(total {report['total_s']} s; written to {results.relative_to(ROOT)})")
    return 0 if all(t["passed"] is True for t in report["targets"]) else 1


if __name__ == "__main__":
    sys.exit(main())
