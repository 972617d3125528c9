"""The entry point of the generator: seed a warehouse file with a date range of raw data."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from shared.errors import ConfigError
from shared.nba.sample_data import writer
from shared.nba.sample_data.calendar import (
    SUPPORTED_END,
    SUPPORTED_START,
    season_calendar,
    season_of,
)
from shared.nba.sample_data.games import season_tables

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SeedSummary:
    """What one seeding wrote; ``days`` counts calendar days, with or without games."""

    path: Path
    start: date
    end: date
    seed: int
    days: int
    games: int
    gamebook_rows: int
    play_by_play_events: int
    seconds: float
    file_bytes: int


def validate_range(start: date, end: date, seed: int) -> None:
    """Reject what cannot be generated, before any work (ConfigError)."""
    if start > end:
        raise ConfigError(f"start date {start} is after end date {end}")
    if start < SUPPORTED_START or end > SUPPORTED_END:
        raise ConfigError(
            f"dates must lie in the 2021-22..2025-26 seasons "
            f"({SUPPORTED_START}..{SUPPORTED_END}), got {start}..{end}"
        )
    if seed < 0:
        raise ConfigError(f"seed must be a non-negative integer, got {seed}")


def seed_warehouse(path: Path, start: date, end: date, seed: int = 7) -> SeedSummary:
    """Replace the raw rows of [start, end] in the DuckDB file at ``path``.

    Each season is generated whole from (seed, season) and cut to the range, so a
    day's rows are the same whichever range includes it (a season is skipped when
    the range ends before its opener); re-seeding a range leaves one copy, and
    seeding another range adds to the file.
    """
    validate_range(start, end, seed)
    began = time.perf_counter()
    seasons = [
        season
        for season in range(season_of(start), season_of(end) + 1)
        if start <= date(season + 1, 6, 30) and end >= season_calendar(season).opener
    ]
    connection = writer.connect(path)
    try:
        counts = writer.replace_range(
            connection, start, end, (season_tables(seed, s, start, end) for s in seasons)
        )
        connection.execute("CHECKPOINT")
    finally:
        connection.close()
    summary = SeedSummary(
        path=path,
        start=start,
        end=end,
        seed=seed,
        days=(end - start).days + 1,
        games=counts.games,
        gamebook_rows=counts.gamebook_rows,
        play_by_play_events=counts.play_by_play_events,
        seconds=time.perf_counter() - began,
        file_bytes=path.stat().st_size,
    )
    logger.info("seeded %s", summary)
    return summary
