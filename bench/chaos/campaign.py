"""A whole campaign: clean runs, kill and signal rounds, every fault case; its figures.

Rounds and cases run a few at a time (``jobs``): most of their time is spent waiting on
simulated round trips or on a process to reach the moment of a strike.
"""

from __future__ import annotations

import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, replace
from typing import Any

from bench.chaos.faults import CASES, CaseResult
from bench.chaos.planning import TARGETS, planning_round
from bench.chaos.process import children_get_default_sigint
from bench.chaos.rounds import (
    BATCH_DAYS,
    LATENCY_S,
    WORKERS,
    RoundResult,
    clean_round,
    kill_round,
    signal_round,
)
from bench.chaos.workspace import Workspace
from bench.machine import Watch, load_line

# What ``--quick`` and ``make test`` run: a few kill rounds, one signal round, one planning
# round per target, every case.
QUICK_KILL_ROUNDS, QUICK_SIGNAL_ROUNDS, QUICK_MAX_KILLS = 3, 1, 2
QUICK_PLANNING_ROUNDS = len(TARGETS)
MAX_KILLS = 3


@dataclass(frozen=True, repr=False)
class Campaign:
    workspace: Workspace
    seed: int
    rounds: tuple[RoundResult, ...]
    cases: tuple[CaseResult, ...]
    wall_s: float
    # The machine while the campaign ran (``bench.machine.Watch.summary``).
    machine: dict[str, Any] | None = None

    def __repr__(self) -> str:
        return f"Campaign({self.workspace.span}, seed {self.seed}: {'PASS' if self.ok else 'FAIL'})"

    def _rounds(self, prefix: str) -> list[RoundResult]:
        return [r for r in self.rounds if r.name.startswith(prefix)]

    @property
    def rows_lost(self) -> int:
        return sum(r.comparison.rows_lost for r in self.rounds if r.comparison)

    @property
    def duplicates(self) -> int:
        return sum(r.comparison.duplicates for r in self.rounds if r.comparison)

    @property
    def tables_unequal(self) -> int:
        return sum(not r.table_ok for r in self.rounds)

    @property
    def tracebacks(self) -> int:
        in_cases = sum(bool(c.observed and c.observed.traceback) for c in self.cases)
        return sum(len(r.tracebacks) for r in self.rounds) + in_cases

    @property
    def wrong_exits(self) -> int:
        return sum(len(r.wrong_exits) for r in self.rounds)

    @property
    def leftovers(self) -> int:
        return sum(len(r.leftovers) for r in self.rounds)

    def count(self, status: str) -> int:
        return sum(c.status == status for c in self.cases)

    @property
    def ok(self) -> bool:
        figures = (self.rows_lost, self.duplicates, self.tables_unequal, self.tracebacks)
        rest = (self.wrong_exits, self.leftovers, self.count("FAIL"))
        return not any(figures) and not any(rest)

    def case(self, slug: str) -> CaseResult:
        return next(c for c in self.cases if c.case.slug == slug)

    def figures(self) -> list[tuple[str, str]]:
        kills, signals = self._rounds("kill"), self._rounds("signal")
        sent: Counter[str] = sum((r.signals for r in signals), Counter())
        planning = self._rounds("planning")
        aimed: Counter[str] = sum((r.signals for r in planning), Counter())
        return [
            ("kill rounds", f"{len(kills)}"),
            ("kill -9 delivered", f"{sum(r.kills for r in kills)}"),
            ("signal rounds", f"{len(signals)}"),
            ("SIGTERM / SIGINT delivered", f"{sent['SIGTERM']} / {sent['SIGINT']}"),
            ("planning rounds (both jobs, new table too)", f"{len(planning)}"),
            ("SIGTERM / SIGINT in planning", f"{aimed['SIGTERM']} / {aimed['SIGINT']}"),
            ("planning rounds without exit 130 in 10 s", f"{sum(not r.ok for r in planning)}"),
            ("clean parallel runs (K=1, 7, 60)", f"{len(self._rounds('clean'))}"),
            ("backfill runs in rounds", f"{sum(r.runs for r in self.rounds)}"),
            ("rows lost", f"{self.rows_lost}"),
            ("duplicate rows", f"{self.duplicates}"),
            ("tables unequal to the sequential run", f"{self.tables_unequal}"),
            ("tracebacks", f"{self.tracebacks}"),
            ("wrong exit codes in rounds", f"{self.wrong_exits}"),
            ("temp files or undone days left", f"{self.leftovers}"),
            (
                "fault cases checked / passed / failed / skipped",
                f"{len(self.cases)} / {self.count('PASS')} / {self.count('FAIL')} / "
                f"{self.count('SKIP')}",
            ),
        ]

    def render(self) -> str:
        reference_rows = self.workspace.reference.fingerprint[0]
        span = self.workspace.span
        lines = [
            f"CHAOS {span} ({span.days} days, {reference_rows:,} rows in the clean sequential "
            f"run); rounds: {WORKERS} workers, K in {{{', '.join(map(str, BATCH_DAYS))}}}, {LATENCY_S} s per "
            f"statement; seed {self.seed}; {self.wall_s:.0f} s",
        ]
        if self.machine is not None:
            lines.append(load_line(self.machine, judged=False))
        width = max(len(name) for name, _ in self.figures())
        lines += [f"  {name:<{width}}  {value:>12}" for name, value in self.figures()]
        troubled = [r for r in self.rounds if not r.ok]
        if troubled:
            lines.append("rounds with problems")
            for troubled_round in troubled:
                lines += [f"  {troubled_round.name}: {p}" for p in troubled_round.problems()]
                lines += [f"    stderr of {text}" for text in troubled_round.stderr]
        lines.append("fault cases")
        for result in sorted(self.cases, key=lambda c: ("FAIL", "SKIP", "PASS").index(c.status)):
            lines += [f"  {line}" for line in result.report()]
        lines.append("RESULT: " + ("PASS" if self.ok else "FAIL"))
        return "\n".join(lines)


