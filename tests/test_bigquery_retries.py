"""The runner's retries, driven by real google.api_core errors as the BigQuery adapter maps
them: rate limits back off and retry, an exhausted quota stops the run, an invalid query
fails its day at once. Sleeps are recorded, never slept."""

from __future__ import annotations

from datetime import date

from google.api_core import exceptions as api_exceptions

from shared.backfill.results import DayResult, DayStatus
from shared.warehouse.bigquery_errors import classify
from tests.test_runner import DAYS, FakeJob, make_runner


class FailingBigQueryJob(FakeJob):
    """Each scripted day raises its Google API error (mapped by the adapter) ``times`` times."""

    def __init__(self, errors: dict[date, tuple[Exception, int]]) -> None:
        super().__init__()
        self.errors = {day: [error, times] for day, (error, times) in errors.items()}

    def process(self, days):
        self.calls.append(tuple(days))
        for day in days:
            scripted = self.errors.get(day)
            if scripted and scripted[1] > 0:
                scripted[1] -= 1
                raise classify(scripted[0], "player_game_summary")
        return [DayResult(day=d, status=DayStatus.SUCCESS, rows=1, units=1) for d in days]


def api_error(
    kind: type[api_exceptions.GoogleAPICallError], reason: str, message: str
) -> Exception:
    return kind(message, errors=[{"reason": reason, "message": message}])


def test_rate_limited_days_back_off_and_succeed(tmp_path):
    day = date(2022, 1, 4)
    error = api_error(
        api_exceptions.Forbidden,
        "rateLimitExceeded",
        "Exceeded rate limits: too many partitioned table update operations for this table",
    )
    runner, checkpoint, sleeps = make_runner(
        tmp_path, FailingBigQueryJob({day: (error, 2)}), max_retries=3
    )
    outcome = runner.run([(d,) for d in DAYS], {})
    assert not outcome.failed and len(sleeps) == 2
    assert checkpoint.snapshot().days[day].attempts == 3


def test_exhausted_quota_stops_the_run_without_retrying(tmp_path):
    day = date(2022, 1, 4)
    error = api_error(
        api_exceptions.Forbidden, "quotaExceeded", "Quota exceeded: Your project exceeded quota"
    )
    runner, _, sleeps = make_runner(tmp_path, FailingBigQueryJob({day: (error, 99)}), max_retries=3)
    outcome = runner.run([(d,) for d in DAYS], {})
    assert sleeps == []
    assert outcome.halt_reason and "wait at least 10 minutes" in outcome.halt_reason
    assert max(r.day for r in outcome.results) == day


def test_invalid_query_fails_the_day_at_once_and_the_rest_run(tmp_path):
    day = date(2022, 1, 4)
    error = api_error(api_exceptions.BadRequest, "invalidQuery", "Syntax error: Unexpected keyword")
    runner, _, sleeps = make_runner(tmp_path, FailingBigQueryJob({day: (error, 99)}), max_retries=3)
    outcome = runner.run([(d,) for d in DAYS], {})
    assert sleeps == [] and [r.day for r in outcome.failed] == [day]
    assert "Syntax error" in outcome.failed[0].error
    assert len(outcome.results) == len(DAYS)
