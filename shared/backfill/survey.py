"""What the warehouse says now about a range's days: work, input fingerprints, rows, upstream.

One survey serves a run's plan, the dry run and ``status --verify``: a few grouped queries
for the whole range (never one per day), then pure comparisons against the records.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date

from shared.backfill.checkpoint import DayRecord
from shared.backfill.fingerprints import Fingerprint, fingerprint_inputs
from shared.backfill.job import Job, work_units
from shared.backfill.planning import calendar_days
from shared.backfill.staleness import Stale, UpstreamView, Window, find_stale, unverified
from shared.warehouse.base import Dataset, Warehouse


@dataclass(frozen=True)
class Upstream:
    """A job this job reads: ``window(day)`` is the span of its days that feed ``day``
    (e.g. the season up to ``day``); a rewrite of any of them after ``day`` was written
    makes ``day`` stale."""

    job: str
    make_job: Callable[[Warehouse], Job]
    window: Window
    datasets: tuple[Dataset, ...]


@dataclass(frozen=True)
class Survey:
    work_units: Mapping[date, int]
    inputs: Mapping[date, Mapping[str, Fingerprint]]
    stale: Mapping[date, Stale]
    unverified: frozenset[date]
    upstream: UpstreamView | None = None

    def blocked(self, days: list[date]) -> dict[date, tuple[list[date], list[date]]]:
        """Days whose upstream window has work days missing or failed upstream."""
        if self.upstream is None:
            return {}
        found = {day: self.upstream.incomplete(day) for day in days}
        return {day: gaps for day, gaps in found.items() if gaps[0] or gaps[1]}


def survey(
    job: Job,
    warehouse: Warehouse,
    records: Mapping[date, DayRecord],
    start: date,
    end: date,
    *,
    upstream: Upstream | None = None,
    upstream_records: Mapping[date, DayRecord] | None = None,
) -> Survey:
    days = calendar_days(start, end)
    counts = job.day_counts(start, end)
    inputs = fingerprint_inputs(warehouse, job.sources, start, end)
    done = [day for day in days if (record := records.get(day)) is not None and record.done]
    written = {day: count.rows for day, count in counts.items() if count.rows}
    view = None
    if upstream is not None:
        first = min(upstream.window(day)[0] for day in days)
        last = max(upstream.window(day)[1] for day in days)
        upstream_work = upstream.make_job(warehouse).day_counts(first, last)
        view = UpstreamView(
            upstream.job, upstream.window, upstream_records or {}, frozenset(upstream_work)
        )
    stale = find_stale(
        records, done, sources=job.sources, inputs=inputs, written_rows=written, upstream=view
    )
    return Survey(
        work_units=work_units(counts),
        inputs=inputs,
        stale=stale,
        unverified=frozenset(
            unverified(records, done, sources=job.sources, upstream=upstream is not None)
        ),
        upstream=view,
    )
