"""Lineage on the simulated BigQuery, as a Cloud Run task meets it: a run stopped by SIGTERM
(SIGKILL 10 s later) and retried in a new container with an empty checkpoint folder rewrites
only the days whose rows are not current; a table written before lineage gets its columns
(ALTER TABLE ... ADD COLUMN) and its old rows read as unverified.

The simulator serves the real google-cloud-bigquery client over HTTP on 127.0.0.1
(BIGQUERY_EMULATOR_HOST); the stopped run is a separate process, as a container is.
Equality with the embedded path's table proves the retry and its lineage columns, not the
transform (the simulator runs the same transpilation; test_bigquery_sim checks the transform's
rows against DuckDB SQL written by hand).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any, cast

import duckdb
import pytest
import sqlglot
from google.auth.credentials import AnonymousCredentials
from google.cloud import bigquery
from sqlglot import exp

from backfill_jobs.analytics.player_game_summary.player_game_summary_analytics_backfill import main
from backfill_jobs.analytics.player_game_summary.processor import (
    _SQL,
    TARGET,
    PlayerGameSummaryJob,
)
from backfill_jobs.precompute.player_shot_zone_analysis.processor import PlayerShotZoneAnalysisJob
from shared.backfill.fingerprints import digest_queries
from shared.backfill.partition_job import PartitionJob, day_range
from shared.nba.schemas import RAW_TABLES
from shared.warehouse.base import Warehouse
from shared.warehouse.sql import Sql
from tests.cli_helpers import ROOT, SCRIPT, checkpoint_days, table_rows, wait_for
from tests.conftest import END, RANGE, START
from tests.doubles.bigquery_sim import BigQuerySimulator, SimConfig
from tests.doubles.bigquery_sim.http import EmulatorServer
from tests.doubles.bigquery_sim.sqltext import parse
from tests.test_bigquery_sim import adapter

PROJECT = "sim-project"
PARTITIONING = {table.name: table.partition_column for table in RAW_TABLES}
BIGQUERY = ["--warehouse", "bigquery", "--project", PROJECT, "--location", "US"]
SUMMARY = "nba_analytics.player_game_summary"
# The lineage columns: those of the DDL after processed_at.
_COLUMNS = [
    column.name
    for column in sqlglot.parse_one(TARGET.ddl.text, read="bigquery").find_all(exp.ColumnDef)
]
LINEAGE = tuple(_COLUMNS[_COLUMNS.index("processed_at") + 1 :])
FAST = 0.002  # a 2 s job takes 4 ms
# A 2 s job takes 0.3 s, a day (its write, then its day_stats read) about 0.6 s: with 15
# workers over four weeks a SIGTERM finds days in flight and days not started.
DRILL_SCALE = 0.15

Serve = Callable[[float], BigQuerySimulator]


@pytest.fixture()
def serve(seeded: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Serve]:
    """A simulator of the four seeded weeks at a time scale, served over HTTP, with
    BIGQUERY_EMULATOR_HOST pointing at it (for this process and the processes it starts)."""
    started: list[tuple[BigQuerySimulator, EmulatorServer]] = []

    def start(scale: float) -> BigQuerySimulator:
        copy = tmp_path / "sim.duckdb"
        shutil.copy(seeded, copy)
        sim = BigQuerySimulator(
            copy,
            SimConfig(project=PROJECT, time_scale=scale),
            partitioning=PARTITIONING,
            datasets=["nba_analytics"],
        )
        server = EmulatorServer(sim).start()
        monkeypatch.setenv("BIGQUERY_EMULATOR_HOST", server.url)
        started.append((sim, server))
        return sim

    yield start
    for sim, server in started:
        server.close()
        sim.close()


def folders(tmp_path: Path, name: str) -> list[str]:
    """One container's disk: its own checkpoint and log folders."""
    return ["--checkpoint-dir", str(tmp_path / name), "--log-dir", str(tmp_path / f"{name}-logs")]


def start_container(flags: list[str], log: Path) -> subprocess.Popen:
    env = {**os.environ, "NO_GCE_CHECK": "True", "PYTHONPATH": str(ROOT)}
    with open(log, "w") as output:
        return subprocess.Popen(
            [sys.executable, str(SCRIPT), *flags],
            stdout=output,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=ROOT,
        )


