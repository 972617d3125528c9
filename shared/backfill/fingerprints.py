"""How a day's rows were made, as they say themselves: the lineage a job writes with its rows.

Every row a job writes carries, from the same statement that computed it:
- the transform version: a hash of the transform's text, normalized by sqlglot (comments and
  layout do not count), and of the constants the job declares it depends on;
- one digest per input (``Source``): the BIT_XOR of a hash of each input row the day read,
  so the same rows in any order give the same digest and one changed value another.

Whether a day is current is then a comparison of what its rows say with what the transform
would read now: each source's digest is computed by the transform's own ``*_digest`` CTE run
on its own (``cte_query``), never by a second copy of the SQL. Digests are engine-specific
(FARM_FINGERPRINT on BigQuery, DuckDB's HASH elsewhere): they compare within one warehouse.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from typing import ClassVar

from shared.warehouse.base import Params, Warehouse, as_date
from shared.warehouse.sql import Sql, cte_query, normalized

# The digest of an input with no rows for the day (what the transform writes: COALESCE(.., 0)).
EMPTY_DIGEST = "0"


@dataclass(frozen=True)
class Fingerprint:
    """An input's rows of one day: how many, and their digest (a 64-bit integer as text)."""

    rows: int
    digest: str

    EMPTY: ClassVar[Fingerprint]


Fingerprint.EMPTY = Fingerprint(0, EMPTY_DIGEST)


@dataclass(frozen=True)
class Source:
    """One input of a job. ``name`` and ``unit`` word the stale reasons ("play-by-play 0 ->
    510 events"); ``prefix`` names the target columns each row keeps the day's digest and count
    in (``source_<prefix>_hash``, ``source_<prefix>_rows_found``, as production does); ``cte``
    the transform's CTE that answers ``day, row_count, digest`` per day of what it reads."""

    name: str
    unit: str
    prefix: str
    cte: str

    @property
    def column(self) -> str:
        return f"source_{self.prefix}_hash"

    @property
    def rows_column(self) -> str:
        return f"source_{self.prefix}_rows_found"


def digest_text(value: object) -> str:
    """A digest as the warehouse returns it (an INT64, or its text as stored; NULL for none)."""
    return EMPTY_DIGEST if value is None else str(value)


@functools.lru_cache(maxsize=64)
def transform_version(text: str, constants: tuple[str, ...] = ()) -> str:
    """The version rows are stamped with: 16 hex digits of SHA-256 over the normalized SQL and
    the job's declared constants. A comment or a re-indent keeps it; 23.75 -> 22.0 changes it."""
    digest = hashlib.sha256(normalized(text).encode())
    for constant in constants:
        digest.update(b"\0" + constant.encode())
    return digest.hexdigest()[:16]


def current_inputs(
    warehouse: Warehouse, transform: Sql, sources: Sequence[Source], params: Params
) -> dict[date, dict[str, Fingerprint]]:
    """Every day the sources have rows for, with each source's fingerprint as the transform
    would read it now (EMPTY where it has none). Sources are read concurrently: on a remote
    engine each is a round trip."""
    if not sources:
        return {}
    queries = digest_queries(transform, sources)
    with ThreadPoolExecutor(len(sources), thread_name_prefix="lineage") as pool:
        answers = list(pool.map(lambda sql: warehouse.query(sql, sql.bind(params)), queries))
    by_day: dict[date, dict[str, Fingerprint]] = {}
    for source, rows in zip(sources, answers, strict=True):
        for row in rows:
            by_day.setdefault(as_date(row["day"]), {})[source.name] = Fingerprint(
                int(row["row_count"]), digest_text(row["digest"])
            )
    return {
        day: {source.name: found.get(source.name, Fingerprint.EMPTY) for source in sources}
        for day, found in by_day.items()
    }


@functools.lru_cache(maxsize=64)
def _digest_query(transform: Sql, cte: str) -> Sql:
    return cte_query(transform, cte)


def digest_queries(transform: Sql, sources: Sequence[Source]) -> list[Sql]:
    """The statements ``current_inputs`` runs (the dry run prices them on BigQuery)."""
    return [_digest_query(transform, source.cte) for source in sources]


def inputs_of(
    fingerprints: Mapping[date, Mapping[str, Fingerprint]], sources: Sequence[Source], day: date
) -> dict[str, Fingerprint]:
    """A day's fingerprints, EMPTY for each source without rows that day."""
    found = fingerprints.get(day, {})
    return {source.name: found.get(source.name, Fingerprint.EMPTY) for source in sources}
