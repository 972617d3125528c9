"""What a job's checkpoints say about a range, for a person (calendar) or a program (JSON).

Plain status reads the files only: it never takes a run lock, so it works while a run is
going. Every checkpoint of the job is read and the latest outcome per day wins, so any
range can be asked about. With ``--verify`` the warehouse is read too (read-only): stale
days, with their reasons, and days recorded done whose rows are gone become states of
their own.
"""

from __future__ import annotations

import calendar
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from shared.backfill.checkpoint import DayRecord
from shared.backfill.ledger import Ledger
from shared.backfill.planning import calendar_days
from shared.backfill.reporting import cost_lines, reconcile_lines, shown_list
from shared.backfill.results import DayStatus
from shared.backfill.staleness import Stale, Verdict
from shared.backfill.survey import Survey
from shared.paths import display_path
from shared.warehouse.base import JobCost

DONE, FAILED, SKIPPED, PENDING, HELD = "done", "failed", "skipped", "pending", "held"
UNVERIFIED, STALE, MISSING = "unverified", "stale", "missing"
# One cell per day: plain letters when piped, coloured on a terminal.
CELLS = {
    DONE: ("D", "\033[32m"),
    FAILED: ("F", "\033[31;1m"),
    HELD: ("H", "\033[31m"),
    SKIPPED: ("s", "\033[2m"),
    PENDING: (".", ""),
    UNVERIFIED: ("u", "\033[36m"),
    STALE: ("S", "\033[33;1m"),
    MISSING: ("M", "\033[35;1m"),
}
LEGEND = {
    DONE: "done",
    FAILED: "failed",
    HELD: "held (would shrink)",
    SKIPPED: "skipped (no work)",
    PENDING: "pending",
    UNVERIFIED: "written before lineage (unverified)",
    STALE: "stale",
    MISSING: "done but rows missing",
}
RESET = "\033[0m"
JSON_LISTS_ALL = "--json lists all"
WIDTH = 80
# Two columns a day keep a month in 70 columns (an 80-column pane); the ruler marks days 1, 5,
# 10 ... 30 over their cells: ``1       5         10``.
MONTH_INDENT = 9


def _ruler() -> str:
    ruler = [" "] * (MONTH_INDENT + 2 * 31)
    for day in (1, 5, 10, 15, 20, 25, 30):
        at = MONTH_INDENT + 2 * (day - 1)
        ruler[at : at + len(str(day))] = str(day)
    return "".join(ruler).rstrip()


DAY_RULER = _ruler()


def recorded_state(record: DayRecord | None) -> str:
    """A day's state from the journal alone (what plain status shows)."""
    if record is None:
        return PENDING
    if record.status is DayStatus.FAILED:
        return FAILED
    if record.status is DayStatus.HELD:
        return HELD
    return DONE if record.status is DayStatus.SUCCESS else SKIPPED


def verified_state(verdict: Verdict | None, stale: Stale | None, record: DayRecord | None) -> str:
    """A day's state from the warehouse (``--verify``): what its rows say, the journal only
    telling failed from pending."""
    if verdict is None:
        return SKIPPED
    if verdict is Verdict.CURRENT:
        return DONE
    if verdict is Verdict.UNVERIFIED:
        return UNVERIFIED
    if verdict is Verdict.STALE:
        if record is not None and record.status is DayStatus.HELD:
            return HELD
        return MISSING if stale is not None and stale.missing else STALE
    return FAILED if record is not None and record.status is DayStatus.FAILED else PENDING


