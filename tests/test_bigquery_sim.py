"""The BigQuery write path end to end: the real CLI, the real google-cloud-bigquery client and
our adapter, against the simulated BigQuery (tests/doubles/bigquery_sim) over HTTP through
BIGQUERY_EMULATOR_HOST, and the simulator's documented rules through the client directly.

Comparing with the embedded DuckDB path proves the BigQuery write path (jobs, partitions,
parameters, lineage columns), not the transform: the simulator computes results with the same
sqlglot transpilation. The transform's rows are also checked against DuckDB SQL written by
hand (``independent_rows``), which a transpilation bug would not pass.
No network: the simulator listens on 127.0.0.1.
"""

from __future__ import annotations

import logging
import shutil
import threading
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest
from google.api_core import exceptions as api_exceptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import bigquery

from backfill_jobs.analytics.player_game_summary.player_game_summary_analytics_backfill import main
from backfill_jobs.analytics.player_game_summary.processor import _SQL, TARGET
from shared.backfill.reporting import format_bytes
from shared.errors import WarehouseError
from shared.nba.sample_data import seed_warehouse
from shared.nba.schemas import RAW_TABLES
from shared.warehouse.bigquery_warehouse import BigQueryWarehouse
from shared.warehouse.pacing import TokenBucket
from shared.warehouse.sql import Sql
from tests.cli_helpers import checkpoint_days, table_rows
from tests.doubles.bigquery_sim import (
    BigQuerySimulator,
    Fault,
    FaultPlan,
    FaultReason,
    Latency,
    Limits,
    SimConfig,
)
from tests.doubles.bigquery_sim.http import EmulatorServer
from tests.doubles.bigquery_sim.sqltext import TableName

PROJECT = "sim-project"
START, END = date(2022, 1, 8), date(2022, 1, 14)
RANGE = ["--start-date", START.isoformat(), "--end-date", END.isoformat()]
PARTITIONING = {table.name: table.partition_column for table in RAW_TABLES}
FAST = 0.002  # a 2 s job takes 4 ms


@pytest.fixture(scope="session")
def seed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bqsim") / "seed.duckdb"
    seed_warehouse(path, START, END, seed=7)
    return path


@pytest.fixture(scope="session")
def reference(seed: Path, tmp_path_factory: pytest.TempPathFactory) -> list[tuple]:
    """The table the embedded DuckDB path writes for the range: the oracle."""
    work = tmp_path_factory.mktemp("reference")
    warehouse = work / "w.duckdb"
    shutil.copy(seed, warehouse)
    flags = ["--checkpoint-dir", str(work / "cp"), "--log-dir", str(work / "logs")]
    assert main([*RANGE, "--warehouse", str(warehouse), *flags]) == 0
    return table_rows(warehouse)


def simulator(seed: Path, tmp_path: Path, **options: Any) -> BigQuerySimulator:
    copy = tmp_path / "sim.duckdb"
    shutil.copy(seed, copy)
    faults = options.pop("faults", None)
    config = SimConfig(project=PROJECT, time_scale=options.pop("time_scale", FAST), **options)
    return BigQuerySimulator(
        copy, config, partitioning=PARTITIONING, faults=faults, datasets=["nba_analytics"]
    )


Serve = Callable[[BigQuerySimulator], None]


@pytest.fixture()
def serve(monkeypatch: pytest.MonkeyPatch) -> Iterator[Serve]:
    """Serves a simulator over HTTP and points BIGQUERY_EMULATOR_HOST at it."""
    servers: list[EmulatorServer] = []

    def start(sim: BigQuerySimulator) -> None:
        servers.append(EmulatorServer(sim).start())
        monkeypatch.setenv("BIGQUERY_EMULATOR_HOST", servers[-1].url)

    yield start
    for server in servers:
        server.close()


def run_cli(tmp_path: Path, *flags: str) -> int:
    return main(
        [
            *RANGE,
            "--warehouse",
            "bigquery",
            "--project",
            PROJECT,
            "--location",
            "US",
            "--checkpoint-dir",
            str(tmp_path / "cp"),
            "--log-dir",
            str(tmp_path / "logs"),
            *flags,
        ]
    )


def sim_rows(sim: BigQuerySimulator) -> list[tuple]:
    sim.storage.close()
    return table_rows(sim.storage.path)


