"""Whether a day is current, from what its rows say: pure functions over lineage and records.

A day with rows is current when every row carries the job's transform version, each source's
digest equals what the transform would read now, and no row was edited since it was written
(its content still hashes to its ``data_hash``). Rows without any lineage were written before
lineage existed: *unverified*, left alone unless asked.

A day with work but no rows (final games without a box score yet) holds no lineage; the
journal (the checkpoints) says whether it was run with the current inputs. That is decided
by any record of the day, never by which record's clock is newest.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from shared.backfill.checkpoint_state import DayRecord
from shared.backfill.fingerprints import Fingerprint, Source
from shared.backfill.results import DayStatus

TRANSFORM_CHANGED = "transform changed"


class Verdict(enum.Enum):
    CURRENT = "current"
    UNVERIFIED = "unverified"
    STALE = "stale"
    PENDING = "pending"


@dataclass(frozen=True)
class Written:
    """One distinct lineage among a day's rows (a day written by one statement has one)."""

    version: str | None
    # What the rows say each source held when they were written, by source name.
    inputs: Mapping[str, Fingerprint]
    rows: int
    changed_rows: int = 0


@dataclass(frozen=True)
class Stale:
    reasons: tuple[str, ...]
    # The target lost every row recorded for the day (shown as its own state by status).
    missing: bool = False

    def __str__(self) -> str:
        return "; ".join(self.reasons)


def judge_rows(
    written: Sequence[Written],
    *,
    version: str,
    sources: Sequence[Source],
    now: Mapping[str, Fingerprint],
    history: Sequence[DayRecord] = (),
) -> tuple[Verdict, Stale | None]:
    """A day that holds rows. The journal (``history``, if any) words the reasons, and catches
    rows deleted outside the backfill (the rows left still say they are current): when no
    record of the day counted the rows the table holds now."""
    recorded = history[-1] if history else None
    if all(group.version is None for group in written):
        return Verdict.UNVERIFIED, None
    reasons: list[str] = []
    if any(group.version != version for group in written):
        reasons.append(TRANSFORM_CHANGED)
    for source in sources:
        stored = {group.inputs.get(source.name) for group in written}
        if stored != {now[source.name]}:
            before = next(iter(stored)) if len(stored) == 1 else None
            before = before or recorded_input(recorded, source)
            reasons.append(_input_reason(source, now[source.name], before))
    changed = sum(group.changed_rows for group in written if group.version is not None)
    if changed:
        reasons.append(f"{changed:,} row(s) edited since written")
    rows_now = sum(group.rows for group in written)
    counted = [record.rows for record in history if record.status is DayStatus.SUCCESS]
    if counted and rows_now not in counted:
        reasons.append(f"the table holds {rows_now:,} rows, {counted[-1]:,} recorded")
    if reasons:
        return Verdict.STALE, Stale(tuple(reasons))
    return Verdict.CURRENT, None


def judge_rowless(
    history: Sequence[DayRecord],
    *,
    version: str,
    sources: Sequence[Source],
    now: Mapping[str, Fingerprint],
) -> tuple[Verdict, Stale | None]:
    """A day with work but no rows: current if any record ran it, rowless, from these inputs
    with this version; stale if its rows are gone or its inputs changed; else pending."""
    done = [record for record in history if record.done]
    for record in done:
        if record.rows == 0 and record.version == version and record.inputs == dict(now):
            return Verdict.CURRENT, None
    lost = max((record.rows for record in done), default=0)
    if lost:
        return Verdict.STALE, Stale((f"rows deleted: {lost:,} recorded, none in the table",), True)
    if done:
        record = done[-1]
        reasons = [] if record.version == version else [TRANSFORM_CHANGED]
        reasons += [
            _input_reason(source, now[source.name], recorded_input(record, source))
            for source in sources
            if record.inputs is None or record.inputs.get(source.name) != now[source.name]
        ]
        return Verdict.STALE, Stale(tuple(reasons or ["inputs unknown"]))
    return Verdict.PENDING, None


def recorded_input(recorded: DayRecord | None, source: Source) -> Fingerprint | None:
    return None if recorded is None or recorded.inputs is None else recorded.inputs.get(source.name)


def _input_reason(source: Source, now: Fingerprint, before: Fingerprint | None) -> str:
    if before is not None and before.rows != now.rows:
        return f"{source.name} {before.rows:,} -> {now.rows:,} {source.unit}"
    return f"{source.name} changed ({now.rows:,} {source.unit})"
