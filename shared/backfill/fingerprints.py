"""What a day's raw inputs looked like when it was written, so a later change is noticed.

A job names its sources; each is one checked-in grouped query returning, per day of
``@start_date..@end_date``, a row count and an order-independent digest of the columns the
transform reads (``BIT_XOR`` of a per-row hash: the same rows in any order give the same
digest, one changed value gives another). A day absent from a source's answer has no rows
there: ``Fingerprint.EMPTY``. One query per source covers a whole range, never one per day.

Digests are engine-specific (FARM_FINGERPRINT on BigQuery, DuckDB's hash elsewhere); they are
only compared within one warehouse, which the checkpoint's warehouse identity guarantees.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar

from shared.warehouse.base import Warehouse, as_date
from shared.warehouse.sql import Sql


@dataclass(frozen=True)
class Fingerprint:
    rows: int
    digest: str

    EMPTY: ClassVar[Fingerprint]

    def to_json(self) -> dict[str, Any]:
        return {"rows": self.rows, "digest": self.digest}

    @classmethod
    def from_json(cls, data: Any) -> Fingerprint:
        if not isinstance(data, dict):
            raise ValueError(f"a fingerprint is an object, not {data!r}")
        rows, digest = data.get("rows"), data.get("digest")
        if type(rows) is not int or rows < 0 or not isinstance(digest, str):
            raise ValueError(f"a fingerprint needs rows >= 0 and a digest string, not {data!r}")
        return cls(rows, digest)


Fingerprint.EMPTY = Fingerprint(0, "")

Inputs = Mapping[str, Fingerprint]


@dataclass(frozen=True)
class Source:
    """One raw input of a job: ``name`` and ``unit`` word the stale reasons
    ("play-by-play 0 -> 510 events"); ``sql`` answers ``day, row_count, digest`` per day."""

    name: str
    unit: str
    sql: Sql


def fingerprint_inputs(
    warehouse: Warehouse, sources: Sequence[Source], start: date, end: date
) -> dict[date, dict[str, Fingerprint]]:
    """Every day of [start, end] that any source has rows for, with each source's fingerprint
    (EMPTY where it has none). Sources are queried concurrently: on a remote engine each is a
    round trip."""
    if not sources:
        return {}
    params = {"start_date": start, "end_date": end}
    with ThreadPoolExecutor(len(sources), thread_name_prefix="fingerprint") as pool:
        answers = list(pool.map(lambda source: warehouse.query(source.sql, params), sources))
    by_day: dict[date, dict[str, Fingerprint]] = {}
    for source, rows in zip(sources, answers, strict=True):
        for row in rows:
            day = as_date(row["day"])
            by_day.setdefault(day, {})[source.name] = Fingerprint(
                int(row["row_count"]), str(row["digest"])
            )
    return {
        day: {source.name: found.get(source.name, Fingerprint.EMPTY) for source in sources}
        for day, found in by_day.items()
    }


def inputs_of(
    fingerprints: Mapping[date, Mapping[str, Fingerprint]], sources: Sequence[Source], day: date
) -> dict[str, Fingerprint]:
    """A day's fingerprints, EMPTY for each source without rows that day."""
    found = fingerprints.get(day, {})
    return {source.name: found.get(source.name, Fingerprint.EMPTY) for source in sources}