@dataclass(frozen=True)
class RangeStatus:
    job: str
    start: date
    end: date
    states: dict[date, str]
    failed: dict[date, DayRecord]
    last_run: dict[str, Any] | None
    commands: dict[str, str]
    files: tuple[str, ...] = ()
    stale: dict[date, Stale] = field(default_factory=dict)
    # The latest record of each day of the range that has one.
    records: dict[date, DayRecord] = field(default_factory=dict)
    verified: bool = False
    # Checkpoints in the directory that belong to other warehouses (left out).
    other_warehouses: int = 0
    # --verify: units that fell between two phases (a final game without rows ...), by day.
    reconcile: dict[date, list[str]] = field(default_factory=dict)

    @classmethod
    def from_ledger(
        cls,
        ledger: Ledger,
        job: str,
        start: date,
        end: date,
        commands: dict[str, str],
        *,
        survey: Survey | None = None,
        reconcile: Mapping[date, Sequence[str]] | None = None,
        other_warehouses: int = 0,
    ) -> RangeStatus:
        """``survey`` (``--verify``): the warehouse's word on every day replaces the journal's."""
        days = calendar_days(start, end)
        if survey is None:
            states = {day: recorded_state(ledger.days.get(day)) for day in days}
            found: dict[date, Stale] = {}
        else:
            found = {day: why for day, why in survey.stale.items() if start <= day <= end}
            states = {
                day: verified_state(survey.verdicts.get(day), found.get(day), ledger.days.get(day))
                for day in days
            }
        return cls(
            job=job,
            start=start,
            end=end,
            states=states,
            failed={day: ledger.days[day] for day, state in states.items() if state == FAILED},
            last_run=ledger.last_run,
            commands=commands,
            files=tuple(display_path(path) for path in ledger.files),
            stale=found,
            records={day: ledger.days[day] for day in days if day in ledger.days},
            verified=survey is not None,
            reconcile={day: list(issues) for day, issues in (reconcile or {}).items()},
            other_warehouses=other_warehouses,
        )

    def counts(self) -> dict[str, int]:
        counted = Counter(self.states.values())
        return {state: counted[state] for state in CELLS} | {"total": len(self.states)}

    def to_json(self) -> dict[str, Any]:
        return {
            "job": self.job,
            "range": {"start": self.start.isoformat(), "end": self.end.isoformat()},
            "checkpoints": list(self.files),
            "checkpoints_of_other_warehouses": self.other_warehouses,
            "verified_against_warehouse": self.verified,
            "counts": self.counts(),
            "days": {day.isoformat(): state for day, state in self.states.items()},
            "failed": {
                day.isoformat(): {"error": rec.error, "attempts": rec.attempts}
                for day, rec in self.failed.items()
            },
            "stale": {day.isoformat(): list(why.reasons) for day, why in self.stale.items()},
            "reconcile": {day.isoformat(): issues for day, issues in self.reconcile.items()},
            "billed": _billed(self.records),
            "last_run": self.last_run,
            "commands": self.commands,
        }

    def render(self, colour: bool) -> str:
        counts = self.counts()
        shown = [state for state in CELLS if counts[state] or state in (DONE, FAILED, PENDING)]
        lines = [
            f"{self.job} {self.start}..{self.end}, {counts['total']} days:",
            *_packed([f"{counts[state]} {LEGEND[state]}" for state in shown], "  ", "  "),
            "checkpoints read"
            + ("" if self.verified else " (only them; --verify also reads the warehouse)")
            + (":" if self.files else ": none yet"),
            *shown_list([f"  {file}" for file in self.files], "  ", JSON_LISTS_ALL),
        ]
        if self.other_warehouses:
            lines.append(
                f"({self.other_warehouses} checkpoint(s) of other warehouses left out; "
                "pass --warehouse to see those)"
            )
        lines += ["", DAY_RULER]
        for year, month in sorted({(day.year, day.month) for day in self.states}):
            cells = []
            for number in range(1, calendar.monthrange(year, month)[1] + 1):
                state = self.states.get(date(year, month, number))
                if state is None:
                    cells.append("  ")
                    continue
                letter, code = CELLS[state]
                cells.append((f"{code}{letter}{RESET}" if colour and code else letter) + " ")
            lines.append(f"{year}-{month:02d}  " + "".join(cells).rstrip())
        lines.append("")
        lines += _packed(
            [f"{CELLS[state][0]} {LEGEND[state]}" for state in shown], "legend: ", "  "
        )
        if self.failed:
            lines += ["", f"failed days ({len(self.failed)}):"]
            lines += shown_list(
                [
                    f"  {day}: {rec.error} (attempts: {rec.attempts})"
                    for day, rec in sorted(self.failed.items())
                ],
                "  ",
                JSON_LISTS_ALL,
            )
        held = {day: self.records[day] for day, state in self.states.items() if state == HELD}
        if held:
            lines += ["", f"held days ({len(held)}), their rows kept; --allow-shrink writes them:"]
            lines += shown_list(
                [f"  {day}: {rec.error}" for day, rec in sorted(held.items())], "  ", JSON_LISTS_ALL
            )
        if self.stale:
            lines += ["", f"stale days ({len(self.stale)}):"]
            lines += shown_list(
                [f"  {day}: {why}" for day, why in sorted(self.stale.items())], "  ", JSON_LISTS_ALL
            )
        found = reconcile_lines(self.reconcile, JSON_LISTS_ALL)
        if found:
            lines += ["", *found]
        costs = [record.cost for record in self.records.values() if record.cost is not None]
        if costs:
            lines += ["", *cost_lines(costs, indent="")]
        if self.last_run:
            lines += ["", *_run_lines(self.last_run)]
        lines.append("")
        if counts[PENDING] or counts[FAILED]:
            lines.append(f"resume:       {self.commands['resume']}")
        if counts[FAILED]:
            lines.append(f"retry failed: {self.commands['retry_failed']}")
        if counts[STALE] or counts[MISSING]:
            lines.append(f"rerun stale:  {self.commands['stale']}")
        return "\n".join(lines).rstrip() + "\n"


def _billed(records: Mapping[date, DayRecord]) -> dict[str, int] | None:
    costs = [record.cost for record in records.values() if record.cost is not None]
    if not costs:
        return None
    total = sum(costs, JobCost())
    return {
        "bytes_billed": total.bytes_billed,
        "bytes_processed": total.bytes_processed,
        "slot_ms": total.slot_ms,
    }


def _packed(items: Sequence[str], first: str, indent: str) -> list[str]:
    """Items joined by commas into lines of at most ``WIDTH`` (an item never broken)."""
    lines = [first]
    for item in items:
        start = lines[-1] in (first, indent)
        if not start and len(lines[-1]) + 2 + len(item) > WIDTH:
            lines[-1] += ","
            lines.append(indent)
            start = True
        lines[-1] += item if start else f", {item}"
    return lines


def _run_lines(run: dict[str, Any]) -> list[str]:
    when = f"last run: {run.get('started_at')} .. {run.get('finished_at')}"
    if run.get("days_planned") == 0 and run.get("outcome") == "complete":
        return [f"{when}, nothing to do", "  it ran no day: every day asked for was done"]
    processed = run.get("days_processed", 0)
    elapsed = run.get("elapsed_s", 0)
    processed = processed if isinstance(processed, int) else 0
    elapsed = elapsed if isinstance(elapsed, int | float) else 0
    rate = f" ({processed / elapsed * 3600:,.0f} days/hour)" if elapsed >= 1 and processed else ""
    return [
        f"{when}, {run.get('outcome')}",
        f"  {processed} day(s) in {elapsed:.1f}s{rate}, {run.get('mode')} x{run.get('workers')}",
    ]
