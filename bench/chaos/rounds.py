"""Kill rounds and signal rounds: strike a parallel run at a random moment, resume it to the
end, and compare the table with the clean sequential run.

A round starts from the raw tables only. Each run picks K (game days per statement) from
{1, 7, 60} and runs 15 workers with a small simulated round trip per statement, so days
finish out of order and checkpoint writes are coalesced, as in production. A strike lands
after a random number of logged day outcomes or after a random delay from the start (which
covers start-up and validation too); a kill round strikes one to three times (one or two in
the quick campaign) before the run that finishes.
"""

from __future__ import annotations

import random
import signal
from collections import Counter
from dataclasses import dataclass, field

from bench.chaos.process import Cli, Observed
from bench.chaos.workspace import Comparison, Sandbox, Workspace

BATCH_DAYS = (1, 7, 60)
WORKERS = 15
LATENCY_S = 0.05
SIGNALS = (signal.SIGTERM, signal.SIGINT)
EXIT_INTERRUPTED = 130
# How much of a failing run's stderr the report shows.
STDERR_LINES = 40
# The interpreter starts in 20-50 ms here (`.venv/bin/python -c pass`), a few times that
# under the campaign's own load, before it runs the script's first line: no program can
# handle a signal before then, so signals are sent from this moment on. kill -9 from 0 s.
SIGNAL_FLOOR_S = 0.2


@dataclass(frozen=True)
class Moment:
    """When to strike: after ``days`` logged day outcomes, or ``delay_s`` after the start."""

    days: int | None = None
    delay_s: float | None = None

    @classmethod
    def random(cls, rng: random.Random, days: int, run_s: float, floor_s: float = 0.0) -> Moment:
        if rng.random() < 0.5:
            return cls(days=rng.randint(1, max(1, days - 1)))
        return cls(delay_s=rng.uniform(floor_s, max(floor_s, run_s)))

    def __str__(self) -> str:
        if self.days is not None:
            return f"after {self.days} day(s) logged"
        return f"{self.delay_s:.2f} s after the start"

    def wait(self, cli: Cli) -> None:
        if self.days is not None:
            days = self.days
            cli.wait_until(lambda: cli.day_lines() >= days)
        else:
            assert self.delay_s is not None
            cli.wait_until(lambda: False, timeout=self.delay_s)


@dataclass
class RoundResult:
    """One round's figures and, for every run that went wrong, what it did."""

    name: str
    runs: int = 0
    kills: int = 0
    signals: Counter[str] = field(default_factory=Counter)
    comparison: Comparison | None = None
    tracebacks: list[str] = field(default_factory=list)
    wrong_exits: list[str] = field(default_factory=list)
    leftovers: list[str] = field(default_factory=list)
    # The stderr of each run that went wrong (its last lines), to read in the report.
    stderr: list[str] = field(default_factory=list)

    @property
    def table_ok(self) -> bool:
        compared = self.comparison
        return (
            compared is not None
            and compared.equal
            and not (compared.rows_lost or compared.duplicates or compared.extra)
        )

    @property
    def ok(self) -> bool:
        return self.table_ok and not (self.tracebacks or self.wrong_exits or self.leftovers)

    def problems(self) -> list[str]:
        found = [f"traceback: {text}" for text in self.tracebacks]
        found += [f"wrong exit: {text}" for text in self.wrong_exits]
        found += [f"left over: {text}" for text in self.leftovers]
        if not self.table_ok:
            seen = self.comparison.describe() if self.comparison else "not compared"
            found.append(f"table: {seen}")
        return found


def run_flags(box: Sandbox, batch_days: int) -> list[str]:
    return [
        *box.flags(),
        "--parallel",
        "--workers",
        str(WORKERS),
        "--batch-days",
        str(batch_days),
    ]


def clean_round(workspace: Workspace, batch_days: int) -> tuple[float, RoundResult]:
    """An uninterrupted parallel run with this K: its wall time is the window random delays
    are drawn from, and its table must already equal the sequential one."""
    box = workspace.sandbox(f"clean-k{batch_days}", written=False)
    result = RoundResult(f"clean run K={batch_days}")
    observed = Cli(run_flags(box, batch_days), box.root, latency=LATENCY_S).wait()
    note(result, observed, {0}, f"K={batch_days}")
    result.comparison = workspace.reference.compare(box.warehouse)
    return observed.wall_s, result


