"""Running as a Cloud Run job: JSON logs for Cloud Logging, the execution in the run record,
and a stop that never waits out a retry's backoff (SIGTERM gives 10 s before SIGKILL)."""

from __future__ import annotations

import json
import logging
import threading
import time
from datetime import date

import pytest

from backfill_jobs.analytics.player_game_summary.player_game_summary_analytics_backfill import (
    SPEC,
    main,
)
from shared.backfill import console, retry
from shared.backfill.checkpoint import Checkpoint, checkpoint_path
from shared.backfill.cloud_run import cloud_run_fields, new_run_id, severity
from shared.backfill.console import (
    configure_logging,
    current_run_id,
    progress_bar_wanted,
    stderr_line,
)
from shared.backfill.options import build_parser
from shared.backfill.progress import NullReporter, ProgressTracker
from shared.backfill.runner import BackfillRunner, RunOptions
from shared.errors import WarehouseError

CLOUD_RUN = {
    "CLOUD_RUN_JOB": "pgs-backfill",
    "CLOUD_RUN_EXECUTION": "pgs-backfill-x7k2p",
    "CLOUD_RUN_TASK_INDEX": "0",
    "CLOUD_RUN_TASK_ATTEMPT": "1",
}
DAY = date(2022, 1, 12)


@pytest.fixture(autouse=True)
def _restore_logging(monkeypatch):
    """Each test starts outside Cloud Run, and leaves the root logger and the console's
    settings as it found them."""
    for name in CLOUD_RUN:
        monkeypatch.delenv(name, raising=False)
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    saved = (console._console.log_format, console._console.run_id, console._console.job)
    yield
    for handler in [h for h in root.handlers if h not in handlers]:
        root.removeHandler(handler)
        handler.close()
    root.setLevel(level)
    console._console.log_format, console._console.run_id, console._console.job = saved


def json_lines(text: str) -> list[dict]:
    lines = [line for line in text.splitlines() if line.strip()]
    assert lines, "nothing on stderr"
    return [json.loads(line) for line in lines]


# -- JSON logs -----------------------------------------------------------------------


def test_json_lines_parse_with_severity_message_run_id_and_day(tmp_path, capsys):
    configure_logging(tmp_path, "player_game_summary", debug=True, log_format="json", run_id="r1")
    log = logging.getLogger("shared.backfill.runner")
    log.debug("planning")
    log.info("✓ %s: %d records", DAY, 264)
    log.warning("batch %s..%s failed; splitting it", DAY, date(2022, 1, 13))
    log.error("✗ %s: boom", DAY)
    try:
        raise ValueError("bad")
    except ValueError:
        log.exception("failed")
    entries = json_lines(capsys.readouterr().err)
    assert [e["severity"] for e in entries] == ["DEBUG", "INFO", "WARNING", "ERROR", "ERROR"]
    assert entries[1]["message"] == "✓ 2022-01-12: 264 records"
    assert all(e["run_id"] == "r1" and e["job"] == "player_game_summary" for e in entries)
    assert "day" not in entries[0] and entries[1]["day"] == "2022-01-12"
    assert entries[2]["days"] == ["2022-01-12", "2022-01-13"] and "day" not in entries[2]
    assert entries[1]["logging.googleapis.com/labels"] == {
        "run_id": "r1",
        "job": "player_game_summary",
    }
    assert "Traceback" in entries[4]["message"] and "ValueError: bad" in entries[4]["message"]
    assert current_run_id() == "r1"


def test_text_mode_keeps_the_plain_lines_and_the_log_file_stays_text(tmp_path, capsys):
    log_path = configure_logging(tmp_path, "player_game_summary", debug=False, log_format="text")
    logging.getLogger("backfill").info("✓ %s: %d records", DAY, 264)
    assert capsys.readouterr().err == "✓ 2022-01-12: 264 records\n"
    configure_logging(tmp_path, "player_game_summary", debug=False, log_format="json")
    logging.getLogger("backfill").info("json now")
    for handler in logging.getLogger().handlers:
        handler.flush()
    assert "INFO    MainThread ✓ 2022-01-12: 264 records" in log_path.read_text()
    assert json.loads(capsys.readouterr().err)["message"] == "json now"


