"""``python -m shared.nba.ingest SOURCE [--warehouse PATH] [--replace] FILE_OR_DIR...``: load real files.

Exit codes: 0 everything loaded, 1 something was rejected (listed on stderr, one line
each), 2 usage error (bad flags, no files, a path not found, warehouse unopenable),
130 interrupted (the games written before are whole, the one in progress untouched).
"""

from __future__ import annotations

import sys

from shared.entry import check_interpreter, finish, interrupted_while_starting, signals_deferred

check_interpreter()
try:
    import argparse
    import logging
    from collections.abc import Sequence
    from pathlib import Path

    with signals_deferred():  # duckdb's native library: a signal inside its loading aborts
        from shared.nba.ingest.bigdataball import ingest_bigdataball
        from shared.nba.ingest.exports import EXPORT_TABLES, ingest_export
        from shared.nba.ingest.files import expand_paths
        from shared.nba.ingest.loader import RawWarehouse
        from shared.nba.ingest.records import IngestReport
        from shared.warehouse.duckdb_warehouse import raise_if_signalled
    from shared.errors import ConfigError
    from shared.warehouse.factory import default_target
except KeyboardInterrupt:
    interrupted_while_starting()

EXIT_OK, EXIT_REJECTED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130

_EXAMPLES = """\
examples:
  python -m shared.nba.ingest bigdataball --warehouse data/warehouse.duckdb ~/bigdataball/2023-24/
  python -m shared.nba.ingest gamebook gamebook-000.csv.gz gamebook-001.csv.gz
  python -m shared.nba.ingest schedule schedule.csv
"""


class _UsageError(ConfigError):
    """Raised by the parser instead of printing usage and exiting."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise _UsageError(f"{message} (see --help)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m shared.nba.ingest",
        description="Load BigDataBall play-by-play files or NBA.com table exports into the "
        "embedded warehouse; each game is replaced in one transaction.",
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "source",
        choices=["bigdataball", *EXPORT_TABLES],
        help="bigdataball: vendor play-by-play CSVs; gamebook/schedule: CSV exports of "
        "nba_raw.nbac_gamebook_player_stats / nba_raw.nbac_schedule",
    )
    parser.add_argument(
        "paths",
        nargs="*",
        type=Path,
        metavar="FILE_OR_DIR",
        help="CSV files (.csv or .csv.gz); a directory means every CSV inside, recursively",
    )
    parser.add_argument(
        "--warehouse",
        default=default_target(),
        help="DuckDB file, created if missing "
        "(default: $BACKFILL_WAREHOUSE or data/warehouse.duckdb)",
    )
    parser.add_argument(
        "--replace",
        action="store_true",
        help="let a file replace a loaded game that has more rows (refused otherwise: a file "
        "cut short would pass for the game)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log each game written")
    return parser


def run(
    source: str, warehouse_path: str, paths: Sequence[Path], *, replace: bool = False
) -> IngestReport:
    files = expand_paths(paths)
    with RawWarehouse(warehouse_path) as warehouse:
        if source == "bigdataball":
            return ingest_bigdataball(warehouse, files, replace=replace)
        return ingest_export(warehouse, EXPORT_TABLES[source], files, replace=replace)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_intermixed_args(argv)
        logging.basicConfig(format="%(levelname)s %(name)s: %(message)s")
        # On the package logger, so a handler configured before (by a caller) cannot flood.
        level = logging.INFO if args.verbose else logging.WARNING
        logging.getLogger("shared.nba.ingest").setLevel(level)
        try:
            report = run(args.source, args.warehouse, args.paths, replace=args.replace)
        except RuntimeError as exc:
            raise_if_signalled(exc)
            raise
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(
            "interrupted: each game is written whole or not at all; run the command again",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    for problem in report.problems:
        print(problem, file=sys.stderr)
    print(f"{args.source}: {report.summary()}")
    return EXIT_OK if report.ok else EXIT_REJECTED


if __name__ == "__main__":
    sys.exit(finish(main))
