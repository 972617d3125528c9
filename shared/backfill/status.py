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
from shared.backfill.console import display_path
from shared.backfill.ledger import Ledger
from shared.backfill.planning import calendar_days
from shared.backfill.reporting import cost_lines, reconcile_lines
from shared.backfill.results import DayStatus
from shared.backfill.staleness import Stale, Verdict
from shared.backfill.survey import Survey
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
    unreadable: tuple[str, ...] = ()
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
            unreadable=ledger.unreadable,
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
            "unreadable_checkpoints": list(self.unreadable),
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
            f"{self.job} {self.start}..{self.end}: "
            + ", ".join(f"{counts[state]} {LEGEND[state]}" for state in shown)
            + f", of {counts['total']} days",
            f"checkpoints read: {', '.join(self.files) if self.files else 'none yet'}"
            + ("" if self.verified else " (checkpoints only; --verify also checks the warehouse)"),
        ]
        if self.other_warehouses:
            lines.append(
                f"({self.other_warehouses} checkpoint(s) of other warehouses left out; "
                "pass --warehouse to see those)"
            )
        lines.extend(f"skipped unreadable checkpoint: {problem}" for problem in self.unreadable)
        lines += ["", ("         " + "".join(f"{day:<3}" for day in range(1, 32))).rstrip()]
        for year, month in sorted({(day.year, day.month) for day in self.states}):
            cells = []
            for number in range(1, calendar.monthrange(year, month)[1] + 1):
                state = self.states.get(date(year, month, number))
                if state is None:
                    cells.append("   ")
                    continue
                letter, code = CELLS[state]
                cells.append((f"{code}{letter}{RESET}" if colour and code else letter) + "  ")
            lines.append(f"{year}-{month:02d}  " + "".join(cells).rstrip())
        lines.append("")
        lines.append(
            "legend: " + "  ".join(f"{CELLS[state][0]} {LEGEND[state]}" for state in shown)
        )
        if self.failed:
            lines += ["", f"failed days ({len(self.failed)}):"]
            lines.extend(
                f"  {day}: {rec.error} (attempts: {rec.attempts})"
                for day, rec in sorted(self.failed.items())
            )
        held = {day: self.records[day] for day, state in self.states.items() if state == HELD}
        if held:
            lines += ["", f"held days ({len(held)}), their rows kept; --allow-shrink writes them:"]
            lines.extend(f"  {day}: {rec.error}" for day, rec in sorted(held.items()))
        if self.stale:
            lines += ["", f"stale days ({len(self.stale)}):"]
            lines.extend(f"  {day}: {why}" for day, why in sorted(self.stale.items()))
        found = reconcile_lines(self.reconcile)
        if found:
            lines += ["", *found]
        costs = [record.cost for record in self.records.values() if record.cost is not None]
        if costs:
            lines += ["", *cost_lines(costs, indent="")]
        if self.last_run:
            lines += ["", _run_line(self.last_run)]
        lines.append("")
        if counts[PENDING] or counts[FAILED] or counts[STALE] or counts[MISSING] or counts[HELD]:
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


def _run_line(run: dict[str, Any]) -> str:
    processed = run.get("days_processed", 0)
    elapsed = run.get("elapsed_s", 0)
    processed = processed if isinstance(processed, int) else 0
    elapsed = elapsed if isinstance(elapsed, int | float) else 0
    rate = f" ({processed / elapsed * 3600:,.0f} days/hour)" if elapsed >= 1 and processed else ""
    return (
        f"last run: {run.get('started_at')} .. {run.get('finished_at')}, {run.get('outcome')}, "
        f"{processed} day(s) in {elapsed:.1f}s{rate}, {run.get('mode')} x{run.get('workers')}"
    )
