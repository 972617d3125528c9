"""Which recorded days no longer match the warehouse, and why: pure functions over records.

A day recorded done is stale when
- a source's fingerprint now differs from the one taken before the day was written
  ("play-by-play 0 -> 510 events"), or
- the target no longer holds the rows recorded for it ("rows deleted: 250 recorded, none in
  the table": the day is *missing*), or
- an upstream job rewrote a day the day reads after the day was written
  ("player_game_summary 2024-01-17 rewritten after this day").

A done day written before fingerprints were recorded is *unverified*: its inputs cannot be
compared (its rows still are).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from shared.backfill.checkpoint import DayRecord
from shared.backfill.fingerprints import Fingerprint, Source, inputs_of
from shared.backfill.planning import calendar_days
from shared.backfill.results import DayStatus

Window = Callable[[date], tuple[date, date]]


@dataclass(frozen=True)
class Stale:
    reasons: tuple[str, ...]
    # The target lost every row recorded for the day (shown as its own state by status).
    missing: bool = False

    def __str__(self) -> str:
        return "; ".join(self.reasons)


@dataclass(frozen=True)
class UpstreamView:
    """What the days of an upstream job look like to a downstream one."""

    job: str
    window: Window
    records: Mapping[date, DayRecord]
    work_days: frozenset[date]

    def days_of(self, day: date) -> list[date]:
        first, last = self.window(day)
        return calendar_days(first, last)

    @functools.cached_property
    def _newest_first(self) -> list[tuple[datetime, date]]:
        return sorted(
            ((found.finished_at, day) for day, found in self.records.items() if found.finished_at),
            reverse=True,
        )

    def rewritten_after(self, day: date, record: DayRecord) -> list[date]:
        """Upstream days in ``day``'s window written after ``day`` began: newest writes first,
        so only the few rewritten since are ever looked at."""
        if record.started_at is None:
            return []
        first, last = self.window(day)
        found = []
        for finished, upstream in self._newest_first:
            if finished <= record.started_at:
                break
            if first <= upstream <= last:
                found.append(upstream)
        return sorted(found)

    def incomplete(self, day: date) -> tuple[list[date], list[date]]:
        """Upstream days with work in ``day``'s window that are missing / failed upstream."""
        missing, failed = [], []
        for upstream in self.days_of(day):
            if upstream not in self.work_days:
                continue
            found = self.records.get(upstream)
            if found is None:
                missing.append(upstream)
            elif found.status is DayStatus.FAILED:
                failed.append(upstream)
        return missing, failed


def find_stale(
    records: Mapping[date, DayRecord],
    days: Iterable[date],
    *,
    sources: Sequence[Source],
    inputs: Mapping[date, Mapping[str, Fingerprint]],
    written_rows: Mapping[date, int],
    upstream: UpstreamView | None = None,
) -> dict[date, Stale]:
    """The stale days among ``days`` recorded done, each with its reasons."""
    stale: dict[date, Stale] = {}
    for day in days:
        record = records.get(day)
        if record is None or not record.done:
            continue
        reasons = _input_reasons(record, inputs_of(inputs, sources, day), sources)
        rows_reason, missing = _rows_reason(record, written_rows.get(day, 0))
        if rows_reason:
            reasons.append(rows_reason)
        if upstream is not None:
            rewritten = upstream.rewritten_after(day, record)
            if rewritten:
                more = f" (+{len(rewritten) - 1} more)" if len(rewritten) > 1 else ""
                reasons.append(f"{upstream.job} {rewritten[-1]} rewritten after this day{more}")
        if reasons:
            stale[day] = Stale(tuple(reasons), missing)
    return stale


def unverified(
    records: Mapping[date, DayRecord],
    days: Iterable[date],
    *,
    sources: Sequence[Source],
    upstream: bool,
) -> set[date]:
    """Done days whose inputs were never recorded, so they cannot be checked."""
    return {
        day
        for day in days
        if (record := records.get(day)) is not None
        and record.done
        and ((sources and record.inputs is None) or (upstream and record.started_at is None))
    }


def _input_reasons(
    record: DayRecord, current: Mapping[str, Fingerprint], sources: Sequence[Source]
) -> list[str]:
    if record.inputs is None:
        return []
    reasons = []
    for source in sources:
        before = record.inputs.get(source.name)
        now = current[source.name]
        if before is None or before == now:
            continue
        if before.rows != now.rows:
            reasons.append(f"{source.name} {before.rows:,} -> {now.rows:,} {source.unit}")
        else:
            reasons.append(f"{source.name} changed ({now.rows:,} {source.unit})")
    return reasons


def _rows_reason(record: DayRecord, rows_now: int) -> tuple[str | None, bool]:
    if rows_now == record.rows:
        return None, False
    if record.status is DayStatus.SUCCESS and rows_now == 0:
        return f"rows deleted: {record.rows:,} recorded, none in the table", True
    return f"the table holds {rows_now:,} rows, {record.rows:,} recorded", False
