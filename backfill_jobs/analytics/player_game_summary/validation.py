"""Checks a finished backfill against the bands the plan expects, as a typed report.

Two kinds of check:
- Population bands (NULL-minutes share, has-data share, shot-zone coverage; total rows) come
  from the plan for its range 2021-10-01..2024-05-01. They describe a population, so they are
  judged only over at least ``POPULATION_MIN_GAME_DAYS`` game days (about a month of a
  season); below that they are shown as INFO. One day of late play-by-play legitimately
  holds 60% coverage, and a rerun of it must not fail. The total-rows band is judged only
  on the plan's own range.
- Structural checks (every final-game day written, no duplicate key, zones adding up to FGA)
  hold for any range, even one day, and are always judged; with nothing to measure
  (no player-game with play-by-play) there is nothing to contradict them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from shared.warehouse.base import Row, Warehouse
from shared.warehouse.sql import load_sql_dir

_SQL = load_sql_dir(Path(__file__).parent / "sql")

# Bands from the plan (../seed/) for its range, 2021-10-01..2024-05-01 (about three seasons).
PLAN_START = date(2021, 10, 1)
PLAN_END = date(2024, 5, 1)
DEFAULT_TOTAL_ROWS_BAND = (120_000, 150_000)
NULL_MINUTES_PCT_BAND = (35.0, 45.0)
HAS_DATA_PCT_BAND = (55.0, 65.0)
MIN_ZONE_COVERAGE_PCT = 90.0
MIN_ZONES_MATCH_FGA_PCT = 99.0
# Game days a range needs before its population shares are judged: a day or two of games (or
# of late play-by-play) can sit outside a band that the season as a whole keeps.
POPULATION_MIN_GAME_DAYS = 30


@dataclass(frozen=True)
class Check:
    """One measured figure and its verdict; ``passed`` is None when shown without judging."""

    name: str
    value: float | None
    expected: str
    passed: bool | None
    unit: str = ""
    detail: str = ""


@dataclass(frozen=True)
class ValidationReport:
    start: date
    end: date
    checks: tuple[Check, ...]

    @property
    def passed(self) -> bool:
        return all(check.passed is not False for check in self.checks)

    @property
    def failed(self) -> list[Check]:
        return [check for check in self.checks if check.passed is False]

    def check(self, name: str) -> Check:
        return next(check for check in self.checks if check.name == name)


def validate(
    warehouse: Warehouse,
    start: date,
    end: date,
    *,
    total_rows_band: tuple[int, int] | None = DEFAULT_TOTAL_ROWS_BAND,
    min_game_days: int = POPULATION_MIN_GAME_DAYS,
) -> ValidationReport:
    """Run every check over [start, end].

    ``total_rows_band`` only makes sense for the default range; pass None to show the total
    without judging it. Population shares are judged from ``min_game_days`` game days on.
    """
    params = {"start_date": start, "end_date": end}

    def run(name: str) -> list[Row]:
        return warehouse.query(_SQL[name], params)

    counts = _counts(run("validation_row_counts")[0])
    zones = _counts(run("validation_zone_totals")[0])
    total = counts["total_rows"]
    with_minutes = counts["rows_with_minutes"]
    game_days = counts["game_days"]
    judged = game_days >= min_game_days
    population = (
        _total_rows(total, total_rows_band),
        _pct_check(
            "NULL minutes",
            _pct(counts["null_minutes_rows"], total),
            NULL_MINUTES_PCT_BAND,
        ),
        _pct_check("rows with minutes", _pct(with_minutes, total), HAS_DATA_PCT_BAND),
        _min_pct_check(
            "shot-zone coverage (rows with minutes)",
            _pct(counts["rows_with_zones"], with_minutes),
            MIN_ZONE_COVERAGE_PCT,
            strict=True,
        ),
    )
    if not judged:
        note = f"shown, not judged: {game_days} game day(s), bands need {min_game_days}"
        population = tuple(
            replace(check, passed=None, detail=check.detail or note) for check in population
        )
    checks = (
        *population,
        _listing_check(
            "final-game days without rows",
            run("validation_missing_days"),
            "missing_days",
            lambda row: row["game_date"].isoformat(),
        ),
        _listing_check(
            "duplicate (game_id, player_lookup)",
            run("validation_duplicates"),
            "duplicate_keys",
            lambda row: f"{row['game_id']}/{row['player_lookup']} x{row['copies']}",
        ),
        _structural_pct_check(
            "zone attempts = FGA (player-games with pbp)",
            _pct(zones["zones_match_fga"], zones["player_games_with_zones"]),
            MIN_ZONES_MATCH_FGA_PCT,
        ),
    )
    return ValidationReport(start=start, end=end, checks=checks)


def validate_and_render(warehouse: Warehouse, start: date, end: date) -> tuple[str, bool]:
    """The CLI's entry: the table and the verdict; the total is judged on the plan's range only."""
    band = DEFAULT_TOTAL_ROWS_BAND if (start, end) == (PLAN_START, PLAN_END) else None
    report = validate(warehouse, start, end, total_rows_band=band)
    return render(report), report.passed


def render(report: ValidationReport) -> str:
    """An aligned text table, one line per check, and a verdict line."""
    header = ("CHECK", "VALUE", "EXPECTED", "RESULT", "DETAIL")
    lines = [
        (check.name, _format_value(check), check.expected, _verdict(check), check.detail)
        for check in report.checks
    ]
    widths = [max(len(row[i]) for row in [header, *lines]) for i in range(len(header) - 1)]

    def line(row: tuple[str, str, str, str, str]) -> str:
        name, value, expected, verdict, detail = row
        text = (
            f"{name:<{widths[0]}}  {value:>{widths[1]}}  "
            f"{expected:<{widths[2]}}  {verdict:<{widths[3]}}  {detail}"
        )
        return text.rstrip()

    failed = len(report.failed)
    summary = (
        f"PASS: all {len(report.checks)} checks passed"
        if report.passed
        else f"FAIL: {failed} of {len(report.checks)} checks failed"
    )
    title = f"player_game_summary validation, {report.start}..{report.end}"
    return "\n".join([title, line(header), *(line(row) for row in lines), summary])


def _total_rows(total: int, band: tuple[int, int] | None) -> Check:
    if band is None:
        return Check("total records", total, "not judged for this range", None)
    low, high = band
    return Check("total records", total, f"{low:,}-{high:,}", low <= total <= high)


def _pct_check(name: str, value: float | None, band: tuple[float, float]) -> Check:
    low, high = band
    passed = value is not None and low <= value <= high
    return Check(name, value, f"{low:g}-{high:g}%", passed, unit="%", detail=_no_rows(value))


def _min_pct_check(name: str, value: float | None, bound: float, *, strict: bool) -> Check:
    passed = value is not None and (value > bound if strict else value >= bound)
    expected = f"{'>' if strict else '>='} {bound:g}%"
    return Check(name, value, expected, passed, unit="%", detail=_no_rows(value))


def _structural_pct_check(name: str, value: float | None, bound: float) -> Check:
    """A share that must reach ``bound`` wherever there is something to measure."""
    if value is None:
        return Check(name, None, f">= {bound:g}%", None, unit="%", detail="nothing to measure")
    return _min_pct_check(name, value, bound, strict=False)


def _listing_check(
    name: str, rows: list[Row], count_column: str, describe: Callable[[Row], str]
) -> Check:
    """A count that must be zero, with the first offenders as detail."""
    count = int(rows[0][count_column]) if rows else 0
    detail = ""
    if rows:
        more = ", ..." if count > len(rows) else ""
        detail = ", ".join(describe(row) for row in rows) + more
    return Check(name, count, "0", count == 0, detail=detail)


def _counts(row: Row) -> dict[str, int]:
    """Counts as ints; DuckDB's COUNT_IF gives NULL over no rows where BigQuery gives 0."""
    return {name: int(value or 0) for name, value in row.items()}


def _pct(part: int, whole: int) -> float | None:
    return 100.0 * part / whole if whole else None


def _no_rows(value: float | None) -> str:
    return "no rows to measure" if value is None else ""


def _format_value(check: Check) -> str:
    if check.value is None:
        return "n/a"
    if check.unit == "%":
        return f"{check.value:.1f}%"
    return f"{check.value:,.0f}"


def _verdict(check: Check) -> str:
    return {True: "PASS", False: "FAIL", None: "INFO"}[check.passed]
