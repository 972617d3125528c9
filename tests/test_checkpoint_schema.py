"""The checkpoint file's format: the published schema is the model's, any state survives the
file unchanged, files written before the model still load, and wrong shapes are named."""

import json
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.backfill.checkpoint_schema import SCHEMA_VERSION, dump_state, json_schema, parse_state
from shared.backfill.checkpoint_state import CheckpointState, DayRecord
from shared.backfill.fingerprints import Fingerprint
from shared.backfill.results import DayStatus
from shared.warehouse.base import JobCost

PUBLISHED = Path(__file__).resolve().parents[1] / "docs" / "schemas"

# Written by the hand-rolled writer this model replaced (commit 8056474), byte for byte.
WRITTEN_BEFORE_THE_MODEL = (
    '{"schema_version":1,"job":"player_game_summary","range":{"start":"2022-01-01","end":'
    '"2022-01-31"},"warehouse":null,"created_at":"2024-03-01T10:00:00.000000+00:00",'
    '"updated_at":"2024-03-01T10:05:00.123456+00:00","stats":{"success":1,"failed":1,'
    '"skipped":0,"held":0,"rows":250},"runs":[{"finished_at":"2024-03-01T10:05:00+00:00",'
    '"warehouse":"duckdb:/tmp/w.duckdb","days":2,"error":null}],"days":{"2022-01-03":{'
    '"status":"success","rows":250,"units":8,"attempts":1,"duration_s":1.234,"started_at":'
    '"2024-03-01T10:00:01.000000+00:00","finished_at":"2024-03-01T10:00:02.000500+00:00",'
    '"coverage":0.9712,"inputs":{"gamebook":{"rows":30,"digest":"-4611686018427387904"}},'
    '"version":"0123456789abcdef","bytes_processed":1048576,"bytes_billed":10485760,'
    '"slot_ms":42},"2022-01-04":{"status":"failed","rows":0,"units":0,"attempts":3,'
    '"duration_s":0.0,"started_at":null,"finished_at":null,"error":"boom: line 1"}}}'
)


def test_the_published_schema_is_the_models():
    published = PUBLISHED / f"checkpoint.v{SCHEMA_VERSION}.schema.json"
    assert json.loads(published.read_text()) == json_schema(), (
        f"the checkpoint model changed: regenerate {published.name} with "
        f"python -m shared.backfill.checkpoint_schema > docs/schemas/{published.name}, "
        f"and bump SCHEMA_VERSION if version {SCHEMA_VERSION} files no longer load"
    )


counts = st.integers(min_value=0, max_value=2**63 - 1)
texts = st.text(max_size=12)
moments = st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=-5, minutes=-30))]))
records = st.builds(
    DayRecord,
    status=st.sampled_from(DayStatus),
    rows=counts,
    units=counts,
    attempts=counts,
    # What the file keeps: milliseconds of duration, four decimals of coverage.
    duration_s=st.integers(0, 10**9).map(lambda n: n / 1000),
    started_at=st.none() | moments,
    finished_at=st.none() | moments,
    coverage=st.none() | st.integers(0, 10**4).map(lambda n: n / 10**4),
    error=st.none() | st.text(),
    inputs=st.none() | st.dictionaries(texts, st.builds(Fingerprint, counts, texts), max_size=3),
    version=st.none() | texts,
    cost=st.none() | st.builds(JobCost, counts, counts, counts),
)
json_values = (
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | texts
)
states = st.builds(
    CheckpointState,
    job=st.text(),
    start=st.dates(),
    end=st.dates(),
    days=st.dictionaries(st.dates(), records, max_size=8),
    runs=st.lists(st.dictionaries(texts, json_values | st.lists(json_values)), max_size=3),
    warehouse=st.none() | st.text(),
    created_at=st.text(),
    updated_at=st.text(),
)


@settings(max_examples=100, deadline=None)
@given(states)
def test_any_state_comes_back_from_its_file_unchanged(state):
    text = dump_state(state)
    assert parse_state(text) == state
    assert dump_state(parse_state(text)) == text


def test_a_file_written_before_the_model_loads_and_keeps_its_values():
    state = parse_state(WRITTEN_BEFORE_THE_MODEL)
    assert (state.job, state.start, state.end, state.warehouse) == (
        "player_game_summary",
        date(2022, 1, 1),
        date(2022, 1, 31),
        None,
    )
    assert state.days == {
        date(2022, 1, 3): DayRecord(
            status=DayStatus.SUCCESS,
            rows=250,
            units=8,
            attempts=1,
            duration_s=1.234,
            started_at=datetime(2024, 3, 1, 10, 0, 1, tzinfo=UTC),
            finished_at=datetime(2024, 3, 1, 10, 0, 2, 500, tzinfo=UTC),
            coverage=0.9712,
            inputs={"gamebook": Fingerprint(30, "-4611686018427387904")},
            version="0123456789abcdef",
            cost=JobCost(1048576, 10485760, 42),
        ),
        date(2022, 1, 4): DayRecord(status=DayStatus.FAILED, attempts=3, error="boom: line 1"),
    }
    assert state.runs[0]["error"] is None and state.updated_at.endswith(".123456+00:00")
    assert parse_state(dump_state(state)) == state


def test_a_naive_moment_is_read_as_utc():
    text = WRITTEN_BEFORE_THE_MODEL.replace("10:00:01.000000+00:00", "10:00:01")
    started = parse_state(text).days[date(2022, 1, 3)].started_at
    assert started == datetime(2024, 3, 1, 10, 0, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (('"rows":250,"units"', '"rows":"250","units"'), "day 2022-01-03: rows is '250'"),
        (('"rows":250,"units"', '"rows":true,"units"'), "day 2022-01-03: rows is True"),
        (('"units":8', '"units":-8'), "day 2022-01-03: units is -8"),
        (('"duration_s":1.234', '"duration_s":NaN'), "day 2022-01-03: duration_s is nan"),
        (('"status":"failed"', '"status":"done"'), "day 2022-01-04: status is 'done'"),
        (('"rows":30', '"rows":"30"'), "day 2022-01-03: inputs.gamebook.rows is '30'"),
        (('"2022-01-04":', '"2022-02-30":'), "day 2022-02-30: the date is '2022-02-30'"),
        (('"start":"2022-01-01",', ""), "range.start is missing"),
        (('"schema_version":1', '"schema_version":2'), "schema_version is 2"),
        (('"days":2,', '"days":2,"x":1}]}'), "Invalid JSON"),
    ],
)
def test_a_wrong_shape_is_refused_naming_the_field(edit, problem):
    old, new = edit
    assert old in WRITTEN_BEFORE_THE_MODEL
    with pytest.raises(ValueError, match="^" + problem.replace("(", r"\(")):
        parse_state(WRITTEN_BEFORE_THE_MODEL.replace(old, new, 1))


def test_every_problem_is_counted_and_the_first_three_named():
    days = ",".join(f'"2022-01-{n:02}":{{"status":"x"}}' for n in range(1, 8))
    text = WRITTEN_BEFORE_THE_MODEL.split('"days":{')[0] + '"days":{' + days + "}}"
    message = str(pytest.raises(ValueError, parse_state, text).value)
    assert message.count("status is 'x'") == 3 and message.endswith("; +4 more")
