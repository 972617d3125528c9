"""Nothing hangs, nothing aborts on a transient error: the BigQuery adapter under lost, failed
and stalled requests, at the transport boundary (the simulator in process or over HTTP).

Backoff sleeps of google-api-core's retries are recorded and shortened (``fast_retries``), so a
retried request costs milliseconds; what is checked is what the user sees: the exit code, the
one line, the table's rows, the jobs BigQuery ran.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
import types
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from google.api_core import exceptions as api_exceptions
from google.api_core.retry import retry_base, retry_unary

from backfill_jobs.analytics.player_game_summary.player_game_summary_analytics_backfill import main
from backfill_jobs.analytics.player_game_summary.processor import _SQL, TARGET
from shared.errors import ConfigError
from shared.nba.sample_data import seed_warehouse
from shared.warehouse import bigquery_jobs, bigquery_warehouse
from shared.warehouse.sql import Sql
from tests.cli_helpers import checkpoint_days, table_rows
from tests.doubles.bigquery_sim import (
    BigQuerySimulator,
    Fault,
    FaultPlan,
    FaultReason,
    HttpFault,
    HttpFaults,
)
from tests.doubles.bigquery_sim.faults import BACKEND_ERROR_503
from tests.doubles.bigquery_sim.http import EmulatorServer
from tests.test_bigquery_sim import (
    END,
    PROJECT,
    RANGE,
    START,
    adapter,
    run_cli,
    sim_rows,
    simulator,
)

JAN10, JAN11, JAN12 = date(2022, 1, 10), date(2022, 1, 11), date(2022, 1, 12)
WRITE = {"transform_version": "0123456789abcdef"}


def days(first: date, last: date) -> dict[str, Any]:
    return {**WRITE, "start_date": first, "end_date": last}


@pytest.fixture(scope="module")
def week(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The raw tables of one week (test_bigquery_sim's range)."""
    path = tmp_path_factory.mktemp("week") / "seed.duckdb"
    seed_warehouse(path, START, END, seed=7)
    return path


@pytest.fixture(scope="module")
def week_rows(week: Path, tmp_path_factory: pytest.TempPathFactory) -> list[tuple]:
    """The table the embedded DuckDB path writes for the week: the oracle."""
    work = tmp_path_factory.mktemp("oracle")
    shutil.copy(week, work / "w.duckdb")
    flags = ["--checkpoint-dir", str(work / "cp"), "--log-dir", str(work / "logs")]
    assert main([*RANGE, "--warehouse", str(work / "w.duckdb"), *flags]) == 0
    return table_rows(work / "w.duckdb")


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """google-api-core's retries sleep at most 10 ms here, on a clock that advances by the
    whole backoff (so their deadlines hold as slept); the backoffs asked for are kept."""
    asked: list[float] = []

    def sleep(seconds: float) -> None:
        asked.append(seconds)
        time.sleep(min(seconds, 0.01))

    def monotonic() -> float:
        return time.monotonic() + sum(asked)

    clock = types.SimpleNamespace(sleep=sleep, monotonic=monotonic)
    monkeypatch.setattr(retry_unary, "time", clock)
    monkeypatch.setattr(retry_base, "time", clock)
    return asked


Serve = Callable[[BigQuerySimulator], EmulatorServer]


@pytest.fixture()
def serve(monkeypatch: pytest.MonkeyPatch) -> Iterator[Serve]:
    """Serves a simulator over HTTP (its HTTP faults included) at BIGQUERY_EMULATOR_HOST."""
    servers: list[EmulatorServer] = []

    def start(sim: BigQuerySimulator) -> EmulatorServer:
        servers.append(EmulatorServer(sim).start())
        monkeypatch.setenv("BIGQUERY_EMULATOR_HOST", servers[-1].url)
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def one_error_line(err: str) -> str:
    """The one error line; the emulator notice (a warning on every emulator run) aside."""
    lines = [line for line in err.strip().splitlines() if "talking to that emulator" not in line]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


# -- an unreachable endpoint ------------------------------------------------------------


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


COMMANDS = {
    "run": [*RANGE],
    "dry run": [*RANGE, "--dry-run"],
    "status --verify": ["status", *RANGE, "--verify"],
    "validate": ["validate", *RANGE],
}


