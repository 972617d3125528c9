from datetime import date

from shared.backfill.checkpoint import CheckpointState
from shared.backfill.status import RangeStatus

START, END = date(2022, 1, 30), date(2022, 2, 3)


def state_with_every_state() -> CheckpointState:
    return CheckpointState(
        job="player_game_summary",
        start=START,
        end=END,
        days={
            "2022-01-30": {"status": "success", "rows": 300, "attempts": 1},
            "2022-01-31": {"status": "failed", "error": "boom: table locked", "attempts": 4},
            "2022-02-01": {"status": "skipped", "rows": 0, "attempts": 1},
        },
        runs=[
            {
                "started_at": "s",
                "finished_at": "f",
                "outcome": "failed_days",
                "days_processed": 3,
                "elapsed_s": 1.5,
                "mode": "parallel",
                "workers": 15,
            }
        ],
    )


def status() -> RangeStatus:
    return RangeStatus.from_state(
        state_with_every_state(), "player_game_summary", START, END, "python job.py"
    )


def test_counts_cover_every_day_of_the_range():
    assert status().counts() == {"done": 1, "failed": 1, "skipped": 1, "pending": 2, "total": 5}


def test_calendar_text_when_piped_has_a_plain_cell_per_day():
    text = status().render(colour=False)
    assert "2022-01  " + " " * 3 * 29 + "D  F" in text
    assert "2022-02  s  .  ." in text
    assert "\033[" not in text
    assert "2022-01-31: boom: table locked (attempts: 4)" in text
    assert "3 days in 2s (7,200 days/hour), parallel x15" in text
    assert "resume:       python job.py --start-date 2022-01-30 --end-date 2022-02-03" in text
    assert (
        "retry failed: python job.py --start-date 2022-01-30 --end-date 2022-02-03 --retry-failed"
        in text
    )


def test_calendar_on_a_terminal_is_coloured():
    assert "\033[31;1mF\033[0m" in status().render(colour=True)


def test_json_holds_the_same_facts():
    data = status().to_json()
    assert data["counts"]["pending"] == 2
    assert data["days"]["2022-02-02"] == "pending"
    assert data["failed"] == {"2022-01-31": {"error": "boom: table locked", "attempts": 4}}
    assert data["commands"]["retry_failed"].endswith("--retry-failed")


def test_no_checkpoint_means_everything_pending():
    empty = RangeStatus.from_state(None, "job", START, END, "python job.py")
    assert empty.counts()["pending"] == 5 and empty.last_run is None