def test_results_stay_text_on_stdout(tmp_path, capsys):
    configure_logging(tmp_path, "player_game_summary", debug=False, log_format="json")
    console.RESULTS.info("Processed 3 days")
    captured = capsys.readouterr()
    assert captured.out == "Processed 3 days\n" and captured.err == ""


def test_cloud_run_job_selects_json(tmp_path, capsys, monkeypatch):
    assert build_parser(SPEC).parse_args([]).log_format == "text"
    monkeypatch.setenv("CLOUD_RUN_JOB", "pgs-backfill")
    assert build_parser(SPEC).parse_args([]).log_format == "json"
    assert build_parser(SPEC).parse_args(["--log-format", "text"]).log_format == "text"
    configure_logging(tmp_path, "player_game_summary", debug=False)
    logging.getLogger("backfill").info("hello")
    assert json_lines(capsys.readouterr().err)[0]["message"] == "hello"


def test_a_cloud_run_task_logs_json_named_by_its_execution_and_attempt(env, capsys, monkeypatch):
    _, _, flags = env
    for name, value in CLOUD_RUN.items():
        monkeypatch.setenv(name, value)
    assert main([*flags, "--dates", "2022-01-04"]) == 0
    captured = capsys.readouterr()
    entries = json_lines(captured.err)
    assert {e["run_id"] for e in entries} == {"pgs-backfill-x7k2p-t0-a1"}
    assert {e["severity"] for e in entries} <= {"DEBUG", "INFO", "WARNING"}
    assert any(e.get("day") == "2022-01-04" and e["message"].startswith("✓") for e in entries)
    assert "PASS" in captured.out and not captured.out.lstrip().startswith("{")


def test_the_log_format_flag_reaches_the_console(env, capsys):
    _, _, flags = env
    assert main([*flags, "--dates", "2022-01-04", "--log-format", "json"]) == 0
    assert json_lines(capsys.readouterr().err)


def test_an_unknown_log_format_is_a_one_line_usage_error(env, capsys):
    _, _, flags = env
    assert main([*flags, "--dates", "2022-01-04", "--log-format", "xml"]) == 2
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    assert "--log-format: invalid choice: 'xml'" in err


def test_no_progress_bar_with_json_logs(tmp_path):
    class Terminal:
        def isatty(self) -> bool:
            return True

    configure_logging(tmp_path, "player_game_summary", debug=False, log_format="text")
    assert progress_bar_wanted(Terminal())
    configure_logging(tmp_path, "player_game_summary", debug=False, log_format="json")
    assert not progress_bar_wanted(Terminal())


def test_lines_printed_outside_logging_follow_the_format(tmp_path):
    configure_logging(tmp_path, "player_game_summary", debug=False, log_format="text")
    assert stderr_line("error: no credentials") == "error: no credentials"
    configure_logging(tmp_path, "player_game_summary", debug=False, log_format="json", run_id="r2")
    entry = json.loads(stderr_line("error: no credentials"))
    assert (entry["severity"], entry["message"], entry["run_id"]) == (
        "ERROR",
        "error: no credentials",
        "r2",
    )


def test_severity_names_are_cloud_loggings():
    assert [severity(level) for level in (5, 10, 15, 20, 30, 40, 50, 60)] == [
        "DEFAULT",
        "DEBUG",
        "DEBUG",
        "INFO",
        "WARNING",
        "ERROR",
        "CRITICAL",
        "CRITICAL",
    ]


# -- the run record and the run id ---------------------------------------------------


def test_run_record_fields_name_the_execution_and_attempt():
    assert cloud_run_fields({}) == {}
    assert cloud_run_fields(CLOUD_RUN) == {
        "cloud_run": {
            "job": "pgs-backfill",
            "execution": "pgs-backfill-x7k2p",
            "task_index": 0,
            "task_attempt": 1,
        }
    }


