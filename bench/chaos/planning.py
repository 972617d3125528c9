"""Planning rounds: SIGINT or SIGTERM while a run's planning queries run (preparing the table,
surveying the range), on both jobs, on a freshly created table and on one with rows.

The strike waits for the moment the queries start (the "creating ..." line for a new table;
for one with rows, which logs nothing before it has planned, the warehouse file held open)
and lands within two round trips of it, while several more are to come; the round checks
the run never got to say "Running", so the signal did land in planning. Every run must end 130 within 10 s, say it was interrupted, trace nothing and
record no day; the summary job's rounds then resume to the end and must give the
reference table, the features job's leave the summary table as it was.
"""

from __future__ import annotations

import json
import os
import random
import time
from pathlib import Path

from bench.chaos.process import Cli
from bench.chaos.rounds import EXIT_INTERRUPTED, SIGNALS, RoundResult, finish, note
from bench.chaos.workspace import Sandbox, Workspace
from bench.runs import FEATURES_SCRIPT, SCRIPT

# Round trips added to every statement: the planning queries then take a few of them.
LATENCIES_S = (0.05, 0.2)
# Stopped, a run has this long to exit (issue 16: every interrupt within 10 s).
STOP_WITHIN_S = 10.0
# (job, table) in turn: each round number picks the next, so a few rounds cover them all.
TARGETS = (("summary", "new"), ("features", "new"), ("summary", "with rows"))
FEATURES_JOB = "player_shot_zone_analysis"
RUNNING = "Running "


def planning_round(workspace: Workspace, number: int, seed: int) -> RoundResult:
    rng = random.Random(seed)
    job, table = TARGETS[(number - 1) % len(TARGETS)]
    sig = rng.choice(SIGNALS)
    latency = rng.choice(LATENCIES_S)
    result = RoundResult(f"planning round {number}")
    box = _box(workspace, f"planning-{number}", job, table)
    started = _created if table == "new" else _holds_open
    flags = box.flags()
    if job == "features":
        flags.append("--allow-incomplete")
    days_before = len(box.checkpoint_days())
    script = FEATURES_SCRIPT if job == "features" else SCRIPT
    cli = Cli(flags, box.root, script=script, latency=latency)
    strike = f"{job} job, {table} table, {sig.name} in planning ({latency} s per statement)"
    reached = cli.wait_until(lambda: started(cli, box))
    cli.wait_until(lambda: False, timeout=rng.uniform(0, 2 * latency))
    sent = time.monotonic()
    if not (reached and cli.send(sig)):
        note(result, cli.wait(), {EXIT_INTERRUPTED}, f"{strike}: planning never started")
        result.comparison = workspace.reference.compare(box.warehouse)
        return result
    result.signals[sig.name] += 1
    observed = cli.wait()
    took = time.monotonic() - sent
    note(result, observed, {EXIT_INTERRUPTED}, strike)
    if RUNNING in observed.stderr:
        result.wrong_exits.append(f"{strike}: landed after planning (the run said {RUNNING!r})")
    if took > STOP_WITHIN_S:
        result.wrong_exits.append(f"{strike}: exited {took:.1f} s after the signal")
    if observed.code == EXIT_INTERRUPTED and "interrupt" not in observed.stderr.lower():
        result.wrong_exits.append(f"{strike}: exit 130 without saying it was interrupted")
    if job == "features":
        recorded = _features_days(box)
        if recorded:
            result.leftovers.append(f"{strike}: {recorded} features day(s) recorded")
        result.comparison = workspace.reference.compare(box.warehouse)
    else:
        recorded = len(box.checkpoint_days()) - days_before
        if recorded:
            result.leftovers.append(f"{strike}: {recorded} day(s) recorded")
        finish(result, workspace, box, rng)
    return result


def _created(cli: Cli, box: Sandbox) -> bool:
    return "creating " in cli.stderr()


def _holds_open(cli: Cli, box: Sandbox) -> bool:
    """Whether the run holds the warehouse file open (Linux: its ``/proc/PID/fd``)."""
    target = box.warehouse.resolve()
    try:
        links = [os.readlink(entry) for entry in Path(f"/proc/{cli.pid}/fd").iterdir()]
    except OSError:
        return False
    return str(target) in links


def _box(workspace: Workspace, name: str, job: str, table: str) -> Sandbox:
    """The summary job: raw tables only (new), or the written starting point (with rows). The
    features job: the complete summary table, and no features table yet."""
    if job == "features":
        return workspace.complete_sandbox(name)
    return workspace.sandbox(name, written=table != "new")


def _features_days(box: Sandbox) -> int:
    days = 0
    for path in box.checkpoints.glob(f"{FEATURES_JOB}_*.json"):
        data = json.loads(path.read_text())
        days += len(data.get("days") or {})
    return days