def run_campaign(
    workspace: Workspace,
    *,
    kill_rounds: int,
    signal_rounds: int,
    seed: int,
    planning_rounds: int = 0,
    jobs: int,
    max_kills: int = MAX_KILLS,
    slugs: Sequence[str] | None = None,
    progress: Callable[[str], None] = lambda line: print(line, file=sys.stderr, flush=True),
) -> Campaign:
    """``slugs``: only these fault cases (all by default). The clean runs go first: their
    wall times are the windows the rounds draw random delays from."""
    children_get_default_sigint()
    progress(f"chaos seed {seed} (replay with --seed {seed})")
    with Watch() as machine:
        campaign = _run(
            workspace,
            kill_rounds,
            signal_rounds,
            planning_rounds,
            seed,
            jobs,
            max_kills,
            slugs,
            progress,
        )
    return replace(campaign, machine=machine.summary())


def _run(
    workspace: Workspace,
    kill_rounds: int,
    signal_rounds: int,
    planning_rounds: int,
    seed: int,
    jobs: int,
    max_kills: int,
    slugs: Sequence[str] | None,
    progress: Callable[[str], None],
) -> Campaign:
    started = time.monotonic()
    rng = random.Random(seed)
    cases = sorted((c for c in CASES if slugs is None or c.slug in slugs), key=lambda c: not c.slow)
    with ThreadPoolExecutor(jobs, thread_name_prefix="chaos") as pool:
        clean = {k: pool.submit(clean_round, workspace, k) for k in BATCH_DAYS}
        case_futures = [pool.submit(c.run, workspace) for c in cases]
        walls = {k: future.result()[0] for k, future in clean.items()}
        round_futures = [
            pool.submit(kill_round, workspace, n, rng.randrange(2**32), walls, max_kills)
            for n in range(1, kill_rounds + 1)
        ]
        round_futures += [
            pool.submit(signal_round, workspace, n, rng.randrange(2**32), walls)
            for n in range(1, signal_rounds + 1)
        ]
        round_futures += [
            pool.submit(planning_round, workspace, n, rng.randrange(2**32))
            for n in range(1, planning_rounds + 1)
        ]
        every: list[Future[Any]] = [*round_futures, *case_futures]
        for future in as_completed(every):
            outcome = future.result()
            if isinstance(outcome, RoundResult):
                progress(f"{outcome.name}: {'ok' if outcome.ok else 'PROBLEM'}")
            else:
                progress(f"{outcome.status} {outcome.case.title}")
        rounds = [*(f.result()[1] for f in clean.values()), *(f.result() for f in round_futures)]
        results = [f.result() for f in case_futures]
    return Campaign(workspace, seed, tuple(rounds), tuple(results), time.monotonic() - started)
