"""CLI: ``python -m shared.nba.sample_data --warehouse PATH --start-date D --end-date D --seed N``.

Prints one summary line; bad input is one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import NoReturn

from shared.errors import BackfillError, ConfigError
from shared.nba.sample_data.seed import SeedSummary, seed_warehouse

DEFAULT_WAREHOUSE = "data/warehouse.duckdb"
WAREHOUSE_ENV = "BACKFILL_WAREHOUSE"
# The production backfill's range: three seasons with playoffs (944 days).
DEFAULT_START = date(2021, 10, 1)
DEFAULT_END = date(2024, 5, 1)
DEFAULT_SEED = 7
EXIT_BAD_INPUT = 2


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of printing usage, so errors stay one line."""

    def error(self, message: str) -> NoReturn:
        raise ConfigError(message)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m shared.nba.sample_data",
        description="Seed a DuckDB warehouse with deterministic raw NBA data.",
    )
    parser.add_argument(
        "--warehouse",
        default=os.environ.get(WAREHOUSE_ENV, DEFAULT_WAREHOUSE),
        help=f"DuckDB file (default: ${WAREHOUSE_ENV} or {DEFAULT_WAREHOUSE})",
    )
    parser.add_argument("--start-date", default=DEFAULT_START.isoformat(), help="YYYY-MM-DD")
    parser.add_argument("--end-date", default=DEFAULT_END.isoformat(), help="YYYY-MM-DD")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="non-negative integer")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    return parser


def _date(text: str, flag: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"{flag} must be a date YYYY-MM-DD, got {text!r}") from None


def summary_line(summary: SeedSummary) -> str:
    return (
        f"seeded {summary.path}: {summary.days:,} days ({summary.start}..{summary.end}), "
        f"{summary.games:,} games, {summary.gamebook_rows:,} gamebook rows, "
        f"{summary.play_by_play_events:,} play-by-play events in {summary.seconds:.1f} s; "
        f"file {summary.file_bytes / 2**20:.1f} MiB"
    )


def main(argv: Sequence[str] | None = None) -> int:
    debug = "--debug" in (sys.argv[1:] if argv is None else argv)
    try:
        args = _parser().parse_args(argv)
        start = _date(args.start_date, "--start-date")
        end = _date(args.end_date, "--end-date")
        summary = seed_warehouse(Path(args.warehouse), start, end, args.seed)
    except BackfillError as exc:
        if debug:
            raise
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(summary_line(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
