"""Bulk writes on BigQuery through the real CLI and client against the simulator over HTTP:
the range in one transaction (at most 3 table updates on the target) writing the table the
embedded path writes, lineage included; a day that would shrink held; a failing bulk write
falling back to per-day writes that find the bad day; the rule that picks the write mode and
the flag that overrides it; and the simulator's scripts and transactions."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from google.api_core import exceptions as api_exceptions
from google.cloud import bigquery

from backfill_jobs.analytics.player_game_summary.player_game_summary_analytics_backfill import main
from shared.backfill import planning
from shared.backfill.planning import WriteMode, writes_in_bulk
from tests import test_bigquery_sim as sim_tests
from tests.cli_helpers import checkpoint_days
from tests.doubles.bigquery_sim import BigQuerySimulator
from tests.test_bigquery_sim import (
    END,
    START,
    Serve,
    client_of,
    run_cli,
    sim_rows,
    simulator,
    write_jobs,
)

# The fixtures of the simulator's tests: a seeded week, DuckDB's table of it, an HTTP server.
seed, reference, serve = sim_tests.seed, sim_tests.reference, sim_tests.serve

TARGET = "nba_analytics.player_game_summary"
DAY = date(2022, 1, 10)


def scripts(sim: BigQuerySimulator) -> list[str]:
    return [
        c["query"]["query"]
        for c in write_jobs(sim)
        if "query" in c and c["query"]["query"].startswith("BEGIN TRANSACTION")
    ]


def day_writes(sim: BigQuerySimulator) -> list[str]:
    """The partitions written one by one: by a query job (a day the target held no rows for)
    or by a copy from staging (a day the shrink guard compared first)."""
    written = []
    for job in sim.jobs():
        config = job["configuration"]
        if "copy" in config:
            written.append(config["copy"]["destinationTable"]["tableId"])
        elif "destinationTable" in config.get("query", {}) and config in write_jobs(sim):
            written.append(config["query"]["destinationTable"]["tableId"])
    return written


def statuses(tmp_path: Path) -> dict[str, str]:
    return {day: entry["status"] for day, entry in checkpoint_days(tmp_path / "cp").items()}


def test_a_bulk_write_is_one_transaction_and_writes_what_duckdb_writes(
    seed: Path, reference: list[tuple], tmp_path: Path, serve: Serve
) -> None:
    sim = simulator(seed, tmp_path)
    serve(sim)

    assert run_cli(tmp_path, "--write-mode", "bulk", "--parallel", "--workers", "4") == 0

    # Creating the target, then the transaction's DELETE and INSERT.
    assert sim.stats().table_updates[TARGET] <= 3
    assert len(scripts(sim)) == 1 and day_writes(sim) == []
    assert sim.stats().jobs["child"] == 2
    days = statuses(tmp_path)
    assert len(days) == (END - START).days + 1 and set(days.values()) <= {"success", "skipped"}
    assert [t.name.table for t in sim.storage.tables() if "__bulk_" in t.name.table] == []
    assert sim_rows(sim) == reference  # every column, lineage included


def test_a_day_that_would_shrink_is_held_and_the_others_written(
    seed: Path, reference: list[tuple], tmp_path: Path, serve: Serve
) -> None:
    sim = simulator(seed, tmp_path)
    serve(sim)
    assert run_cli(tmp_path, "--write-mode", "bulk") == 0
    cursor = sim.storage.cursor()
    (game,) = cursor.execute(
        f"SELECT MIN(game_id) FROM {TARGET} WHERE game_date = $d", {"d": DAY}
    ).fetchone()
    cursor.execute("DELETE FROM nba_raw.nbac_gamebook_player_stats WHERE game_id = $g", {"g": game})
    cursor.execute(
        f"UPDATE {TARGET} SET points = -1 WHERE game_date = $d", {"d": date(2022, 1, 11)}
    )
    updates = sim.stats().table_updates[TARGET]

    assert run_cli(tmp_path, "--write-mode", "bulk", "--no-resume") == 1

    assert sim.stats().table_updates[TARGET] - updates == 2
    (script,) = scripts(sim)[1:]
    assert "NOT IN UNNEST(@held_days)" in script
    days = statuses(tmp_path)
    assert days[DAY.isoformat()] == "held"
    assert [d for d, s in days.items() if s not in {"success", "skipped"}] == [DAY.isoformat()]
    # The held day kept its rows; the day changed by hand was rewritten.
    assert sim_rows(sim) == reference


def test_a_failing_bulk_write_falls_back_to_per_day_writes_that_find_the_bad_day(
    seed: Path, tmp_path: Path, serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    sim = simulator(seed, tmp_path)
    # A minutes value no INT64 holds: the transform fails on that day only.
    sim.storage.cursor().execute(
        "UPDATE nba_raw.nbac_gamebook_player_stats SET minutes = '1' || repeat('0', 30) "
        "WHERE game_date = $d AND player_status = 'active'",
        {"d": DAY},
    )
    serve(sim)

    assert run_cli(tmp_path, "--write-mode", "bulk", "--parallel", "--workers", "4") == 1

    assert "bulk write of 2022-01-08..2022-01-14 failed" in caplog.text
    days = statuses(tmp_path)
    assert [d for d, s in days.items() if s == "failed"] == [DAY.isoformat()]
    assert len(days) == (END - START).days + 1
    assert len(scripts(sim)) == 0 and len(day_writes(sim)) >= 6


def test_auto_writes_a_short_range_per_day_and_a_long_one_in_bulk(
    seed: Path, tmp_path: Path, serve: Serve, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim = simulator(seed, tmp_path)
    serve(sim)
    assert run_cli(tmp_path / "short") == 0  # 7 game days: under BULK_MIN_DAYS
    assert scripts(sim) == [] and len(day_writes(sim)) == 7

    monkeypatch.setattr(planning, "BULK_MIN_DAYS", 5)
    assert run_cli(tmp_path / "long", "--no-resume") == 0
    assert len(scripts(sim)) == 1 and len(day_writes(sim)) == 7
    # Days picked one by one stay per-day; the flag overrides the rule.
    assert run_cli(tmp_path / "long", "--dates", "2022-01-10") == 0
    assert run_cli(tmp_path / "forced", "--write-mode", "per-day", "--no-resume") == 0
    assert len(scripts(sim)) == 1 and len(day_writes(sim)) == 7 + 1 + 7


def test_the_rule() -> None:
    def bulk(mode: WriteMode, days: int, *, picked: bool = False, limit: int = 4000) -> bool:
        return writes_in_bulk(mode, bulk_write_days=limit, days_with_work=days, picked=picked)

    assert bulk(WriteMode.AUTO, planning.BULK_MIN_DAYS)
    assert not bulk(WriteMode.AUTO, planning.BULK_MIN_DAYS - 1)
    assert not bulk(WriteMode.AUTO, 585, picked=True)
    assert not bulk(WriteMode.AUTO, 585, limit=0)  # DuckDB: no bulk write
    assert bulk(WriteMode.BULK, 2, picked=True)
    assert not bulk(WriteMode.PER_DAY, 585)


def test_bulk_batches_stay_under_the_partition_limit() -> None:
    days = planning.calendar_days(date(2010, 1, 1), date(2021, 12, 31))
    batches = planning.make_batches(days, dict.fromkeys(days, 1), len(days), max_span_days=4000)
    assert [len(b) for b in batches] == [4000, 383]
    assert [d for b in batches for d in b] == days


def test_bulk_on_duckdb_is_a_usage_error(
    seed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    flags = ["--checkpoint-dir", str(tmp_path / "cp"), "--log-dir", str(tmp_path / "logs")]
    warehouse = ["--warehouse", str(seed)]
    code = main(
        [
            "--start-date",
            "2022-01-08",
            "--end-date",
            "2022-01-09",
            *warehouse,
            *flags,
            "--write-mode",
            "bulk",
        ]
    )
    assert code == 2
    assert "--write-mode bulk:" in capsys.readouterr().err


# -- the simulator: scripts and transactions ----------------------------------------------

SCRATCH = "`sim-project`.`nba_analytics`.`scratch`"


def test_a_transaction_commits_all_its_statements_or_none(seed: Path, tmp_path: Path) -> None:
    sim = simulator(seed, tmp_path)
    client = client_of(sim)
    client.query(f"CREATE TABLE {SCRATCH} (d DATE, n INT64) PARTITION BY d").result()
    client.query(f"INSERT INTO {SCRATCH} (d, n) VALUES (DATE '2022-01-01', 1)").result()
    updates = sim.stats().table_updates["nba_analytics.scratch"]

    failing = client.query(
        "BEGIN TRANSACTION;\n"
        f"DELETE FROM {SCRATCH} WHERE d = DATE '2022-01-01';\n"
        f"INSERT INTO {SCRATCH} (d, n) VALUES (DATE '2022-01-02', CAST('x' AS INT64));\n"
        "COMMIT TRANSACTION;"
    )
    with pytest.raises(api_exceptions.BadRequest):
        failing.result()

    def rows() -> list[tuple]:
        return sim.storage.cursor().execute("SELECT d, n FROM nba_analytics.scratch").fetchall()

    assert rows() == [(date(2022, 1, 1), 1)]  # rolled back

    client.query(
        "BEGIN TRANSACTION;\n"
        f"DELETE FROM {SCRATCH} WHERE d = DATE '2022-01-01';\n"
        "ROLLBACK TRANSACTION;"
    ).result()
    assert rows() == [(date(2022, 1, 1), 1)]

    job = client.query(
        "BEGIN TRANSACTION;\n"
        f"DELETE FROM {SCRATCH} WHERE d BETWEEN @a AND @b;\n"
        f"INSERT INTO {SCRATCH} (d, n) VALUES (DATE '2022-01-02', 2);\n"
        "COMMIT TRANSACTION;",
        job_config=bigquery.QueryJobConfig(
            query_parameters=[
                bigquery.ScalarQueryParameter("a", "DATE", date(2022, 1, 1)),
                bigquery.ScalarQueryParameter("b", "DATE", date(2022, 1, 31)),
            ]
        ),
    )
    job.result()
    assert rows() == [(date(2022, 1, 2), 2)]
    # Each DML statement of a committed or attempted script is a table update.
    assert sim.stats().table_updates["nba_analytics.scratch"] - updates >= 2
    assert job._properties["statistics"]["query"]["statementType"] == "SCRIPT"


def test_a_transaction_that_is_never_committed_is_refused(seed: Path, tmp_path: Path) -> None:
    sim = simulator(seed, tmp_path)
    client = client_of(sim)
    with pytest.raises(api_exceptions.BadRequest, match="never committed"):
        client.query(f"BEGIN TRANSACTION;\nDELETE FROM {SCRATCH} WHERE TRUE;").result()
