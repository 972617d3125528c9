"""The simulator refuses what BigQuery refuses (quotas.py, faults.py): each rule below lets
the operations under its limit through and fails the next one with BigQuery's reason, so a
tool that breaks the rule fails here as it would in production. Limits are lowered where the
real ones (thousands a day) would make a slow test; the rule is the same."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import requests
from google.cloud import bigquery

from shared.nba.sample_data import seed_warehouse
from tests.cli_helpers import wait_for
from tests.doubles.bigquery_sim import (
    BigQuerySimulator,
    Fault,
    FaultPlan,
    FaultReason,
    HttpFault,
    HttpFaults,
    Latency,
    Limits,
)
from tests.doubles.bigquery_sim.http import EmulatorServer
from tests.doubles.bigquery_sim.sqltext import TableName
from tests.test_bigquery_sim import END, PROJECT, START, client_of, simulator

QUICK = Latency(median_s=0.01, sigma=0.0)


@pytest.fixture(scope="module")
def week(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("rules") / "seed.duckdb"
    seed_warehouse(path, START, END, seed=7)
    return path


def real_time(week: Path, tmp_path: Path, **options: Any) -> BigQuerySimulator:
    """A simulator on real time (a 10 s window is 10 s), jobs of 10 ms."""
    return simulator(week, tmp_path, time_scale=1.0, latency=QUICK, **options)


def outcomes(sim: BigQuerySimulator, statements: list[str]) -> list[str]:
    """Runs each statement as a query job, one after the other; 'done' or the error reason."""
    client = client_of(sim)
    for text in statements:
        client.query(text)
        assert sim.wait_idle()
    return [job["status"].get("errorResult", {}).get("reason", "done") for job in sim.jobs()]


def day(n: int) -> str:
    return f"DATE '{date(2022, 1, n).isoformat()}'"


# -- rates per 10 s --------------------------------------------------------------------


def test_dml_runs_25_statements_per_10_s_per_table(week: Path, tmp_path: Path) -> None:
    sim = real_time(week, tmp_path)
    delete = f"DELETE FROM nba_raw.nbac_schedule WHERE game_date = {day(1)}"
    assert outcomes(sim, [delete] * 26) == ["done"] * 25 + ["rateLimitExceeded"]
    [refused] = [job for job in sim.jobs() if "errorResult" in job["status"]]
    assert "too many DML statements" in refused["status"]["errorResult"]["message"]


def test_a_standard_table_takes_5_updates_per_10_s_a_partitioned_one_50(
    week: Path, tmp_path: Path
) -> None:
    sim = real_time(week, tmp_path)
    create = "CREATE TABLE nba_analytics.flat AS SELECT 1 AS x"
    insert = "INSERT INTO nba_analytics.flat (x) VALUES (2)"
    partitioned = f"DELETE FROM nba_raw.nbac_schedule WHERE game_date = {day(2)}"
    reasons = outcomes(sim, [create, *[insert] * 5, *[partitioned] * 6])
    # The CTAS and 4 inserts fill the standard table's 5; the partitioned table takes all 6.
    assert reasons == ["done"] * 5 + ["rateLimitExceeded"] + ["done"] * 6
    [refused] = [job for job in sim.jobs() if "errorResult" in job["status"]]
    assert "too many table update operations" in refused["status"]["errorResult"]["message"]


# -- daily quotas ----------------------------------------------------------------------------


def test_partition_modifications_per_day_are_capped_per_partitioned_table(
    week: Path, tmp_path: Path
) -> None:
    sim = real_time(week, tmp_path, limits=Limits(partition_modifications_per_day=8))
    ctas = (
        "CREATE TABLE nba_analytics.sched PARTITION BY game_date AS "
        "SELECT * FROM nba_raw.nbac_schedule"  # 7 days: 7 partitions
    )

    def delete(n: int) -> str:
        return f"DELETE FROM nba_analytics.sched WHERE game_date = {day(n)}"

    assert outcomes(sim, [ctas, delete(9), delete(10)]) == ["done", "done", "quotaExceeded"]
    message = sim.jobs()[-1]["status"]["errorResult"]["message"]
    assert "Number of partition modifications to a column partitioned table" in message


def test_modifications_per_day_are_capped_per_standard_table(week: Path, tmp_path: Path) -> None:
    sim = real_time(week, tmp_path, limits=Limits(table_modifications_per_day=2))
    create = "CREATE TABLE nba_analytics.flat AS SELECT 1 AS x"
    insert = "INSERT INTO nba_analytics.flat (x) VALUES (2)"
    assert outcomes(sim, [create, insert, insert]) == ["done", "done", "quotaExceeded"]
    assert (
        "imports or query appends per table" in sim.jobs()[-1]["status"]["errorResult"]["message"]
    )


def test_failed_copies_count_against_the_daily_modifications(week: Path, tmp_path: Path) -> None:
    faults = FaultPlan((Fault(FaultReason.BACKEND_ERROR, statement="copy", count=1),))
    sim = real_time(week, tmp_path, limits=Limits(partition_modifications_per_day=2), faults=faults)
    client = client_of(sim)
    client.query(
        "CREATE TABLE nba_analytics.sched PARTITION BY game_date AS "
        "SELECT * FROM nba_raw.nbac_schedule WHERE FALSE"
    ).result()
    config = bigquery.CopyJobConfig(
        write_disposition=bigquery.WriteDisposition.WRITE_TRUNCATE, labels={"statement": "copy"}
    )
    for _ in range(3):
        client.copy_table(
            f"{PROJECT}.nba_raw.nbac_schedule$20220110",
            f"{PROJECT}.nba_analytics.sched$20220110",
            job_config=config,
        )
        assert sim.wait_idle()
    reasons = [job["status"].get("errorResult", {}).get("reason", "done") for job in sim.jobs()]
    # The failed copy spent one of the 2: the third copy finds none left.
    assert reasons == ["done", "backendError", "done", "quotaExceeded"]


# -- partitions per job ----------------------------------------------------------------------


def test_a_job_modifying_more_partitions_than_allowed_fails_and_writes_nothing(
    week: Path, tmp_path: Path
) -> None:
    sim = real_time(week, tmp_path, limits=Limits(partitions_per_job=6))
    seven = "SELECT * FROM nba_raw.nbac_schedule"  # 7 game days
    six = f"{seven} WHERE game_date > {day(8)}"
    reasons = outcomes(
        sim,
        [
            f"CREATE TABLE nba_analytics.wide PARTITION BY game_date AS {seven}",
            f"CREATE TABLE nba_analytics.narrow PARTITION BY game_date AS {six}",
        ],
    )
    assert reasons == ["invalid", "done"]
    assert "Too many partitions produced by query, allowed 6" in str(sim.jobs()[0]["status"])
    assert sim.storage.table(TableName("nba_analytics", "wide")) is None

    client = client_of(sim)
    config = bigquery.QueryJobConfig(
        destination=f"{PROJECT}.nba_analytics.narrow",
        write_disposition=bigquery.WriteDisposition.WRITE_TRUNCATE,
    )
    client.query(seven, job_config=config)
    copy = client.copy_table(
        f"{PROJECT}.nba_raw.nbac_schedule",
        f"{PROJECT}.nba_analytics.narrow",
        job_config=bigquery.CopyJobConfig(
            write_disposition=bigquery.WriteDisposition.WRITE_TRUNCATE
        ),
    )
    assert sim.wait_idle() and copy.job_id
    reasons = [job["status"].get("errorResult", {}).get("reason", "done") for job in sim.jobs()]
    assert reasons[2:] == ["invalid", "invalid"]
    held = sim.storage.cursor().execute(
        "SELECT COUNT(DISTINCT game_date) FROM nba_analytics.narrow"
    )
    assert held.fetchone()[0] == 6


def test_dml_modifying_more_partitions_than_allowed_fails_and_changes_nothing(
    week: Path, tmp_path: Path
) -> None:
    sim = real_time(week, tmp_path, limits=Limits(partitions_per_job=6))
    before = sim_rows(sim, "nba_raw.nbac_schedule")
    reasons = outcomes(
        sim,
        [
            "DELETE FROM nba_raw.nbac_schedule WHERE TRUE",  # 7 game days
            "INSERT INTO nba_raw.nbac_schedule SELECT * FROM nba_raw.nbac_schedule",
            f"DELETE FROM nba_raw.nbac_schedule s WHERE s.game_date > {day(8)}",  # 6
            "INSERT INTO nba_raw.nbac_schedule (game_id, game_date) VALUES "
            + ", ".join(f"('g{n}', {day(n)})" for n in range(1, 8)),
        ],
    )
    assert reasons == ["invalid", "invalid", "done", "invalid"]
    assert sim_rows(sim, "nba_raw.nbac_schedule") < before


def test_dml_spends_one_daily_modification_per_partition(week: Path, tmp_path: Path) -> None:
    sim = real_time(week, tmp_path, limits=Limits(partition_modifications_per_day=8))
    everything = "DELETE FROM nba_raw.nbac_schedule WHERE game_date IS NOT NULL"  # 7 days
    two = (
        "INSERT INTO nba_raw.nbac_schedule (game_id, game_date) "
        f"VALUES ('a', {day(1)}), ('b', {day(2)})"
    )
    assert outcomes(sim, [everything, two]) == ["done", "quotaExceeded"]


def sim_rows(sim: BigQuerySimulator, table: str) -> int:
    return int(sim.storage.cursor().execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


# -- job run time ------------------------------------------------------------------------------


def test_a_job_stops_by_itself_after_its_job_timeout(week: Path, tmp_path: Path) -> None:
    """A two-hour query whose client is gone: with jobTimeoutMs of 1 h it fails at 1 h; the
    limit of 6 h stops any job."""
    hours = Latency(median_s=7200.0, sigma=0.0)
    sim = simulator(week, tmp_path, time_scale=0.0002, latency=hours)
    client = client_of(sim)
    bounded = client.query(
        "SELECT 1 AS x", job_config=bigquery.QueryJobConfig(job_timeout_ms=3_600_000)
    )
    unbounded = client.query("SELECT 2 AS x")
    assert sim.wait_idle()
    statuses = {job["jobReference"]["jobId"]: job["status"] for job in sim.jobs()}
    assert statuses[bounded.job_id]["errorResult"]["reason"] == "timeout"
    assert "timed out after 1.0 hours" in statuses[bounded.job_id]["errorResult"]["message"]
    assert "errorResult" not in statuses[unbounded.job_id]


# -- HTTP faults ---------------------------------------------------------------------------


def post_job(server: EmulatorServer, timeout: float = 5.0) -> requests.Response:
    body = {"configuration": {"query": {"query": "SELECT 1 AS x", "useLegacySql": False}}}
    return requests.post(
        f"{server.url}/bigquery/v2/projects/{PROJECT}/jobs", json=body, timeout=timeout
    )


@pytest.mark.parametrize(("kind", "acted"), [(HttpFault.BEFORE, 0), (HttpFault.AFTER, 1)])
def test_a_503_comes_before_or_after_the_action(
    week: Path, tmp_path: Path, kind: HttpFault, acted: int
) -> None:
    faults = HttpFaults(rate=1.0, kinds=(kind,), limit=1)
    sim = simulator(week, tmp_path, http_faults=faults)
    with EmulatorServer(sim) as server:
        failed = post_job(server)
        assert failed.status_code == 503
        assert failed.json()["error"]["errors"][0]["reason"] == "backendError"
        assert len(sim.jobs()) == acted
        assert post_job(server).status_code == 200  # the limit: one fault in all
        assert len(sim.jobs()) == acted + 1


def test_a_stall_outlasts_the_clients_timeout_then_acts(week: Path, tmp_path: Path) -> None:
    faults = HttpFaults(rate=1.0, kinds=(HttpFault.STALL,), stall_s=0.5, limit=1)
    sim = simulator(week, tmp_path, http_faults=faults)
    with EmulatorServer(sim) as server:
        with pytest.raises(requests.exceptions.ReadTimeout):
            post_job(server, timeout=0.1)
        assert post_job(server).status_code == 200
        wait_for(lambda: len(sim.jobs()) == 2, timeout=5)  # the stalled insert happens too
