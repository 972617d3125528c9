"""What a checkpoint says about a range, for a person (calendar) or a program (JSON).

Reads the file only: it never takes the run lock, so it works while a run is going.
"""

from __future__ import annotations

import calendar
from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any

from shared.backfill.checkpoint import CheckpointState
from shared.backfill.planning import calendar_days
from shared.backfill.results import DayStatus

PENDING = "pending"
# One cell per day: plain letters when piped, coloured on a terminal.
CELLS = {
    DayStatus.SUCCESS.value: ("D", "\033[32m"),
    DayStatus.FAILED.value: ("F", "\033[31;1m"),
    DayStatus.SKIPPED.value: ("s", "\033[2m"),
    PENDING: (".", ""),
}
RESET = "\033[0m"


@dataclass(frozen=True)
class RangeStatus:
    job: str
    start: date
    end: date
    states: dict[date, str]
    failed: dict[date, dict[str, Any]]
    last_run: dict[str, Any] | None
    resume_command: str
    retry_command: str

    @classmethod
    def from_state(
        cls, state: CheckpointState | None, job: str, start: date, end: date, command: str
    ) -> RangeStatus:
        days = state.days if state else {}
        states = {
            day: days.get(day.isoformat(), {}).get("status", PENDING)
            for day in calendar_days(start, end)
        }
        failed = {
            day: days[day.isoformat()] for day, s in states.items() if s == DayStatus.FAILED.value
        }
        flags = f"--start-date {start} --end-date {end}"
        return cls(
            job=job,
            start=start,
            end=end,
            states=states,
            failed=failed,
            last_run=state.runs[-1] if state and state.runs else None,
            resume_command=f"{command} {flags}",
            retry_command=f"{command} {flags} --retry-failed",
        )

    def counts(self) -> dict[str, int]:
        counted = Counter(self.states.values())
        return {
            "done": counted[DayStatus.SUCCESS.value],
            "failed": counted[DayStatus.FAILED.value],
            "skipped": counted[DayStatus.SKIPPED.value],
            "pending": counted[PENDING],
            "total": len(self.states),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "job": self.job,
            "range": {"start": self.start.isoformat(), "end": self.end.isoformat()},
            "counts": self.counts(),
            "days": {day.isoformat(): state for day, state in self.states.items()},
            "failed": {
                day.isoformat(): {"error": rec.get("error"), "attempts": rec.get("attempts")}
                for day, rec in self.failed.items()
            },
            "last_run": self.last_run,
            "commands": {"resume": self.resume_command, "retry_failed": self.retry_command},
        }

    def render(self, colour: bool) -> str:
        counts = self.counts()
        lines = [
            f"{self.job} {self.start}..{self.end}: {counts['done']} done, {counts['failed']} failed, "
            f"{counts['skipped']} skipped (no games), {counts['pending']} pending, of {counts['total']} days",
            "",
            "         " + "".join(f"{day:<3}" for day in range(1, 32)),
        ]
        months = sorted({(day.year, day.month) for day in self.states})
        for year, month in months:
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
        lines.append("legend: D done  F failed  s skipped (no final games)  . pending")
        if self.failed:
            lines.append("")
            lines.append(f"failed days ({len(self.failed)}):")
            lines.extend(
                f"  {day}: {rec.get('error')} (attempts: {rec.get('attempts')})"
                for day, rec in sorted(self.failed.items())
            )
        if self.last_run:
            run = self.last_run
            processed, elapsed = run.get("days_processed", 0), run.get("elapsed_s", 0) or 0
            rate = processed / elapsed * 3600 if elapsed else 0
            lines.append("")
            lines.append(
                f"last run: {run.get('started_at')} .. {run.get('finished_at')}, {run.get('outcome')}, "
                f"{processed} days in {elapsed:.0f}s ({rate:,.0f} days/hour), "
                f"{run.get('mode')} x{run.get('workers')}"
            )
        lines.append("")
        if counts["pending"] or counts["failed"]:
            lines.append(f"resume:       {self.resume_command}")
        if counts["failed"]:
            lines.append(f"retry failed: {self.retry_command}")
        return "\n".join(lines).rstrip() + "\n"
