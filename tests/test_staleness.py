"""Whether a day is current, as pure functions over what its rows say and the journal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from shared.backfill.checkpoint import DayRecord
from shared.backfill.fingerprints import Fingerprint, Source
from shared.backfill.results import DayStatus
from shared.backfill.staleness import TRANSFORM_CHANGED, Verdict, Written, judge_rowless, judge_rows

PBP = Source("play-by-play", "events", "bbd", "play_by_play_digest")
BOX = Source("gamebook", "rows", "nbac", "gamebook_digest")
SOURCES = (PBP, BOX)
V1, V2 = "aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbb"
NOW = {"play-by-play": Fingerprint(510, "9"), "gamebook": Fingerprint(30, "4")}


def rows(version: str | None = V1, pbp: str = "9", box: str = "4", **kw: int) -> Written:
    """Rows whose lineage says play-by-play had 510 events and the gamebook 30 rows (with
    these digests)."""
    inputs = {
        "play-by-play": Fingerprint(kw.get("pbp_rows", 510), pbp),
        "gamebook": Fingerprint(kw.get("box_rows", 30), box),
    }
    return Written(version, inputs, kw.get("n", 30), kw.get("ch", 0))


def judge(*written: Written, now: dict[str, Fingerprint] = NOW, history=()):
    return judge_rows(list(written), version=V1, sources=SOURCES, now=now, history=history)


def test_rows_with_this_version_and_these_inputs_are_current():
    assert judge(rows()) == (Verdict.CURRENT, None)


def test_a_new_transform_version_stales_with_its_reason():
    verdict, why = judge(rows(version=V2))
    assert verdict is Verdict.STALE and why is not None and why.reasons == (TRANSFORM_CHANGED,)


def test_each_changed_input_gives_its_own_reason_counted_from_the_rows():
    verdict, why = judge(rows(pbp="0", box="3", pbp_rows=0))
    assert verdict is Verdict.STALE and why is not None
    assert why.reasons == ("play-by-play 0 -> 510 events", "gamebook changed (30 rows)")


def test_edited_rows_and_mixed_writes_are_stale():
    assert judge(rows(ch=2))[1].reasons == ("2 row(s) edited since written",)  # type: ignore[union-attr]
    verdict, why = judge(rows(), rows(box="5"))
    assert (
        verdict is Verdict.STALE
        and why is not None
        and why.reasons == ("gamebook changed (30 rows)",)
    )


def test_rows_without_lineage_are_unverified_but_mixed_with_lineage_are_stale():
    assert judge(rows(version=None)) == (Verdict.UNVERIFIED, None)
    assert judge(rows(version=None), rows())[0] is Verdict.STALE


def test_a_rowless_day_is_current_only_if_the_journal_ran_it_from_these_inputs():
    ran = DayRecord(DayStatus.SUCCESS, rows=0, inputs=dict(NOW), version=V1)
    assert judge_rowless([ran], version=V1, sources=SOURCES, now=NOW) == (Verdict.CURRENT, None)
    assert judge_rowless([], version=V1, sources=SOURCES, now=NOW) == (Verdict.PENDING, None)
    later = {**NOW, "gamebook": Fingerprint(32, "6")}
    verdict, why = judge_rowless([ran], version=V1, sources=SOURCES, now=later)
    assert (
        verdict is Verdict.STALE and why is not None and why.reasons == ("gamebook 30 -> 32 rows",)
    )


def test_rows_recorded_and_now_gone_are_missing():
    wrote = DayRecord(DayStatus.SUCCESS, rows=250, inputs=dict(NOW), version=V1)
    verdict, why = judge_rowless([wrote], version=V1, sources=SOURCES, now=NOW)
    assert verdict is Verdict.STALE and why is not None and why.missing
    assert why.reasons == ("rows deleted: 250 recorded, none in the table",)


RECORDS = st.builds(
    DayRecord,
    status=st.sampled_from(list(DayStatus)),
    rows=st.sampled_from([0, 0, 250]),
    inputs=st.sampled_from([None, dict(NOW), {**NOW, "gamebook": Fingerprint(31, "1")}]),
    version=st.sampled_from([None, V1, V2]),
    finished_at=st.datetimes(timezones=st.just(UTC)),
)


@given(st.lists(RECORDS, max_size=5), st.integers(-50_000, 50_000), st.randoms())
def test_no_clock_and_no_order_of_the_journal_changes_a_verdict(records, shift_days, rng):
    """Timestamps moved years into the future or the past, or the files read in another
    order, give the same verdict."""
    before = judge_rowless(records, version=V1, sources=SOURCES, now=NOW)
    moved = []
    for record in records:
        try:
            at = record.finished_at + timedelta(days=shift_days) if record.finished_at else None
        except OverflowError:
            at = datetime.max.replace(tzinfo=UTC)
        moved.append(DayRecord(**{**record.__dict__, "finished_at": at}))
    rng.shuffle(moved)
    after = judge_rowless(moved, version=V1, sources=SOURCES, now=NOW)
    assert before[0] is after[0]