def write_jobs(sim: BigQuerySimulator) -> list[dict[str, Any]]:
    return [
        job["configuration"]
        for job in sim.jobs()
        if job["configuration"].get("labels", {}).get("statement") == "player_game_summary"
    ]


# -- the write path through the CLI -------------------------------------------------------


def test_one_day_writes_through_the_real_client_match_the_embedded_path(
    seed: Path,
    reference: list[tuple],
    tmp_path: Path,
    serve: Serve,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """What "matches the embedded path" proves: the BigQuery write path (one query job per day
    into its partition, WRITE_TRUNCATE, byte cap, typed parameters, lineage columns) lands the
    same rows as DuckDB. It cannot prove the transform right: the simulator runs the same
    sqlglot transpilation as the DuckDB adapter, so a transpilation bug would hit both sides
    alike. ``independent_rows`` below is DuckDB SQL written by hand on the raw tables, outside
    our transpilation: the rows written must agree with it too."""
    sim = simulator(seed, tmp_path)
    serve(sim)
    with caplog.at_level(logging.WARNING):
        code = run_cli(tmp_path, "--parallel", "--workers", "4")

    assert code == 0
    assert any("anonymous credentials" in message for message in caplog.messages)
    writes = write_jobs(sim)
    assert writes and all(
        config["query"]["destinationTable"]["tableId"].startswith("player_game_summary$")
        and config["query"]["writeDisposition"] == "WRITE_TRUNCATE"
        and config["query"]["maximumBytesBilled"]
        for config in writes
    )
    assert not any("copy" in job["configuration"] for job in sim.jobs())
    assert sim.stats().bytes_billed["player_game_summary"] > 0
    assert sim_rows(sim) == reference
    expected = independent_rows(seed)
    assert len(expected) > 100 and written_box_scores(sim) == expected


def independent_rows(raw: Path) -> list[tuple]:
    """The rows the transform must write, by DuckDB SQL written here by hand (no sqlglot): one
    per gamebook player of each final game of the range (schedule status 3, matched by date and
    both tricodes), with his team, his points and whether he was active."""
    with duckdb.connect(str(raw), read_only=True) as connection:
        return connection.execute(
            """
            SELECT g.game_date, g.game_id, g.player_lookup, g.team_abbr, g.points,
                   g.player_status = 'active' AS is_active
            FROM nba_raw.nbac_gamebook_player_stats AS g
            JOIN nba_raw.nbac_schedule AS s
              ON s.game_date = g.game_date
             AND s.home_team_tricode = g.home_team_abbr
             AND s.away_team_tricode = g.away_team_abbr
            WHERE s.game_status = 3 AND g.game_date BETWEEN ? AND ?
            ORDER BY ALL
            """,
            [START, END],
        ).fetchall()


def written_box_scores(sim: BigQuerySimulator) -> list[tuple]:
    sim.storage.close()
    with duckdb.connect(str(sim.storage.path), read_only=True) as connection:
        return connection.execute(
            "SELECT game_date, game_id, player_lookup, team_abbr, points, is_active "
            "FROM nba_analytics.player_game_summary ORDER BY ALL"
        ).fetchall()


def test_the_dry_run_shows_the_bytes_of_each_day_and_of_the_input_fingerprints(
    seed: Path, tmp_path: Path, serve: Serve, capsys: pytest.CaptureFixture[str]
) -> None:
    sim = simulator(seed, tmp_path)
    serve(sim)
    assert run_cli(tmp_path, "--dry-run") == 0
    out = capsys.readouterr().out
    assert "bytes scanned" in out and "estimated on-demand cost $" in out
    fingerprints = next(line for line in out.splitlines() if line.startswith("lineage reads"))
    assert all(source in fingerprints for source in ("schedule", "gamebook", "play-by-play"))
    assert not sim.stats().bytes_billed.get("player_game_summary")


def test_each_days_bill_is_recorded_summed_and_shown(
    seed: Path, tmp_path: Path, serve: Serve, capsys: pytest.CaptureFixture[str]
) -> None:
    sim = simulator(seed, tmp_path)
    serve(sim)
    assert run_cli(tmp_path, "--parallel", "--workers", "4") == 0
    days = checkpoint_days(tmp_path / "cp")
    written = [day for day in days.values() if day["status"] == "success"]
    assert written and all(day["bytes_billed"] >= 10 * 1024**2 for day in written)
    assert all(day["bytes_processed"] <= day["bytes_billed"] for day in written)
    out = capsys.readouterr().out
    billed = sum(day["bytes_billed"] for day in days.values() if "bytes_billed" in day)
    assert f"Billed: {format_bytes(billed)} ($" in out and "(the dry run's estimate)" in out
    bigquery = ["--warehouse", "bigquery", "--project", PROJECT]
    assert main(["status", *RANGE, "--checkpoint-dir", str(tmp_path / "cp"), *bigquery]) == 0
    assert f"Billed: {format_bytes(billed)}" in capsys.readouterr().out


def test_batches_stage_once_then_copy_each_partition(
    seed: Path, reference: list[tuple], tmp_path: Path, serve: Serve
) -> None:
    """The staging + copy path writes the rows the embedded path writes (the write path and
    the partitions, not the transform: see the first test's independent check)."""
    sim = simulator(seed, tmp_path)
    serve(sim)

    assert run_cli(tmp_path, "--batch-days", "4", "--parallel", "--workers", "2") == 0

    copies = [job["configuration"]["copy"] for job in sim.jobs() if "copy" in job["configuration"]]
    assert copies and all("__staging_" in c["sourceTables"][0]["tableId"] for c in copies)
    assert all(c["destinationTable"]["tableId"].startswith("player_game_summary$") for c in copies)
    assert [t.name.table for t in sim.storage.tables() if "staging" in t.name.table] == []
    assert sim_rows(sim) == reference


def test_a_rate_limit_storm_is_absorbed_without_a_failed_day(
    seed: Path, tmp_path: Path, serve: Serve
) -> None:
    # One table update per simulated 10 s (0.2 s real: longer than a write takes here, so
    # 4 unpaced workers always collide) and no pacing.
    sim = simulator(seed, tmp_path, limits=Limits(table_updates=1), time_scale=0.02)
    serve(sim)

    code = run_cli(tmp_path, "--parallel", "--workers", "4", "--pace-table-updates", "off")

    assert code == 0
    assert sim.stats().errors["rateLimitExceeded"] > 0
    days = checkpoint_days(tmp_path / "cp")
    assert days and all(entry["status"] != "failed" for entry in days.values())


def test_quota_exceeded_stops_the_run_resumably(
    seed: Path, tmp_path: Path, serve: Serve, capsys: pytest.CaptureFixture[str]
) -> None:
    exhausted = Fault(
        FaultReason.QUOTA_EXCEEDED, statement="player_game_summary", after=2, count=99
    )
    sim = simulator(seed, tmp_path, faults=FaultPlan((exhausted,)))
    serve(sim)

    assert run_cli(tmp_path) == 1

    days = checkpoint_days(tmp_path / "cp")
    assert sum(entry["status"] == "success" for entry in days.values()) == 2
    assert len(write_jobs(sim)) == 3  # no day started after the quota ran out
    assert "wait at least 10 minutes" in capsys.readouterr().err


def test_backend_errors_and_job_rate_limits_are_resubmitted(
    seed: Path, reference: list[tuple], tmp_path: Path, serve: Serve
) -> None:
    """Resubmitted jobs lose and duplicate no row: the table equals the embedded path's."""
    faults = FaultPlan(
        (
            Fault(FaultReason.BACKEND_ERROR, statement="player_game_summary"),
            Fault(FaultReason.JOB_RATE_LIMIT, statement="day_stats"),
        )
    )
    sim = simulator(seed, tmp_path, faults=faults)
    serve(sim)

    assert run_cli(tmp_path, "--parallel", "--workers", "3") == 0

    assert sim.stats().errors == {"backendError": 1, "jobRateLimitExceeded": 1}
    assert sim_rows(sim) == reference


# -- the adapter and the simulator's rules, through the client in process -----------------


def adapter(sim: BigQuerySimulator, **options: Any) -> BigQueryWarehouse:
    def factory(project: str, credentials: Any, location: str | None) -> bigquery.Client:
        client = bigquery.Client(project=project, credentials=credentials, location=location)
        client._connection.api_request = sim.api_request  # type: ignore[method-assign]
        return client

    return BigQueryWarehouse(
        project=PROJECT,
        location="US",
        job_name="player_game_summary",
        credentials=AnonymousCredentials(),
        client_factory=factory,
        **options,
    )


def client_of(sim: BigQuerySimulator) -> bigquery.Client:
    return adapter(sim)._client()


TARGET_NAME = TableName("nba_analytics", "player_game_summary")
DAY = date(2022, 1, 10)
ONE_DAY = {"start_date": DAY, "end_date": DAY}
# What the transform is run with (it stamps its rows with the version).
WRITE_DAY = {**ONE_DAY, "transform_version": "0123456789abcdef"}


def test_an_emptied_day_has_its_partition_deleted(seed: Path, tmp_path: Path) -> None:
    sim = simulator(seed, tmp_path)
    warehouse = adapter(sim)
    warehouse.execute(TARGET.ddl)
    written = warehouse.replace_partitions(
        TARGET, _SQL["player_game_summary"], WRITE_DAY, [DAY]
    ).rows
    other = {**WRITE_DAY, "start_date": date(2022, 1, 11), "end_date": date(2022, 1, 11)}
    warehouse.replace_partitions(TARGET, _SQL["player_game_summary"], other, [date(2022, 1, 11)])
    nothing = Sql("empty", _SQL["player_game_summary"].text.rstrip().rstrip(";") + " LIMIT 0")

    assert written > 0
    assert warehouse.replace_partitions(TARGET, nothing, WRITE_DAY, [DAY]).rows == 0

    meta = sim.storage.table(TARGET_NAME)
    assert meta is not None
    assert sim.storage.partition_rows(meta, DAY) == 0
    assert sim.storage.partition_rows(meta, date(2022, 1, 11)) > 0


def test_job_costs_are_summed_per_thread_then_reset(seed: Path, tmp_path: Path) -> None:
    sim = simulator(seed, tmp_path)
    warehouse = adapter(sim)
    warehouse.execute(TARGET.ddl)
    warehouse.take_cost()
    warehouse.replace_partitions(TARGET, _SQL["player_game_summary"], WRITE_DAY, [DAY])
    rows = warehouse.query(_SQL["day_stats"], ONE_DAY)

    cost = warehouse.take_cost()

    assert rows and cost is not None
    stats = sim.stats()
    assert (
        cost.bytes_billed
        == stats.bytes_billed["player_game_summary"] + stats.bytes_billed["day_stats"]
    )
    assert cost.bytes_billed >= 3 * 10 * 1024**2  # 10 MB minimum for each raw table read
    assert 0 < cost.bytes_processed < cost.bytes_billed and cost.slot_ms > 0
    assert warehouse.take_cost() == type(cost)()
    other: list[Any] = []
    thread = threading.Thread(target=lambda: other.append(warehouse.take_cost()))
    thread.start()
    thread.join()
    assert other == [type(cost)()]


def test_dry_runs_report_the_bytes_of_the_partitions_read(seed: Path, tmp_path: Path) -> None:
    sim = simulator(seed, tmp_path)
    warehouse = adapter(sim)
    text = "SELECT * FROM nba_raw.bigdataball_play_by_play WHERE game_date BETWEEN @start_date AND @end_date"
    one = warehouse.estimate_bytes(Sql("pbp", text), ONE_DAY)
    next_day = {"start_date": date(2022, 1, 11), "end_date": date(2022, 1, 11)}
    two = warehouse.estimate_bytes(
        Sql("pbp", text), {"start_date": DAY, "end_date": next_day["end_date"]}
    )
    unpruned = warehouse.estimate_bytes(
        Sql(
            "pbp",
            "SELECT * FROM nba_raw.bigdataball_play_by_play WHERE DATE_ADD(game_date, INTERVAL 0 DAY) = @start_date",
        ),
        ONE_DAY,
    )
    table = client_of(sim).get_table(f"{PROJECT}.nba_raw.bigdataball_play_by_play")

    assert one and two and unpruned
    assert two == one + warehouse.estimate_bytes(Sql("pbp", text), next_day)
    assert unpruned == table.num_bytes > two


def test_a_byte_cap_fails_the_job_without_running_it(seed: Path, tmp_path: Path) -> None:
    sim = simulator(seed, tmp_path)
    warehouse = adapter(sim, maximum_bytes_billed=1024**2)
    warehouse.execute(TARGET.ddl)

    with pytest.raises(WarehouseError, match="--max-bytes-billed"):
        warehouse.replace_partitions(TARGET, _SQL["player_game_summary"], WRITE_DAY, [DAY])
    assert sim.stats().errors["bytesBilledLimitExceeded"] == 1


def test_required_columns_refuse_query_results_but_take_copies(seed: Path, tmp_path: Path) -> None:
    sim = simulator(seed, tmp_path)
    client = client_of(sim)
    client.query(
        "CREATE TABLE nba_analytics.strict (game_id STRING NOT NULL, game_date DATE NOT NULL) "
        "PARTITION BY game_date"
    ).result()
    config = bigquery.QueryJobConfig(
        destination=f"{PROJECT}.nba_analytics.strict$20220110",
        write_disposition="WRITE_TRUNCATE",
        query_parameters=[bigquery.ScalarQueryParameter("d", "DATE", DAY)],
    )
    select = "SELECT game_id, game_date FROM nba_raw.nbac_schedule WHERE game_date = @d"

    with pytest.raises(api_exceptions.BadRequest, match="changed mode from REQUIRED to NULLABLE"):
        client.query(select, job_config=config).result(job_retry=None)

    warehouse = adapter(sim)
    strict = Sql(
        "strict",
        "CREATE TABLE IF NOT EXISTS nba_analytics.strict (game_id STRING NOT NULL, game_date DATE NOT NULL) PARTITION BY game_date",
    )
    table = type(TARGET)("nba_analytics.strict", "game_date", strict)
    select_day = Sql(
        "schedule", select.replace("@d", "@start_date") + " AND game_date <= @end_date"
    )
    assert warehouse.replace_partitions(table, select_day, ONE_DAY, [DAY]).rows > 0
    assert any("copy" in job["configuration"] for job in sim.jobs())


def test_table_updates_over_the_rate_are_refused(seed: Path, tmp_path: Path) -> None:
    sim = simulator(seed, tmp_path, time_scale=1.0, limits=Limits(table_updates=2))
    client = client_of(sim)
    partition = f"{PROJECT}.nba_raw.nbac_schedule$202201"

    client.delete_table(partition + "08", retry=None)
    client.delete_table(partition + "09", retry=None)
    with pytest.raises(
        api_exceptions.Forbidden, match="too many partitioned table update operations"
    ):
        client.delete_table(partition + "10", retry=None)
    assert sim.stats().errors["rateLimitExceeded"] == 1


def test_mutating_dml_runs_two_at_a_time_and_queues_twenty(seed: Path, tmp_path: Path) -> None:
    sim = simulator(seed, tmp_path, time_scale=0.001, latency=Latency(median_s=200.0, sigma=0.0))
    client = client_of(sim)
    statement = "DELETE FROM nba_raw.nbac_schedule WHERE game_date = DATE '1990-01-01'"

    jobs = [client.query(statement) for _ in range(25)]
    outcomes = []
    for job in jobs:
        try:
            job.result(job_retry=None)
            outcomes.append("done")
        except api_exceptions.BadRequest as exc:
            outcomes.append(exc.errors[0]["reason"])

    assert outcomes.count("done") == 22
    assert outcomes.count("resourcesExceeded") == 3


def test_labels_travel_with_every_job(seed: Path, tmp_path: Path) -> None:
    sim = simulator(seed, tmp_path)
    warehouse = adapter(sim)
    warehouse.execute(TARGET.ddl)
    warehouse.replace_partitions(TARGET, _SQL["player_game_summary"], WRITE_DAY, [DAY])

    [write] = write_jobs(sim)
    assert write["labels"] == {
        "job": "player_game_summary",
        "statement": "player_game_summary",
        "day": "20220110",
    }
    with pytest.raises(api_exceptions.BadRequest, match="Label key"):
        config = bigquery.QueryJobConfig(labels={"Bad Key": "x"})
        client_of(sim).query("SELECT 1", job_config=config).result()


def test_the_token_bucket_never_admits_more_than_burst_plus_rate_per_window() -> None:
    now = [0.0]
    bucket = TokenBucket(rate=4.5, burst=5, clock=lambda: now[0])
    starts = []
    for _ in range(200):
        wait = bucket.reserve()
        starts.append(now[0] + wait)
        now[0] += 0.01  # callers arrive far faster than the rate

    for first in starts:
        assert sum(first <= start < first + 10.0 for start in starts) <= 50
    assert starts[:5] == pytest.approx([0.0, 0.01, 0.02, 0.03, 0.04])
    assert starts[-1] == pytest.approx((200 - 5) / 4.5, abs=0.05)


def test_a_rerun_that_would_drop_a_game_is_held_on_bigquery_too(
    seed: Path,
    reference: list[tuple],
    tmp_path: Path,
    serve: Serve,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sim = simulator(seed, tmp_path)
    serve(sim)
    assert run_cli(tmp_path, "--parallel", "--workers", "4") == 0
    day = date(2022, 1, 10)
    (game,) = (
        sim.storage.cursor()
        .execute(
            "SELECT MIN(game_id) FROM nba_analytics.player_game_summary WHERE game_date = $d",
            {"d": day},
        )
        .fetchone()
    )
    sim.storage.cursor().execute(
        "DELETE FROM nba_raw.nbac_gamebook_player_stats WHERE game_id = $g", {"g": game}
    )
    capsys.readouterr()
    assert run_cli(tmp_path, "--stale") == 1
    out = capsys.readouterr().out
    assert f"{day}: would drop game {game} (" in out
    assert sim_rows(sim) == reference
    assert checkpoint_days(tmp_path / "cp")[day.isoformat()]["status"] == "held"


def test_alter_table_adds_nullable_columns_as_a_metadata_update(seed: Path, tmp_path: Path) -> None:
    sim = simulator(seed, tmp_path, time_scale=0.01, latency=Latency(median_s=2.0, sigma=0.0))
    client = client_of(sim)
    client.query(
        "CREATE TABLE nba_analytics.t (game_date DATE, points INT64) PARTITION BY game_date"
    ).result()
    client.query("INSERT INTO nba_analytics.t VALUES (DATE '2022-01-10', 7)").result()

    job = client.query(
        "ALTER TABLE nba_analytics.t ADD COLUMN IF NOT EXISTS points STRING, "
        "ADD COLUMN IF NOT EXISTS data_hash INT64"
    )
    job.result()

    assert job.statement_type == "ALTER_TABLE" and job.total_bytes_billed == 0
    schema = client.get_table(f"{PROJECT}.nba_analytics.t").schema
    assert [(f.name, f.field_type, f.mode) for f in schema] == [
        ("game_date", "DATE", "NULLABLE"),
        ("points", "INTEGER", "NULLABLE"),  # IF NOT EXISTS: the column stays as it was
        ("data_hash", "INTEGER", "NULLABLE"),
    ]
    rows = client.query("SELECT points, data_hash FROM nba_analytics.t").result()
    assert [tuple(row.values()) for row in rows] == [(7, None)]
    for statement, refusal in (
        ("ALTER TABLE nba_analytics.t ADD COLUMN points INT64", "already exists"),
        ("ALTER TABLE nba_analytics.t ADD COLUMN strict INT64 NOT NULL", "REQUIRED"),
        ("ALTER TABLE nba_analytics.t DROP COLUMN points", "ADD COLUMN"),
    ):
        with pytest.raises(api_exceptions.BadRequest, match=refusal):
            client.query(statement).result(job_retry=None)
    client.query("ALTER TABLE IF EXISTS nba_analytics.missing ADD COLUMN x INT64").result()
    assert not any("missing" in meta.name.table for meta in sim.storage.tables())

    # At most 5 metadata updates per 10 s per table: of 6 at once, one is refused (partitioned,
    # so the 5 updates per 10 s of a standard table do not bind first).
    client.query("CREATE TABLE nba_analytics.u (game_date DATE) PARTITION BY game_date").result()
    jobs = [
        client.query(f"ALTER TABLE nba_analytics.u ADD COLUMN IF NOT EXISTS c{i} INT64")
        for i in range(6)
    ]
    refused = []
    for alter in jobs:
        try:
            alter.result(retry=None, job_retry=None)
        except api_exceptions.GoogleAPICallError as exc:
            refused.append(exc.errors[0]["reason"])
    assert refused == ["rateLimitExceeded"]
    assert len(client.get_table(f"{PROJECT}.nba_analytics.u").schema) == 1 + 5
