"""Progress reporters and the final summary, as text for a person reading tmux or a log."""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping, Sequence
from datetime import date, timedelta

from tqdm import tqdm

from shared.backfill.console import LOG_FILE_ONLY, PER_DAY, TERMINAL_ONLY
from shared.backfill.progress import ProgressSnapshot, ProgressTracker
from shared.backfill.results import DayResult, describe_shrinks
from shared.backfill.runner import RunOutcome
from shared.warehouse.base import JobCost
from shared.warehouse.pricing import estimate_cost_usd

logger = logging.getLogger(__name__)

RULE = "=" * 80
PROGRESS_EVERY_DAYS = 10
# Lines of a list (days, reasons) shown on a terminal; the rest go to the log file (a run) or
# --json (status). Rerunning 2 summary days stales 122 feature days: 122 lines hide the summary.
LIST_LIMIT = 10


class LogFileOnly(str):
    """A line of a long list past its first ``LIST_LIMIT``: logged to the log file only."""


class TerminalOnly(str):
    """The "and N more" line closing a cut list: shown on the terminal only."""


def cut_list(lines: Sequence[str], indent: str, where: str = "all in the log file") -> list[str]:
    """The first ``LIST_LIMIT`` lines, then the rest marked for the log file and one line
    saying how many more there are (``where``: where to find them)."""
    if len(lines) <= LIST_LIMIT:
        return list(lines)
    rest = len(lines) - LIST_LIMIT
    return [
        *lines[:LIST_LIMIT],
        *(LogFileOnly(line) for line in lines[LIST_LIMIT:]),
        TerminalOnly(f"{indent}and {rest} more ({where})"),
    ]


def shown_list(lines: Sequence[str], indent: str, where: str) -> list[str]:
    """What a terminal shows of a list (status, which keeps no log): the first lines and
    "and N more (where)"."""
    return [line for line in cut_list(lines, indent, where) if not isinstance(line, LogFileOnly)]


def emit(log: logging.Logger, lines: Sequence[str], **extra: object) -> None:
    """Log each line at INFO, routing the lines ``cut_list`` marked."""
    for line in lines:
        marks = (
            LOG_FILE_ONLY
            if isinstance(line, LogFileOnly)
            else TERMINAL_ONLY
            if isinstance(line, TerminalOnly)
            else {}
        )
        log.info("%s", line, extra={**extra, **marks})


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "unknown"
    return str(timedelta(seconds=round(seconds)))


def format_bytes(value: int) -> str:
    """Bytes in binary units: 1536 -> '1.5 KiB'."""
    size = float(value)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024:
            return f"{size:,.1f} {unit}"
        size /= 1024
    return f"{size:,.1f} TiB"


def cost_lines(costs: Sequence[JobCost], indent: str = "  ") -> list[str]:
    """What the warehouse billed, where it bills (BigQuery); nothing on DuckDB. Bytes processed
    are what a dry run estimates; billed adds BigQuery's 10 MB minimum per table read."""
    if not costs:
        return []
    total = sum(costs, JobCost())
    return [
        f"{indent}Billed: {format_bytes(total.bytes_billed)} "
        f"(${estimate_cost_usd(total.bytes_billed):.2f} on demand), "
        f"{format_bytes(total.bytes_processed)} processed (the dry run's estimate), "
        f"{total.slot_ms / 3_600_000:,.2f} slot hours"
    ]


def progress_block(snapshot: ProgressSnapshot) -> list[str]:
    pct = snapshot.processed / snapshot.total * 100 if snapshot.total else 100.0
    return [
        RULE,
        f"PROGRESS: {snapshot.processed}/{snapshot.total} days ({pct:.1f}%)",
        f"  Success: {snapshot.successful} ({snapshot.success_rate:.1f}%)",
        f"  Failed: {snapshot.failed}",
        f"  Skipped: {snapshot.skipped}",
        f"  Records: {snapshot.records:,} (avg {snapshot.avg_records:.0f}/day)",
        f"  Rate: {_rate(snapshot.processed, snapshot.elapsed_s)}",
        f"  ETA: {format_duration(snapshot.eta_s)}",
        RULE,
    ]


class LogReporter:
    """A PROGRESS block in the log every ``every`` days, as in the original plan."""

    def __init__(self, every: int = PROGRESS_EVERY_DAYS) -> None:
        self._every = every
        self._last_block = 0

    def update(self, results: Sequence[DayResult], snapshot: ProgressSnapshot) -> None:
        if snapshot.processed // self._every > self._last_block // self._every:
            self._last_block = snapshot.processed
            for line in progress_block(snapshot):
                logger.info(line, extra=PER_DAY)

    def close(self, snapshot: ProgressSnapshot) -> None:
        return None