def stop_like_cloud_run(process: subprocess.Popen) -> int:
    """SIGTERM, then SIGKILL 10 s later if still alive (a cancelled execution, a task timeout)."""
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait(timeout=10)


def written_days(jobs: list[dict[str, Any]]) -> list[date]:
    """The days whose partition a job replaced (a query into ``player_game_summary$YYYYMMDD``,
    or a copy from staging into it) and finished without error, once per job."""
    days = []
    for job in jobs:
        configuration = job["configuration"]
        spec = configuration.get("query") or configuration.get("copy") or {}
        table = spec.get("destinationTable", {}).get("tableId", "")
        status = job["status"]
        if table.startswith("player_game_summary$") and "errorResult" not in status:
            assert status["state"] == "DONE"
            days.append(date(int(table[-8:-4]), int(table[-4:-2]), int(table[-2:])))
    return days


def days_with_final_games(warehouse: Path) -> set[date]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        rows = connection.execute(
            "SELECT DISTINCT game_date FROM nba_raw.nbac_schedule "
            "WHERE game_status = 3 AND game_date BETWEEN $start AND $end",
            {"start": date.fromisoformat(START), "end": date.fromisoformat(END)},
        ).fetchall()
    return {day for (day,) in rows}


def successes(directory: Path) -> int:
    return sum(record["status"] == "success" for record in checkpoint_days(directory).values())


def test_a_task_stopped_mid_run_is_retried_from_the_rows_alone(
    serve: Serve, seeded: Path, reference_rows: list[tuple], tmp_path: Path
) -> None:
    sim = serve(DRILL_SCALE)
    drill = [*RANGE, *BIGQUERY, "--parallel", "--workers", "15"]
    first = start_container([*drill, *folders(tmp_path, "A")], tmp_path / "first.log")
    wait_for(lambda: successes(tmp_path / "A") >= 2, timeout=20)
    code = stop_like_cloud_run(first)
    # Jobs a stopped client left running finish in BigQuery before the retry starts.
    assert sim.wait_idle(timeout_s=20)
    first_jobs = sim.jobs()
    first_written = written_days(first_jobs)
    work = days_with_final_games(seeded)

    assert code in (130, -signal.SIGKILL), (tmp_path / "first.log").read_text()[-3000:]
    assert first_written and set(first_written) < work  # stopped mid-run

    # The retry: a new container with an empty checkpoint folder B, the same arguments.
    assert main([*drill, *folders(tmp_path, "B")]) == 0

    second_written = written_days(sim.jobs()[len(first_jobs) :])
    journal = {
        date.fromisoformat(day): record for day, record in checkpoint_days(tmp_path / "B").items()
    }
    found_current = {day for day, record in journal.items() if record["attempts"] == 0}
    run_again = {day for day, record in journal.items() if record["attempts"] > 0}
    # Every day with games written exactly once over both runs: none of the first run's again.
    assert sorted(first_written + second_written) == sorted(work)
    assert found_current == set(first_written) and run_again == set(second_written)
    sim.storage.close()
    assert table_rows(sim.storage.path) == reference_rows


def ddl_before_lineage() -> str:
    """The target's DDL as it was before lineage: today's, without the five lineage columns."""
    create = sqlglot.parse_one(TARGET.ddl.text, read="bigquery")
    for column in list(create.this.expressions):
        if isinstance(column, exp.ColumnDef) and column.name in LINEAGE:
            column.pop()
    return create.sql(dialect="bigquery")


# Days whose rows were written before lineage.
OLD_DAYS = frozenset({date(2022, 1, 10), date(2022, 1, 11)})


def client_of(sim: BigQuerySimulator) -> bigquery.Client:
    """The real client, its transport answered by the simulator in process."""
    client = bigquery.Client(project=PROJECT, credentials=AnonymousCredentials(), location="US")
    client._connection.api_request = sim.api_request  # type: ignore[method-assign]
    return client