def test_run_id_is_the_attempt_on_cloud_run_else_random():
    assert new_run_id(CLOUD_RUN) == "pgs-backfill-x7k2p-t0-a1"
    first, second = new_run_id({}), new_run_id({})
    assert first != second and len(first) == 12 and int(first, 16) >= 0


# -- a stop never waits out a backoff ------------------------------------------------


def always_transient() -> None:
    raise WarehouseError("rate limited", transient=True)


def stop_after(event_or_stop, seconds: float) -> threading.Timer:
    timer = threading.Timer(seconds, event_or_stop)
    timer.start()
    return timer


@pytest.mark.parametrize("sleep", [None, time.sleep], ids=["default", "time.sleep"])
def test_a_stop_during_a_60s_backoff_returns_at_once(monkeypatch, sleep):
    monkeypatch.setattr(retry, "INITIAL_WAIT_S", 60.0)  # the first wait is the 60 s cap
    stop = threading.Event()
    calls = []

    def fn() -> None:
        calls.append(time.monotonic())
        always_transient()

    timer = stop_after(stop.set, 0.2)
    started = time.monotonic()
    attempted = retry.call_with_retries(fn, max_retries=3, stop_event=stop, sleep=sleep)
    elapsed = time.monotonic() - started
    timer.join()
    assert elapsed < 1.0
    assert len(calls) == 1 and attempted.attempts == 1
    assert isinstance(attempted.error, WarehouseError) and attempted.value is None


def test_an_injected_sleep_still_stops_before_the_next_attempt():
    stop = threading.Event()
    sleeps: list[float] = []
    calls = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        stop.set()  # the stop arrives during the backoff

    def fn() -> None:
        calls.append(1)
        always_transient()

    attempted = retry.call_with_retries(fn, max_retries=3, stop_event=stop, sleep=sleep)
    assert len(sleeps) == 1 and len(calls) == 1 and attempted.attempts == 1
    assert str(attempted.error) == "rate limited"


def test_retries_without_a_stop_are_unchanged():
    stop = threading.Event()
    sleeps: list[float] = []
    results = iter([WarehouseError("busy", transient=True), WarehouseError("busy", transient=True)])

    def fn() -> str:
        error = next(results, None)
        if error:
            raise error
        return "ok"

    attempted = retry.call_with_retries(fn, max_retries=3, stop_event=stop, sleep=sleeps.append)
    assert (attempted.value, attempted.error, attempted.attempts) == ("ok", None, 3)
    assert len(sleeps) == 2 and 1 <= sleeps[0] <= 2 and 2 <= sleeps[1] <= 3


class _RateLimited:
    """A job whose every statement is rate limited."""

    name = "fake"

    def process(self, days):
        always_transient()


def test_a_runner_stopped_during_a_backoff_ends_at_once_and_the_day_stays_pending(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(retry, "INITIAL_WAIT_S", 60.0)
    checkpoint = Checkpoint.load_or_create(
        checkpoint_path(tmp_path, "fake", DAY, DAY, "duckdb:test"), "fake", DAY, DAY
    )
    runner = BackfillRunner(  # the runner's default sleep: time.sleep
        _RateLimited(),  # type: ignore[arg-type]
        checkpoint,
        ProgressTracker(total=1, workers=1),
        NullReporter(),
        RunOptions(workers=1, max_retries=3),
    )
    timer = stop_after(runner.request_stop, 0.2)
    started = time.monotonic()
    outcome = runner.run([(DAY,)], {DAY: 1})
    elapsed = time.monotonic() - started
    timer.join()
    assert elapsed < 1.0
    assert outcome.interrupted and outcome.results == []
    assert DAY not in checkpoint.snapshot().days


def test_exhausted_retries_count_every_attempt():
    stop = threading.Event()
    attempted = retry.call_with_retries(
        always_transient, max_retries=2, stop_event=stop, sleep=lambda _: None
    )
    assert attempted.attempts == 3 and isinstance(attempted.error, WarehouseError)
