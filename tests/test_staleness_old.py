"""Stale-day rules as pure functions: fingerprints, rows, and upstream rewrites within a season."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from backfill_jobs.precompute.player_shot_zone_analysis.seasons import lookback
from shared.backfill.checkpoint import DayRecord
from shared.backfill.fingerprints import Fingerprint, Source
from shared.backfill.planning import calendar_days
from shared.backfill.results import DayStatus
from shared.backfill.staleness import UpstreamView, find_stale, unverified
from shared.warehouse.sql import Sql

PBP = Source("play-by-play", "events", Sql("fp", "SELECT 1"))
BOX = Source("gamebook", "rows", Sql("fp", "SELECT 1"))
T0 = datetime(2024, 6, 1, tzinfo=UTC)
DAY = date(2024, 1, 17)


def done(inputs: dict[str, Fingerprint] | None, rows: int = 100, at: datetime = T0) -> DayRecord:
    return DayRecord(DayStatus.SUCCESS, rows=rows, inputs=inputs, started_at=at, finished_at=at)


def stale(record: DayRecord, now: dict[str, Fingerprint], rows: int = 100) -> dict:
    return find_stale(
        {DAY: record},
        [DAY],
        sources=[PBP, BOX],
        inputs={DAY: now},
        written_rows={DAY: rows},
    )


def test_the_same_inputs_and_rows_are_not_stale():
    inputs = {"play-by-play": Fingerprint(510, "9"), "gamebook": Fingerprint(30, "4")}
    assert stale(done(inputs), inputs) == {}


def test_each_changed_source_gives_its_own_reason():
    before = {"play-by-play": Fingerprint(0, ""), "gamebook": Fingerprint(30, "4")}
    now = {"play-by-play": Fingerprint(510, "9"), "gamebook": Fingerprint(30, "5")}
    assert stale(done(before), now)[DAY].reasons == (
        "play-by-play 0 -> 510 events",
        "gamebook changed (30 rows)",
    )


def test_a_source_without_rows_now_is_compared_as_empty():
    before = {"play-by-play": Fingerprint(510, "9"), "gamebook": Fingerprint(30, "4")}
    found = find_stale(
        {DAY: done(before)},
        [DAY],
        sources=[PBP, BOX],
        inputs={DAY: {"gamebook": Fingerprint(30, "4")}},
        written_rows={DAY: 100},
    )
    assert found[DAY].reasons == ("play-by-play 510 -> 0 events",)


def test_rows_gone_from_the_target_make_the_day_missing():
    inputs = {"play-by-play": Fingerprint(510, "9"), "gamebook": Fingerprint(30, "4")}
    gone = stale(done(inputs), inputs, rows=0)[DAY]
    assert gone.missing and gone.reasons == ("rows deleted: 100 recorded, none in the table",)
    fewer = stale(done(inputs), inputs, rows=60)[DAY]
    assert not fewer.missing and fewer.reasons == ("the table holds 60 rows, 100 recorded",)


def test_days_without_recorded_inputs_are_unverified_but_their_rows_still_checked():
    record = done(None)
    assert unverified({DAY: record}, [DAY], sources=[PBP], upstream=False) == {DAY}
    assert stale(record, {}, rows=0)[DAY].missing
    assert unverified({DAY: done({})}, [DAY], sources=[PBP], upstream=False) == set()


SEASON = calendar_days(date(2023, 10, 24), date(2024, 6, 17))
NEXT_SEASON = calendar_days(date(2024, 10, 22), date(2024, 11, 30))


@settings(max_examples=30, deadline=None)
@given(rewritten=st.sampled_from(SEASON))
def test_an_upstream_rewrite_makes_exactly_the_later_days_of_its_season_stale(rewritten):
    feature_days = [*SEASON, *NEXT_SEASON]
    written = {day: done({}, rows=0, at=T0) for day in feature_days}
    upstream = {
        day: DayRecord(DayStatus.SUCCESS, finished_at=T0 - timedelta(days=1))
        for day in [*SEASON, *NEXT_SEASON]
    }
    upstream[rewritten] = DayRecord(DayStatus.SUCCESS, finished_at=T0 + timedelta(hours=1))
    view = UpstreamView("player_game_summary", lookback, upstream, frozenset(upstream))
    found = find_stale(written, feature_days, sources=[], inputs={}, written_rows={}, upstream=view)
    assert sorted(found) == [day for day in SEASON if day >= rewritten]
    assert found[max(found)].reasons == (
        f"player_game_summary {rewritten} rewritten after this day",
    )


def test_missing_and_failed_upstream_days_with_work_block_the_days_that_read_them():
    upstream = {
        date(2024, 1, 10): DayRecord(DayStatus.SUCCESS),
        date(2024, 1, 12): DayRecord(DayStatus.FAILED),
    }
    work = frozenset({date(2024, 1, 10), date(2024, 1, 11), date(2024, 1, 12)})
    view = UpstreamView("player_game_summary", lookback, upstream, work)
    assert view.incomplete(date(2024, 1, 10)) == ([], [])
    assert view.incomplete(date(2024, 1, 13)) == ([date(2024, 1, 11)], [date(2024, 1, 12)])