def status_days(capsys: pytest.CaptureFixture[str], flags: list[str]) -> dict[str, Any]:
    """``status --verify --json`` over the run's range, checkpoints and warehouse."""
    capsys.readouterr()
    assert main(["status", *flags[: flags.index("--log-dir")], "--verify", "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_a_table_from_before_lineage_gets_its_columns_and_its_rows_read_unverified(
    serve: Serve, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sim = serve(FAST)
    client = client_of(sim)
    client.query(ddl_before_lineage()).result()
    old = [f.name for f in client.get_table(f"{PROJECT}.{SUMMARY}").schema]
    # Rows the tool wrote before lineage, for two days: the transform's columns but lineage.
    params = [
        bigquery.ScalarQueryParameter("start_date", "DATE", min(OLD_DAYS)),
        bigquery.ScalarQueryParameter("end_date", "DATE", max(OLD_DAYS)),
        bigquery.ScalarQueryParameter("transform_version", "STRING", "before lineage"),
    ]
    columns = ", ".join(old)
    transform = _SQL["player_game_summary"].text
    insert = f"INSERT INTO {SUMMARY} ({columns}) SELECT {columns} FROM ({transform})"
    client.query(insert, job_config=bigquery.QueryJobConfig(query_parameters=params)).result()
    flags = ["--start-date", "2022-01-08", "--end-date", "2022-01-14", *BIGQUERY]
    flags += folders(tmp_path, "cp")
    jobs_before = len(sim.jobs())

    assert main(flags) == 0

    err = capsys.readouterr().err
    assert "ADD COLUMN IF NOT EXISTS transform_version STRING" in err
    assert "hold rows written before lineage was recorded: unverified" in err
    alters = [
        job["configuration"]["query"]["query"]
        for job in sim.jobs()[jobs_before:]
        if job["statistics"].get("query", {}).get("statementType") == "ALTER_TABLE"
    ]
    assert len(alters) == 1  # one table metadata update for all of them
    assert all(f"ADD COLUMN IF NOT EXISTS {column} " in alters[0] for column in LINEAGE)
    schema = client.get_table(f"{PROJECT}.{SUMMARY}").schema
    assert [f.name for f in schema] == [*old, *LINEAGE]
    assert all(f.mode == "NULLABLE" for f in schema[len(old) :])
    written = written_days(sim.jobs()[jobs_before:])
    assert OLD_DAYS.isdisjoint(written) and written  # the old rows are left as they are
    status = status_days(capsys, flags)
    assert {status["days"][day.isoformat()] for day in OLD_DAYS} == {"unverified"}
    assert status["stale"] == {}
    # Asked for, a day is rewritten and carries its lineage from then on.
    assert main([*flags, "--dates", "2022-01-10"]) == 0
    assert status_days(capsys, flags)["days"]["2022-01-10"] == "done"


# -- what planning reads: pruned like the writes ----------------------------------------------

JOBS = (PlayerGameSummaryJob, PlayerShotZoneAnalysisJob)
PARTITION_COLUMNS = {
    **PARTITIONING,
    **{job.table.name: job.table.partition_column for job in JOBS},
}


@pytest.mark.parametrize("job", JOBS, ids=lambda job: job.name)
def test_the_lineage_and_digest_reads_prune_to_their_parameters(job: type[PartitionJob]) -> None:
    day = date(2022, 1, 12)
    params = job(cast(Warehouse, None)).params(day, day)
    for sql in (job.lineage, *digest_queries(job.transform, job.sources)):
        statement = parse(sql.text)
        assert statement.reads, sql.name
        for read in statement.reads:
            days = read.days(PARTITION_COLUMNS[str(read.name)], sql.bind(params))
            assert days is not None, (sql.name, read.name)  # else every partition is read
            low, high, only = days
            assert low in params.values() and high == day and only is None, sql.name


def test_a_days_digest_dry_run_bills_its_partition_only(serve: Serve) -> None:
    sim = serve(FAST)
    warehouse = adapter(sim)
    day = date(2022, 1, 12)
    job = PlayerGameSummaryJob
    for sql in digest_queries(job.transform, job.sources):
        [read] = parse(sql.text).reads
        partition = Sql("partition", f"SELECT * FROM {read.name} WHERE game_date = @day")
        whole = Sql("whole", f"SELECT * FROM {read.name}")

        estimate = warehouse.estimate_bytes(sql, sql.bind(day_range(day, day)))

        assert estimate == warehouse.estimate_bytes(partition, {"day": day}), sql.name
        assert 0 < estimate < (warehouse.estimate_bytes(whole) or 0), sql.name