@pytest.mark.parametrize("command", COMMANDS)
def test_an_unreachable_endpoint_exits_2_with_one_line_naming_it(
    command: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    fast_retries: list[float],
) -> None:
    """Nothing listens there: one line with the host and the cause, exit 2. A refused
    connection fails at once, so the user waits the preflight's backoffs: they stop within
    PREFLIGHT_DEADLINE_S (recorded here, not slept; about 9 s when slept), well within 30 s.
    The dry run used to retry for the client's 10 minutes."""
    host = f"http://127.0.0.1:{closed_port()}"
    monkeypatch.setenv("BIGQUERY_EMULATOR_HOST", host)
    flags = ["--warehouse", "bigquery", "--project", PROJECT, "--location", "US"]
    if command != "validate":
        flags += ["--checkpoint-dir", str(tmp_path / "cp")]
    if command in ("run", "dry run"):
        flags += ["--log-dir", str(tmp_path / "logs")]

    started = time.monotonic()
    code = main([*COMMANDS[command], *flags])

    assert code == 2 and time.monotonic() - started < 30
    assert fast_retries and sum(fast_retries) <= bigquery_jobs.PREFLIGHT_DEADLINE_S
    line = one_error_line(capsys.readouterr().err)
    assert line == (
        f"error: cannot reach BigQuery at {host}: Connection refused; check the network "
        "(or BIGQUERY_EMULATOR_HOST when pointing at an emulator)"
    )


