from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from shared.backfill.checkpoint import CheckpointState, DayRecord
from shared.backfill.fingerprints import Fingerprint
from shared.backfill.ledger import Ledger
from shared.backfill.results import DayStatus
from shared.backfill.staleness import Stale, Verdict
from shared.backfill.status import PENDING, STALE, RangeStatus
from shared.backfill.survey import Survey

START, END = date(2022, 1, 30), date(2022, 2, 3)
INPUTS = {"play-by-play": Fingerprint(510, "7")}
COMMANDS = {
    "resume": "python job.py --start-date 2022-01-30 --end-date 2022-02-03",
    "retry_failed": "python job.py --start-date 2022-01-30 --end-date 2022-02-03 --retry-failed",
    "stale": "python job.py --start-date 2022-01-30 --end-date 2022-02-03 --stale",
}


def state_with_every_state() -> CheckpointState:
    return CheckpointState(
        job="player_game_summary",
        start=START,
        end=END,
        days={
            date(2022, 1, 30): DayRecord(DayStatus.SUCCESS, rows=300, attempts=1, inputs=INPUTS),
            date(2022, 1, 31): DayRecord(DayStatus.FAILED, error="boom: table locked", attempts=4),
            date(2022, 2, 1): DayRecord(DayStatus.SKIPPED, attempts=1, inputs=INPUTS),
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


def status(**kwargs) -> RangeStatus:
    ledger = Ledger.of([(Path("cp/a.json"), state_with_every_state())])
    return RangeStatus.from_ledger(ledger, "player_game_summary", START, END, COMMANDS, **kwargs)


def test_counts_cover_every_day_of_the_range():
    counts = status().counts()
    assert (counts["done"], counts["failed"], counts["skipped"], counts["pending"]) == (1, 1, 1, 2)
    assert counts["total"] == 5


def test_calendar_text_when_piped_has_a_plain_cell_per_day():
    text = status().render(colour=False)
    assert "2022-01  " + " " * 2 * 29 + "D F" in text
    assert "2022-02  s . ." in text
    assert "\033[" not in text
    assert "checkpoints read (only them; --verify also reads the warehouse):\n  cp/a.json" in text
    assert "2022-01-31: boom: table locked (attempts: 4)" in text
    assert "3 day(s) in 1.5s (7,200 days/hour), parallel x15" in text
    assert f"resume:       {COMMANDS['resume']}" in text
    assert f"retry failed: {COMMANDS['retry_failed']}" in text


def test_calendar_on_a_terminal_is_coloured():
    assert "\033[31;1mF\033[0m" in status().render(colour=True)


def test_json_holds_the_same_facts():
    data = status().to_json()
    assert data["counts"]["pending"] == 2
    assert data["days"]["2022-02-02"] == "pending"
    assert data["failed"] == {"2022-01-31": {"error": "boom: table locked", "attempts": 4}}
    assert data["commands"]["retry_failed"].endswith("--retry-failed")
    assert data["checkpoints"] == ["cp/a.json"] and data["verified_against_warehouse"] is False


def test_no_checkpoint_means_everything_pending():
    empty = RangeStatus.from_ledger(Ledger(), "job", START, END, COMMANDS)
    assert empty.counts()["pending"] == 5 and empty.last_run is None


def verified(verdicts: dict[date, Verdict], stale: dict[date, Stale]) -> RangeStatus:
    return status(survey=Survey(work_units={}, inputs={}, verdicts=verdicts, stale=stale))


def test_verified_the_rows_decide_and_the_journal_only_tells_failed_from_pending():
    shown = verified(
        {
            date(2022, 1, 30): Verdict.UNVERIFIED,
            date(2022, 1, 31): Verdict.PENDING,
            date(2022, 2, 2): Verdict.CURRENT,
            date(2022, 2, 3): Verdict.PENDING,
        },
        {},
    )
    assert [shown.states[d] for d in sorted(shown.states)] == [
        "unverified",
        "failed",
        "skipped",
        "done",
        "pending",
    ]
    assert "1 written before lineage (unverified)" in shown.render(colour=False)


def test_verified_stale_and_missing_days_are_states_of_their_own():
    stale = {
        date(2022, 1, 30): Stale(("rows deleted: 300 recorded, none in the table",), missing=True),
        date(2022, 2, 1): Stale(("play-by-play 0 -> 510 events",)),
    }
    shown = verified(
        {date(2022, 1, 30): Verdict.STALE, date(2022, 1, 31): Verdict.PENDING}
        | {date(2022, 2, 1): Verdict.STALE},
        stale,
    )
    assert shown.states[date(2022, 1, 30)] == "missing"
    assert shown.states[date(2022, 2, 1)] == "stale"
    text = shown.render(colour=False)
    assert "2022-02  S s s" in text and "M F" in text
    assert "2022-02-01: play-by-play 0 -> 510 events" in text
    assert f"rerun stale:  {COMMANDS['stale']}" in text
    data = shown.to_json()
    assert data["stale"]["2022-02-01"] == ["play-by-play 0 -> 510 events"]
    assert data["counts"]["missing"] == 1 and data["verified_against_warehouse"] is True


def test_the_latest_outcome_of_a_day_wins_across_checkpoints():
    day = date(2022, 1, 31)
    early, late = datetime(2022, 2, 5, tzinfo=UTC), datetime(2022, 2, 6, tzinfo=UTC)
    failed = CheckpointState(
        "job", START, END, days={day: DayRecord(DayStatus.FAILED, finished_at=late)}
    )
    done = CheckpointState(
        "job", day, day, days={day: DayRecord(DayStatus.SUCCESS, finished_at=early, inputs={})}
    )
    assert Ledger.of([(Path("a"), failed), (Path("b"), done)]).days[day].status is DayStatus.FAILED
    fixed = CheckpointState(
        "job",
        day,
        day,
        days={day: DayRecord(DayStatus.SUCCESS, finished_at=late.replace(day=7), inputs={})},
    )
    merged = Ledger.of([(Path("a"), failed), (Path("b"), fixed)])
    assert merged.days[day].status is DayStatus.SUCCESS and merged.files == (Path("a"), Path("b"))


def test_resume_is_offered_only_for_pending_or_failed_days():
    """Stale or missing days have their own command (--stale); resume would rerun nothing else."""
    days = {START + timedelta(n): STALE for n in range(5)}
    only_stale = RangeStatus("player_game_summary", START, END, days, {}, None, COMMANDS)
    text = only_stale.render(colour=False)
    assert "rerun stale:" in text and "resume:" not in text
    with_pending = replace(only_stale, states={**days, END: PENDING})
    assert f"resume:       {COMMANDS['resume']}" in with_pending.render(colour=False)