class TqdmReporter:
    """A live bar on a terminal, the ETA (counting the days in flight) first after the counts,
    so it stays visible at 80 columns: ``37%|███▋      | 350/944 [01:02, ETA 0:01:46, 2 failed]``.
    """

    BAR_FORMAT = "{percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} [{elapsed}{postfix}]"

    def __init__(self, total: int, initial: int = 0) -> None:
        # tqdm's own remaining-time guess counts finished days only; ours counts the days in
        # flight too, so the bar shows ours alone.
        self._bar = tqdm(
            total=total,
            initial=initial,
            unit="day",
            dynamic_ncols=True,
            file=sys.stderr,
            bar_format=self.BAR_FORMAT,
        )

    def update(self, results: Sequence[DayResult], snapshot: ProgressSnapshot) -> None:
        self._bar.update(len(results))
        failed = f", {snapshot.failed} failed" if snapshot.failed else ""
        self._bar.set_postfix_str(f"ETA {format_duration(snapshot.eta_s)}{failed}", refresh=True)

    def close(self, snapshot: ProgressSnapshot) -> None:
        self._bar.close()


class Reporters:
    def __init__(self, *reporters: LogReporter | TqdmReporter) -> None:
        self._reporters = reporters

    def update(self, results: Sequence[DayResult], snapshot: ProgressSnapshot) -> None:
        for reporter in self._reporters:
            reporter.update(results, snapshot)

    def close(self, snapshot: ProgressSnapshot) -> None:
        for reporter in self._reporters:
            reporter.close(snapshot)


def _rate(days: int, seconds: float) -> str:
    """Days per hour, only over a span long enough to mean something."""
    if seconds < 1.0:
        return "n/a (under a second)"
    return f"{days / seconds * 3600:,.0f} days/hour"


def summary_lines(outcome: RunOutcome, tracker: ProgressTracker, planned: int) -> list[str]:
    snapshot = tracker.snapshot()
    title = "BACKFILL INTERRUPTED" if outcome.interrupted else "BACKFILL COMPLETE"
    if outcome.halt_reason:
        title = "BACKFILL STOPPED EARLY"
    success = (
        f"{(snapshot.successful + snapshot.skipped) / snapshot.processed * 100:.1f}% of the days run"
        if snapshot.processed
        else "n/a (no day finished)"
    )
    elapsed = max(outcome.elapsed_s, snapshot.elapsed_s)
    lines = [
        RULE,
        title,
        RULE,
        f"  Total days: {planned}",
        f"  Successful: {snapshot.successful}",
        f"  Skipped (no work): {snapshot.skipped}",
        f"  Failed: {snapshot.failed}",
        *([f"  Held (would shrink the table): {snapshot.held}"] if snapshot.held else []),
        f"  Not run: {planned - snapshot.processed}",
        f"  Success rate: {success}",
        f"  Total records: {snapshot.records:,}",
        f"  Avg records/day: {snapshot.avg_records:.0f}",
        f"  Elapsed: {format_duration(elapsed)}",
        f"  Rate: {_rate(snapshot.processed, elapsed)}",
    ]
    percentiles = tracker.duration_percentiles()
    if percentiles:
        lines.append(f"  Day duration: p50 {percentiles[0]:.2f}s, p95 {percentiles[1]:.2f}s")
        slowest = ", ".join(f"{day} ({seconds:.2f}s)" for seconds, day in tracker.slowest(3))
        lines.append(f"  Slowest days: {slowest}")
    lines.extend(cost_lines([r.cost for r in outcome.results if r.cost is not None]))
    if outcome.halt_reason:
        lines.append(f"  Stopped: {outcome.halt_reason}")
    failed = outcome.failed
    if failed:
        lines.append(f"  Failed dates ({len(failed)}):")
        lines += cut_list(
            [f"    {r.day}: {r.error} (attempts: {r.attempts})" for r in failed], "    "
        )
    held = outcome.held
    if held:
        lines.append(f"  Held dates ({len(held)}), their rows kept as they were:")
        lines += cut_list([f"    {r.day}: {r.error}" for r in held], "    ")
    accepted = [r for r in outcome.results if r.accepted]
    if accepted:
        lines.append(f"  Shrinks accepted (--allow-shrink) ({len(accepted)}):")
        lines += cut_list(
            [f"    {r.day}: {describe_shrinks(r.accepted)}" for r in accepted], "    "
        )
    return lines


def reconcile_lines(found: Mapping[date, Sequence[str]], where: str) -> list[str]:
    """Units that fell between two phases, a line each (the first ``LIST_LIMIT``, then how
    many more and ``where`` they all are)."""
    issues = [
        f"  {day}: {issue}" for day, day_issues in sorted(found.items()) for issue in day_issues
    ]
    if not issues:
        return []
    return [f"to look at ({len(issues)}):", *shown_list(issues, "  ", where)]
