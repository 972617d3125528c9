"""Validation results as typed values, and the aligned table every job prints for them.

A job measures its own figures; this module only says how a check is judged and shown, so two
jobs' validation tables read the same.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from shared.warehouse.base import Row


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
    job: str
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

    judged = sum(check.passed is not None for check in report.checks)
    shown = len(report.checks) - judged
    checks = f"{judged} checks" if not shown else f"{judged} judged checks"
    summary = (
        f"PASS: all {checks} passed"
        if report.passed
        else f"FAIL: {len(report.failed)} of {checks} failed"
    )
    if shown:
        summary += f" ({shown} shown as INFO, not judged)"
    title = f"{report.job} validation, {report.start}..{report.end}"
    return "\n".join([title, line(header), *(line(row) for row in lines), summary])


def listing_check(
    name: str, rows: list[Row], count_column: str, describe: Callable[[Row], str]
) -> Check:
    """A count that must be zero, with the first offenders as detail."""
    count = int(rows[0][count_column]) if rows else 0
    detail = ""
    if rows:
        more = ", ..." if count > len(rows) else ""
        detail = ", ".join(describe(row) for row in rows) + more
    return Check(name, count, "0", count == 0, detail=detail)


def share_check(name: str, part: int, whole: int) -> Check:
    """A percentage shown without judging (it describes the data, it is not a defect)."""
    value = pct(part, whole)
    return Check(name, value, "shown", None, unit="%", detail=no_rows(value))


def int_counts(row: Row) -> dict[str, int]:
    """Counts as ints; DuckDB's COUNT_IF gives NULL over no rows where BigQuery gives 0."""
    return {name: int(value or 0) for name, value in row.items()}


def pct(part: int, whole: int) -> float | None:
    return 100.0 * part / whole if whole else None


def no_rows(value: float | None) -> str:
    return "no rows to measure" if value is None else ""


def _format_value(check: Check) -> str:
    if check.value is None:
        return "n/a"
    if check.unit == "%":
        return f"{check.value:.1f}%"
    return f"{check.value:,.0f}"


def _verdict(check: Check) -> str:
    return {True: "PASS", False: "FAIL", None: "INFO"}[check.passed]
