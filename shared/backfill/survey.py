"""What the warehouse says now about a range's days: work, rows and whether they are current.

One survey serves a run's plan, the dry run and ``status --verify``: a few grouped queries for
the whole range (the job's ``day_stats``, its rows' lineage, one digest per source), never one
per day, then pure judgements (``staleness``). The journal (checkpoints) is consulted only for
days that hold no rows; an empty or missing checkpoint folder reaches the same plan otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import ClassVar

from shared.backfill.checkpoint_state import DayRecord
from shared.backfill.fingerprints import Fingerprint, inputs_of
from shared.backfill.job import Job, work_units
from shared.backfill.results import DayStatus
from shared.backfill.staleness import Stale, Verdict, judge_rowless, judge_rows
from shared.warehouse.base import Dataset, Warehouse

Window = Callable[[date], tuple[date, date]]
History = Mapping[date, Sequence[DayRecord]]


@dataclass(frozen=True)
class Upstream:
    """A job this job reads: ``window(day)`` is the span of its days that feed ``day``
    (e.g. the season up to ``day``). A day reading an upstream day that is not current
    (never run, failed, stale) waits for it."""

    job: str
    make_job: Callable[[Warehouse], Job]
    window: Window
    datasets: tuple[Dataset, ...]
    # The upstream job's command (its entry point), which --with-upstream runs first.
    run: Callable[[Sequence[str]], int] | None = None


@dataclass(frozen=True)
class Gaps:
    """Upstream days with work in a day's window that are not current, by what they are."""

    missing: tuple[date, ...] = ()
    failed: tuple[date, ...] = ()
    stale: tuple[date, ...] = ()
    held: tuple[date, ...] = ()

    KINDS: ClassVar[tuple[str, ...]] = ("missing", "failed", "stale", "held")

    def __bool__(self) -> bool:
        return bool(self.missing or self.failed or self.stale or self.held)

    def __str__(self) -> str:
        parts = [
            f"{len(days)} {word} ({_span(days)})"
            for word, days in (
                ("not backfilled", self.missing),
                ("failed", self.failed),
                ("stale", self.stale),
                ("held", self.held),
            )
            if days
        ]
        return " and ".join(parts)


@dataclass(frozen=True)
class Survey:
    work_units: Mapping[date, int]
    inputs: Mapping[date, Mapping[str, Fingerprint]]
    verdicts: Mapping[date, Verdict]
    stale: Mapping[date, Stale]
    rows: Mapping[date, int] = field(default_factory=dict)
    upstream_job: str | None = None
    gaps: Mapping[date, Gaps] = field(default_factory=dict)

    @property
    def done(self) -> frozenset[date]:
        """Days a resume leaves alone: current, or written before lineage (unverified)."""
        return frozenset(
            day
            for day, verdict in self.verdicts.items()
            if verdict in (Verdict.CURRENT, Verdict.UNVERIFIED)
        )

    @property
    def unverified(self) -> frozenset[date]:
        return frozenset(d for d, v in self.verdicts.items() if v is Verdict.UNVERIFIED)

    def blocked(self, days: Sequence[date]) -> dict[date, Gaps]:
        """Days whose upstream window has work days that are not current."""
        return {day: self.gaps[day] for day in days if day in self.gaps}


def survey(
    job: Job,
    warehouse: Warehouse,
    history: History,
    start: date,
    end: date,
    *,
    upstream: Upstream | None = None,
    upstream_history: History | None = None,
) -> Survey:
    """``history``: every journal record of each day (any order: no clock decides)."""
    counts = job.day_counts(start, end)
    inputs = job.current_inputs(start, end)
    written = job.written_lineage(start, end)
    verdicts: dict[date, Verdict] = {}
    stale: dict[date, Stale] = {}
    for day, count in counts.items():
        now = inputs_of(inputs, job.sources, day)
        if day in written:
            verdict, why = judge_rows(
                written[day],
                version=job.version,
                sources=job.sources,
                now=now,
                history=history.get(day, ()),
            )
            if count.units == 0:
                verdict, why = (
                    Verdict.STALE,
                    Stale((f"{count.rows:,} row(s) of a day without work",)),
                )
        else:
            verdict, why = judge_rowless(
                history.get(day, ()), version=job.version, sources=job.sources, now=now
            )
        verdicts[day] = verdict
        if why is not None:
            stale[day] = why
    gaps: dict[date, Gaps] = {}
    if upstream is not None:
        gaps = _upstream_gaps(
            upstream, warehouse, upstream_history or {}, [d for d in counts if counts[d].units]
        )
        # What a day read is no longer what upstream should hold: the day is not current.
        for day, gap in gaps.items():
            if verdicts.get(day) is Verdict.CURRENT:
                verdicts[day] = Verdict.STALE
                stale[day] = Stale((f"reads {upstream.job} days that are {gap}",))
    return Survey(
        work_units=work_units(counts),
        inputs=inputs,
        verdicts=verdicts,
        stale=stale,
        rows={day: count.rows for day, count in counts.items() if count.rows},
        upstream_job=None if upstream is None else upstream.job,
        gaps=gaps,
    )


def _upstream_gaps(
    upstream: Upstream, warehouse: Warehouse, history: History, days: Sequence[date]
) -> dict[date, Gaps]:
    """For each of ``days``, the upstream days of its window that are not current."""
    if not days:
        return {}
    first = min(upstream.window(day)[0] for day in days)
    last = max(upstream.window(day)[1] for day in days)
    found = survey(upstream.make_job(warehouse), warehouse, history, first, last)
    not_current = sorted(
        day
        for day, units in found.work_units.items()
        if units and found.verdicts.get(day) not in (Verdict.CURRENT, Verdict.UNVERIFIED)
    )
    if not not_current:
        return {}
    gaps: dict[date, Gaps] = {}
    for day in days:
        window_first, window_last = upstream.window(day)
        inside = [d for d in not_current if window_first <= d <= window_last]
        if not inside:
            continue
        failed = [d for d in inside if _latest(history.get(d, ())) is DayStatus.FAILED]
        held = [d for d in inside if _latest(history.get(d, ())) is DayStatus.HELD]
        stale = [d for d in inside if d in found.stale and d not in (*failed, *held)]
        missing = [d for d in inside if d not in (*failed, *held, *stale)]
        gaps[day] = Gaps(tuple(missing), tuple(failed), tuple(stale), tuple(held))
    return gaps


def merged_gaps(blocked: Mapping[date, Gaps]) -> Gaps:
    """Every day's gaps as one (for a one-line refusal)."""
    gaps = list(blocked.values())
    return Gaps(
        *(tuple(sorted({d for g in gaps for d in getattr(g, kind)})) for kind in Gaps.KINDS)
    )


def _latest(records: Sequence[DayRecord]) -> DayStatus | None:
    return records[-1].status if records else None


def _span(days: Sequence[date]) -> str:
    return str(days[0]) if len(days) == 1 else f"{days[0]}..{days[-1]}"