def test_an_interrupted_dry_run_does_not_claim_recorded_days(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted(*_: Any, **__: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("shared.backfill.run_command.open_warehouse", interrupted)
    monkeypatch.setattr("shared.backfill.dry_run_command.open_warehouse", interrupted)
    flags = ["--checkpoint-dir", str(tmp_path / "cp"), "--log-dir", str(tmp_path / "logs")]
    assert main([*RANGE, "--dry-run", *flags]) == 130
    line = one_error_line(capsys.readouterr().err)
    assert line == "interrupted: stopped before finishing; nothing was written"
    assert main([*RANGE, *flags]) == 130
    assert "finished days are recorded" in one_error_line(capsys.readouterr().err)


# -- transient errors on every request ----------------------------------------------------


Handle = Callable[[str, str, Mapping[str, Any], Mapping[str, Any]], dict[str, Any]]


def fail_each_request_kind_twice(sim: BigQuerySimulator) -> Counter[str]:
    """Each kind of request (method, resource, and the statement of its job) meets a 503
    before it is acted on the first time, and a 503 after it was acted on (its response lost)
    the second time. Returns the faults injected, by kind."""
    handle: Handle = sim.handle
    seen: Counter[str] = Counter()
    lock = threading.Lock()

    def kind(method: str, path: str, body: Mapping[str, Any], query: Mapping[str, Any]) -> str:
        parts = path.strip("/").split("/")[4:]
        shape = "/".join(
            p if p in {"jobs", "queries", "datasets", "tables"} else "*" for p in parts
        )
        label = ""
        if method == "POST" and shape == "jobs":
            label = body.get("configuration", {}).get("labels", {}).get("statement", "")
        elif shape in {"jobs/*", "queries/*"}:
            job = next(j for j in sim.jobs() if j["jobReference"]["jobId"] == parts[1])
            label = job["configuration"].get("labels", {}).get("statement", "")
        page = "rows" if "fields" in query else ""
        return f"{method} {shape} {label} {page}".strip()

    def faulty(
        method: str, path: str, body: Mapping[str, Any], query: Mapping[str, Any]
    ) -> dict[str, Any]:
        what = kind(method, path, body, query)
        with lock:
            seen[what] += 1
            nth = seen[what]
        if nth == 1:
            raise BACKEND_ERROR_503
        answer = handle(method, path, body, query)
        if nth == 2:
            raise BACKEND_ERROR_503
        return answer

    sim.handle = faulty  # type: ignore[method-assign]
    return seen


def test_a_503_on_each_pre_run_query_and_write_is_retried(
    week: Path, week_rows: list[tuple], tmp_path: Path, serve: Serve
) -> None:
    sim = simulator(week, tmp_path)
    seen = fail_each_request_kind_twice(sim)
    serve(sim)

    assert run_cli(tmp_path) == 0
    assert run_cli(tmp_path, "--dry-run") == 0  # reads the target: reconcile
    assert sim_rows(sim) == week_rows
    assert {s["status"] for s in checkpoint_days(tmp_path / "cp").values()} == {"success"}
    # Each statement's insert, wait, status and rows; the datasets' and tables' metadata.
    reads = ("day_stats", "lineage", "player_game_summary_gamebook_digest", "reconcile")
    for statement in (*reads, "player_game_summary", "create_player_game_summary"):
        for request in ("POST jobs", "GET queries/*", "GET jobs/*"):
            assert seen[f"{request} {statement}"] >= 2, (request, statement)
    for statement in reads:
        assert seen[f"GET queries/* {statement} rows"] >= 2, statement
    assert seen["GET datasets/*"] >= 2 and seen["GET datasets/*/tables/*"] >= 2


def test_a_run_under_1_percent_http_faults_completes(
    week: Path, week_rows: list[tuple], tmp_path: Path, serve: Serve
) -> None:
    """1% of all requests, pre-run ones included, answered 503 before or after the action."""
    sim = simulator(week, tmp_path, http_faults=HttpFaults(rate=0.01, seed=32))
    server = serve(sim)

    assert run_cli(tmp_path, "--batch-days", "3") == 0
    assert server.faults.fired.total() >= 2
    assert sim_rows(sim) == week_rows
    assert {s["status"] for s in checkpoint_days(tmp_path / "cp").values()} == {"success"}
    assert all("jobTimeoutMs" in job["configuration"] for job in sim.jobs())


def test_a_stalled_request_is_abandoned_after_the_request_timeout_and_retried(
    week: Path, tmp_path: Path, serve: Serve, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bigquery_jobs, "REQUEST_TIMEOUT_S", 0.2)
    stall = HttpFaults(rate=1.0, kinds=(HttpFault.STALL,), stall_s=2.0, limit=1)
    sim = simulator(week, tmp_path, http_faults=stall)
    serve(sim)
    warehouse = bigquery_warehouse.BigQueryWarehouse(
        project=PROJECT, location="US", job_name="robust"
    )

    started = time.monotonic()
    columns = warehouse.columns("nba_raw.nbac_schedule")
    assert "game_date" in columns and time.monotonic() - started < 1.5


# -- copies ---------------------------------------------------------------------------------


def test_a_failed_copy_cancels_and_awaits_its_siblings_before_staging_is_dropped(
    week: Path, tmp_path: Path
) -> None:
    """Copies run long (until cancelled); the third is refused at jobs.insert: the two running
    are cancelled and seen done before the staging table is dropped."""
    sim = simulator(week, tmp_path, statement_latency_s={"copy": 10_000.0})
    inserts: list[str] = []
    serve = sim.api_request

    def refusing_the_third_copy(method: str, path: str, data: Any = None, **rest: Any) -> Any:
        if method == "POST" and path.endswith("/jobs") and "copy" in data["configuration"]:
            inserts.append(data["jobReference"]["jobId"])
            if len(inserts) == 3:
                raise api_exceptions.BadRequest(
                    "bad copy", errors=[{"reason": "invalid", "message": "bad copy"}]
                )
        return serve(method, path, data, **rest)

    sim.api_request = refusing_the_third_copy  # type: ignore[method-assign]
    warehouse = adapter(sim)
    warehouse.execute(TARGET.ddl)

    with pytest.raises(Exception, match="bad copy"):
        warehouse.replace_partitions(
            TARGET, _SQL["player_game_summary"], days(JAN10, JAN12), [JAN10, JAN11, JAN12]
        )

    events = [
        (r.method, r.path.rsplit("/", 2)[-2 if r.path.endswith("cancel") else -1])
        for r in sim.requests()
    ]
    drop = next(i for i, (m, name) in enumerate(events) if m == "DELETE" and "staging" in name)
    for sibling in inserts[:2]:
        cancelled = events.index(("POST", sibling))
        seen_done = max(i for i, event in enumerate(events) if event == ("GET", sibling))
        assert cancelled < seen_done < drop
    states = {job["jobReference"]["jobId"]: job["status"] for job in sim.jobs()}
    assert all(states[sibling]["state"] == "DONE" for sibling in inserts[:2])
    assert {states[sibling]["errorResult"]["reason"] for sibling in inserts[:2]} == {"stopped"}


def lose_response(
    sim: BigQuerySimulator, what: Callable[[str, Mapping[str, Any]], bool]
) -> list[str]:
    """The first request ``what`` matches is acted on, then answered 503: the response is lost."""
    handle: Handle = sim.handle
    lost: list[str] = []

    def losing(
        method: str, path: str, body: Mapping[str, Any], query: Mapping[str, Any]
    ) -> dict[str, Any]:
        answer = handle(method, path, body, query)
        if not lost and what(method, body):
            lost.append(answer["jobReference"]["jobId"])
            raise BACKEND_ERROR_503
        return answer

    sim.handle = losing  # type: ignore[method-assign]
    return lost


def test_a_lost_copy_response_is_recovered_with_jobs_get(week: Path, tmp_path: Path) -> None:
    sim = simulator(week, tmp_path)
    lost = lose_response(sim, lambda method, body: "copy" in body.get("configuration", {}))
    warehouse = adapter(sim)
    warehouse.execute(TARGET.ddl)

    written = warehouse.replace_partitions(
        TARGET, _SQL["player_game_summary"], days(JAN10, JAN12), [JAN10, JAN11, JAN12]
    )

    copies = [job for job in sim.jobs() if "copy" in job["configuration"]]
    assert lost and lost[0] in {job["jobReference"]["jobId"] for job in copies}
    assert len(copies) == 3 and all("errorResult" not in job["status"] for job in copies)
    held = sim.storage.cursor().execute("SELECT COUNT(*) FROM nba_analytics.player_game_summary")
    assert written.rows == held.fetchone()[0] > 0


def test_the_staging_ctas_survives_a_lost_response_and_a_failed_job(
    week: Path, tmp_path: Path
) -> None:
    """The CTAS's insert is acted on but its answer lost (the retried insert meets its own job:
    recovered with jobs.get), then that job fails with backendError (the job retry starts it
    again under a new id): the staging table is created once, the write lands, staging goes."""
    faults = FaultPlan((Fault(FaultReason.BACKEND_ERROR, statement="player_game_summary"),))
    sim = simulator(week, tmp_path, faults=faults)
    warehouse = adapter(sim)
    warehouse.execute(TARGET.ddl)
    lost = lose_response(
        sim, lambda method, body: "CREATE" in str(body.get("configuration", {}).get("query"))
    )

    written = warehouse.replace_partitions(
        TARGET, _SQL["player_game_summary"], days(JAN10, JAN11), [JAN10, JAN11]
    )

    ctas = [job for job in sim.jobs() if "__staging_" in str(job["configuration"])]
    assert lost and [job["jobReference"]["jobId"] for job in ctas][0] == lost[0]
    assert [job["status"].get("errorResult", {}).get("reason") for job in ctas[:2]] == [
        "backendError",
        None,
    ]
    assert written.rows > 0
    assert [meta.name.table for meta in sim.storage.tables()].count("player_game_summary") == 1
    assert not [meta for meta in sim.storage.tables() if "__staging_" in meta.name.table]


def test_resubmissions_and_partition_deletes_are_paced(week: Path, tmp_path: Path) -> None:
    """A query job and a copy that failed with a job rate limit are started again by the job
    retry, each taking a token of the target's bucket; so does each partition delete."""
    faults = FaultPlan(
        (
            Fault(FaultReason.JOB_RATE_LIMIT, statement="player_game_summary", count=1),
            Fault(FaultReason.JOB_RATE_LIMIT, statement="copy", count=1),
        )
    )
    sim = simulator(week, tmp_path, faults=faults)
    warehouse = adapter(sim)
    warehouse.execute(TARGET.ddl)

    one = warehouse.replace_partitions(
        TARGET, _SQL["player_game_summary"], days(JAN10, JAN10), [JAN10]
    )
    assert one.rows > 0 and warehouse.pacer.stats().operations == 2  # the write, its resubmission
    two = warehouse.replace_partitions(
        TARGET, _SQL["player_game_summary"], days(JAN11, JAN12), [JAN11, JAN12]
    )
    assert two.rows > 0 and warehouse.pacer.stats().operations == 2 + 3  # 2 copies, 1 again
    nothing = Sql("empty", _SQL["player_game_summary"].text.rstrip().rstrip(";") + " LIMIT 0")
    warehouse.replace_partitions(TARGET, nothing, days(JAN10, JAN10), [JAN10])
    assert warehouse.pacer.stats().operations == 5 + 2  # the empty write, its partition delete
    assert sim.stats().errors["jobRateLimitExceeded"] == 2


# -- the target's preflight ----------------------------------------------------------------


def test_a_missing_target_passes_the_preflight(week: Path, tmp_path: Path) -> None:
    adapter(simulator(week, tmp_path)).check_target(TARGET)


@pytest.mark.parametrize(
    ("ddl", "denied", "message"),
    [
        (
            TARGET.ddl.text,
            frozenset({bigquery_warehouse.UPDATE_DATA}),
            "no right to write sim-project:nba_analytics.player_game_summary "
            "(bigquery.tables.updateData): grant roles/bigquery.dataEditor on its dataset",
        ),
        (
            "CREATE TABLE nba_analytics.player_game_summary (game_date DATE, x INT64)",
            frozenset(),
            "sim-project:nba_analytics.player_game_summary is not partitioned; the job writes "
            "DAY partitions on game_date",
        ),
        (
            "CREATE TABLE nba_analytics.player_game_summary (game_date DATE, d2 DATE) "
            "PARTITION BY d2",
            frozenset(),
            "is DAY on d2; the job writes DAY partitions on game_date",
        ),
        (
            "CREATE TABLE nba_analytics.player_game_summary (game_date DATE, "
            "player_lookup STRING NOT NULL) PARTITION BY game_date",
            frozenset(),
            "has REQUIRED column(s) player_lookup that the job's DDL leaves NULLABLE",
        ),
    ],
)
def test_a_target_that_cannot_take_the_writes_is_a_config_error(
    week: Path, tmp_path: Path, ddl: str, denied: frozenset[str], message: str
) -> None:
    sim = simulator(week, tmp_path, denied_permissions=denied)
    warehouse = adapter(sim)
    warehouse.execute(Sql("ddl", ddl))
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        warehouse.check_target(TARGET)


def test_a_run_into_a_target_without_write_rights_exits_2_before_any_work(
    week: Path, tmp_path: Path, serve: Serve, capsys: pytest.CaptureFixture[str]
) -> None:
    sim = simulator(week, tmp_path, denied_permissions=frozenset({bigquery_warehouse.UPDATE_DATA}))
    adapter(sim).execute(TARGET.ddl)
    serve(sim)
    assert run_cli(tmp_path) == 2
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "Traceback" not in err
    assert errors[0].startswith("error: no right to write sim-project:nba_analytics.player_game")
    assert [job for job in sim.jobs() if "destinationTable" in str(job["configuration"])] == []


def test_the_client_gives_copies_and_queries_a_server_side_timeout(
    week: Path, tmp_path: Path
) -> None:
    sim = simulator(week, tmp_path)
    warehouse = adapter(sim)
    warehouse.execute(TARGET.ddl)
    warehouse.replace_partitions(
        TARGET, _SQL["player_game_summary"], days(JAN10, JAN11), [JAN10, JAN11]
    )
    timeouts = {job["configuration"].get("jobTimeoutMs") for job in sim.jobs()}
    assert timeouts == {str(bigquery_jobs.JOB_TIMEOUT_S * 1000)}


def test_dml_and_partition_writes_of_a_table_share_one_bucket(
    week: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keyed alike (``project.dataset.table``): under two keys one table had two buckets, and
    DML beside partition writes could start more than the pacer's share per 10 s."""
    sim = simulator(week, tmp_path)
    warehouse = adapter(sim)
    warehouse.execute(TARGET.ddl)
    tables: list[str] = []
    take = warehouse.pacer.before_update

    def recorded(table: str) -> None:
        tables.append(table)
        take(table)

    monkeypatch.setattr(warehouse.pacer, "before_update", recorded)
    warehouse.replace_partitions(TARGET, _SQL["player_game_summary"], days(JAN10, JAN10), [JAN10])
    warehouse.execute(
        Sql("trim", f"DELETE FROM {TARGET.name} WHERE game_date = @day"), {"day": JAN10}
    )
    assert len(tables) == 2 and len(set(tables)) == 1