def kill_round(
    workspace: Workspace, number: int, seed: int, walls: dict[int, float], max_kills: int
) -> RoundResult:
    """``kill -9`` one to ``max_kills`` times at random moments, then resume to the end."""
    rng = random.Random(seed)
    box = workspace.sandbox(f"kill-{number}", written=False)
    result = RoundResult(f"kill round {number}")
    for _ in range(rng.randint(1, max_kills)):
        batch_days = rng.choice(BATCH_DAYS)
        cli = Cli(run_flags(box, batch_days), box.root, latency=LATENCY_S)
        moment = Moment.random(rng, box.span.days, walls[batch_days])
        moment.wait(cli)
        killed = cli.send(signal.SIGKILL)
        result.kills += killed
        strike = f"K={batch_days}, kill -9 {moment}"
        note(result, cli.wait(), {-signal.SIGKILL} if killed else {0}, strike)
    finish(result, workspace, box, rng)
    return result


def signal_round(
    workspace: Workspace, number: int, seed: int, walls: dict[int, float]
) -> RoundResult:
    """SIGTERM or SIGINT at a random moment (exit 130, or 0 if the run had already said all
    it had to), then resume to the end."""
    rng = random.Random(seed)
    box = workspace.sandbox(f"signal-{number}", written=False)
    result = RoundResult(f"signal round {number}")
    batch_days = rng.choice(BATCH_DAYS)
    sig = rng.choice(SIGNALS)
    cli = Cli(run_flags(box, batch_days), box.root, latency=LATENCY_S)
    moment = Moment.random(rng, box.span.days, walls[batch_days], SIGNAL_FLOOR_S)
    moment.wait(cli)
    # Under load the interpreter can take longer than the floor to reach the script's first
    # line, where it takes SIGTERM: before that, no program can answer a signal.
    cli.wait_until(lambda: cli.catches(signal.SIGTERM))
    strike = f"K={batch_days}, {sig.name} {moment}"
    said = cli.stderr()
    if cli.send(sig):
        result.signals[sig.name] += 1
        observed = cli.wait()
        # Exit 0 is right only for a signal that landed after the run's last line.
        finished = observed.stderr == said
        note(result, observed, {EXIT_INTERRUPTED, 0} if finished else {EXIT_INTERRUPTED}, strike)
        if observed.code == EXIT_INTERRUPTED and "interrupt" not in observed.stderr.lower():
            result.wrong_exits.append(f"{strike}: exit 130 without saying it was interrupted")
    else:
        note(result, cli.wait(), {0}, strike)
    finish(result, workspace, box, rng)
    return result


def note(result: RoundResult, observed: Observed, expected: set[int], run: str) -> None:
    """Count a run; ``run`` says which (its K and the strike, if any) in what went wrong."""
    result.runs += 1
    if observed.traceback:
        result.tracebacks.append(f"{run}: {observed.describe()}")
    if observed.code not in expected:
        result.wrong_exits.append(f"{run}: wanted {sorted(expected)}, {observed.describe()}")
    if observed.traceback or observed.code not in expected:
        result.stderr.append(f"{run}:\n{tail(observed.stderr)}")


def tail(text: str, lines: int = STDERR_LINES) -> str:
    """The last ``lines`` lines of a run's stderr, indented (a traceback ends there)."""
    kept = text.rstrip().splitlines()[-lines:]
    return "\n".join(f"      | {line}" for line in kept)


def finish(result: RoundResult, workspace: Workspace, box: Sandbox, rng: random.Random) -> None:
    """Resume without interruption; it must succeed, leave no temp file, record every day
    and leave the reference table."""
    batch_days = rng.choice(BATCH_DAYS)
    resumed = Cli(run_flags(box, batch_days), box.root, latency=LATENCY_S).wait()
    note(result, resumed, {0}, f"K={batch_days}, resumed to the end")
    result.leftovers += sorted(path.name for path in box.checkpoints.glob("*.tmp"))
    days = box.checkpoint_days()
    undone = [
        day
        for day, record in days.items()
        if not isinstance(record, dict) or record.get("status") not in {"success", "skipped"}
    ]
    if len(days) != box.span.days or undone:
        result.leftovers.append(
            f"checkpoint records {len(days) - len(undone)} of {box.span.days} days done"
        )
    result.comparison = workspace.reference.compare(box.warehouse)
