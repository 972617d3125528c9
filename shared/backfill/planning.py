"""Pure date planning: parse and validate dates, find what to run, group days into batches.

The clock is always an argument (``today``), so every rule here is testable without time.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence, Set
from dataclasses import dataclass
from datetime import date, timedelta

from shared.errors import ConfigError

DEFAULT_LOOKBACK_DAYS = 7


def parse_day(text: str, flag: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ConfigError(
            f"{flag}: {text!r} is not a date; use YYYY-MM-DD, e.g. 2022-01-10"
        ) from None


def parse_day_list(text: str, flag: str = "--dates") -> list[date]:
    """Comma-separated dates, deduplicated and sorted; an empty list is a usage error."""
    parts = [part for part in text.split(",") if part.strip()]
    if not parts:
        raise ConfigError(f"{flag}: no dates given; use a comma list, e.g. 2022-01-10,2022-01-12")
    return sorted({parse_day(part, flag) for part in parts})


def resolve_range(start: date | None, end: date | None, today: date) -> tuple[date, date]:
    """The range to run; by default the last 7 days up to yesterday.

    >>> resolve_range(None, None, date(2024, 1, 8))
    (datetime.date(2024, 1, 1), datetime.date(2024, 1, 7))
    """
    try:
        end = end or today - timedelta(days=1)
        start = start or end - timedelta(days=DEFAULT_LOOKBACK_DAYS - 1)
    except OverflowError:
        raise ConfigError(
            f"--end-date {end} leaves no {DEFAULT_LOOKBACK_DAYS} days before it; "
            f"pass --start-date too"
        ) from None
    check_range(start, end, today)
    return start, end


def check_range(start: date, end: date, today: date) -> None:
    if start > end:
        raise ConfigError(f"--start-date {start} is after --end-date {end}")
    if end > today:
        raise ConfigError(
            f"--end-date {end} is in the future (today is {today}); games not yet played"
        )


def calendar_days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=offset) for offset in range((end - start).days + 1)]


@dataclass(frozen=True)
class DayPlan:
    """Every requested day lands in exactly one of these, so none is silently dropped."""

    to_run: tuple[date, ...]
    no_work: tuple[date, ...]
    already_done: tuple[date, ...]

    @property
    def total(self) -> int:
        return len(self.to_run) + len(self.no_work) + len(self.already_done)


def plan_days(
    requested: Iterable[date], done: Set[date], work_units: Mapping[date, int]
) -> DayPlan:
    """Split the requested days: done (a set difference, so out-of-order finishes resume
    exactly), without work (skipped at once), and the rest to run."""
    days = sorted(set(requested))
    return DayPlan(
        to_run=tuple(d for d in days if d not in done and d in work_units),
        no_work=tuple(d for d in days if d not in done and d not in work_units),
        already_done=tuple(d for d in days if d in done),
    )


class WriteMode(enum.Enum):
    """``--write-mode``: how the days of a run are written."""

    AUTO = "auto"
    BULK = "bulk"
    PER_DAY = "per-day"


# auto writes in bulk from this many days with work. Per-day writes on a warehouse that counts
# table updates (BigQuery: 50 per 10 s per table) take at least days / 5 s and bill a minimum
# per statement (30 MiB a day there); a bulk write is three jobs whatever the range (about
# three statements' latency, 6 s) billed once. At 30 days per-day writes need 6 s at best and
# bill 900 MiB, so from there bulk is as fast and far cheaper (bench B6 measures both).
BULK_MIN_DAYS = 30


def writes_in_bulk(
    mode: WriteMode, *, bulk_write_days: int, days_with_work: int, picked: bool
) -> bool:
    """Whether a run writes its days in bulk: never where the warehouse has no bulk write
    (``bulk_write_days`` 0); ``auto``: when the days are a range (not ``picked`` one by one by
    ``--dates``, ``--stale`` or ``--retry-failed``: a few scattered days, each its own write)
    with at least BULK_MIN_DAYS days with work.

    >>> writes_in_bulk(WriteMode.AUTO, bulk_write_days=4000, days_with_work=585, picked=False)
    True
    >>> writes_in_bulk(WriteMode.AUTO, bulk_write_days=4000, days_with_work=585, picked=True)
    False
    """
    if bulk_write_days < 1 or mode is WriteMode.PER_DAY:
        return False
    return mode is WriteMode.BULK or (not picked and days_with_work >= BULK_MIN_DAYS)


def make_batches(
    days: Sequence[date],
    work_units: Mapping[date, int],
    max_work_days: int,
    bridge: Set[date] = frozenset(),
    max_span_days: int | None = None,
) -> list[tuple[date, ...]]:
    """Group consecutive calendar days into batches holding at most ``max_work_days`` days
    that have work (units > 0); a batch is one contiguous date range, so a gap in ``days``
    ends it, unless every day of the gap is in ``bridge`` (days without work, which the batch
    then carries along: a statement costs the same with them, and each one saved is tens of
    milliseconds; the demo range takes 10 statements instead of 39). A batch spans at most
    ``max_span_days`` calendar days (a bulk write's partition limit).

    >>> d = [date(2024, 1, i) for i in (1, 2, 3, 5)]
    >>> make_batches(d, {x: 1 for x in d}, 2)
    [(datetime.date(2024, 1, 1), datetime.date(2024, 1, 2)), (datetime.date(2024, 1, 3),), (datetime.date(2024, 1, 5),)]
    """
    if max_work_days < 1:
        raise ValueError("max_work_days must be >= 1")
    batches: list[tuple[date, ...]] = []
    current: list[date] = []
    work_in_current = 0
    for day in sorted(days):
        has_work = work_units.get(day, 0) > 0
        contiguous = bool(current) and day - current[-1] == timedelta(days=1)
        too_long = (
            bool(current)
            and max_span_days is not None
            and (day - current[0]).days + 1 > max_span_days
        )
        if too_long:
            batches.append(tuple(current))
            current, work_in_current, contiguous = [], 0, False
        if current and not contiguous and has_work and work_in_current < max_work_days:
            gap = calendar_days(current[-1] + timedelta(days=1), day - timedelta(days=1))
            if all(d in bridge for d in gap):
                current.extend(gap)
                contiguous = True
        if current and (not contiguous or (has_work and work_in_current == max_work_days)):
            batches.append(tuple(current))
            current, work_in_current = [], 0
        current.append(day)
        work_in_current += has_work
    if current:
        batches.append(tuple(current))
    return batches


def split_batch(
    batch: Sequence[date], work_units: Mapping[date, int]
) -> tuple[tuple[date, ...], ...]:
    """Halve a failed batch by its days with work, for bisection down to single days."""
    if len(batch) < 2:
        return (tuple(batch),)
    work_positions = [i for i, day in enumerate(batch) if work_units.get(day, 0) > 0]
    if len(work_positions) >= 2:
        cut = work_positions[len(work_positions) // 2]
    else:
        cut = len(batch) // 2
    return tuple(batch[:cut]), tuple(batch[cut:])
