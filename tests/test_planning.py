from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.backfill.planning import (
    calendar_days,
    make_batches,
    parse_day_list,
    plan_days,
    resolve_range,
    split_batch,
)
from shared.errors import ConfigError

TODAY = date(2024, 6, 1)
days_strategy = st.dates(min_value=date(2021, 10, 1), max_value=date(2022, 3, 1))


def test_default_range_is_last_seven_days_to_yesterday():
    assert resolve_range(None, None, TODAY) == (date(2024, 5, 25), date(2024, 5, 31))


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (date(2024, 1, 5), date(2024, 1, 4), "after"),
        (date(2024, 1, 5), date(2024, 6, 2), "future"),
    ],
)
def test_bad_ranges_are_usage_errors(start, end, message):
    with pytest.raises(ConfigError, match=message):
        resolve_range(start, end, TODAY)


@pytest.mark.parametrize("text", ["", " , ,", ","])
def test_empty_dates_list_is_refused(text):
    with pytest.raises(ConfigError, match="no dates"):
        parse_day_list(text)


def test_malformed_date_names_the_flag():
    with pytest.raises(ConfigError, match="--dates: '2022-13-01' is not a date"):
        parse_day_list("2022-01-01,2022-13-01")


@given(
    requested=st.sets(days_strategy, max_size=60),
    done=st.sets(days_strategy, max_size=60),
    with_work=st.sets(days_strategy, max_size=60),
)
def test_plan_partitions_requested_days_exactly(requested, done, with_work):
    plan = plan_days(requested, done, {d: 3 for d in with_work})
    parts = [set(plan.to_run), set(plan.no_work), set(plan.already_done)]
    assert set().union(*parts) == requested
    assert sum(len(p) for p in parts) == len(requested)
    assert set(plan.already_done) == requested & done
    assert set(plan.to_run) == (requested - done) & with_work


@given(
    days=st.sets(days_strategy, min_size=1, max_size=80),
    with_work=st.sets(days_strategy, max_size=80),
    k=st.integers(min_value=1, max_value=10),
)
def test_batches_are_contiguous_bounded_and_cover_every_day(days, with_work, k):
    units = {d: 1 for d in with_work}
    batches = make_batches(sorted(days), units, k)
    flattened = [d for batch in batches for d in batch]
    assert flattened == sorted(days)
    for batch in batches:
        assert list(batch) == calendar_days(batch[0], batch[-1])
        assert sum(units.get(d, 0) > 0 for d in batch) <= k


@given(
    days=st.sets(days_strategy, min_size=1, max_size=80),
    idle=st.sets(days_strategy, max_size=80),
    k=st.integers(min_value=1, max_value=10),
)
def test_bridged_batches_carry_only_idle_days_and_cover_every_day(days, idle, k):
    """Days without work may fill a gap between two batches' days; nothing else is added."""
    idle = idle - days
    units = {d: 1 for d in days}
    batches = make_batches(sorted(days), units, k, bridge=idle)
    flattened = [d for batch in batches for d in batch]
    assert set(flattened) - set(days) <= idle and set(days) <= set(flattened)
    assert len(flattened) == len(set(flattened))
    for batch in batches:
        assert list(batch) == calendar_days(batch[0], batch[-1])
        assert sum(units.get(d, 0) > 0 for d in batch) <= k
    assert len(batches) <= len(make_batches(sorted(days), units, k))


def test_batches_break_at_gaps_and_at_k_work_days():
    week = calendar_days(date(2024, 1, 1), date(2024, 1, 7))
    units = {d: 1 for d in week if d.day != 3}
    batches = make_batches([d for d in week if d.day != 5], units, 2)
    assert [[d.day for d in b] for b in batches] == [[1, 2, 3], [4], [6, 7]]


@given(
    start=days_strategy,
    length=st.integers(min_value=2, max_value=40),
    with_work=st.sets(st.integers(min_value=0, max_value=39)),
)
def test_split_halves_a_batch_into_two_nonempty_contiguous_parts(start, length, with_work):
    batch = tuple(start + timedelta(days=i) for i in range(length))
    units = {start + timedelta(days=i): 1 for i in with_work if i < length}
    first, second = split_batch(batch, units)
    assert first and second and first + second == batch
