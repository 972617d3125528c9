"""``python -m bench.chaos``: the full campaign (``--quick``: what ``make test`` runs).

Prints the figures table and every fault case; exits 1 on any row lost or duplicated, any
table unequal to the sequential run, any traceback, wrong exit code or failed case.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from datetime import date
from pathlib import Path

from bench.chaos.campaign import (
    MAX_KILLS,
    QUICK_KILL_ROUNDS,
    QUICK_MAX_KILLS,
    QUICK_PLANNING_ROUNDS,
    QUICK_SIGNAL_ROUNDS,
    run_campaign,
)
from bench.chaos.faults import CASES
from bench.chaos.workspace import SetupError, Span, Workspace

SPAN = Span(date(2022, 1, 1), date(2022, 1, 28))
KILL_ROUNDS, SIGNAL_ROUNDS, PLANNING_ROUNDS = 40, 20, 12


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.chaos", description=__doc__)
    parser.add_argument("--rounds", type=int, help=f"kill rounds (default {KILL_ROUNDS})")
    parser.add_argument(
        "--signal-rounds", type=int, help=f"SIGTERM/SIGINT rounds (default {SIGNAL_ROUNDS})"
    )
    parser.add_argument(
        "--planning-rounds",
        type=int,
        help=f"signals aimed at planning queries (default {PLANNING_ROUNDS})",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"{QUICK_KILL_ROUNDS} kill, {QUICK_SIGNAL_ROUNDS} signal and {QUICK_PLANNING_ROUNDS} "
        "planning rounds, every fault case",
    )
    parser.add_argument("--seed", type=int, help="replay a campaign's random choices")
    parser.add_argument("--jobs", type=int, default=3, help="rounds and cases at once (default 3)")
    parser.add_argument(
        "--case",
        action="append",
        choices=[c.slug for c in CASES],
        metavar="SLUG",
        help="run only this fault case (repeatable)",
    )
    parser.add_argument(
        "--work-dir", type=Path, help="keep every sandbox here (default: a temp dir)"
    )
    args = parser.parse_args(argv)
    kills = args.rounds if args.rounds is not None else KILL_ROUNDS
    signals = args.signal_rounds if args.signal_rounds is not None else SIGNAL_ROUNDS
    planning = args.planning_rounds if args.planning_rounds is not None else PLANNING_ROUNDS
    max_kills = MAX_KILLS
    if args.quick:
        kills, signals, max_kills = QUICK_KILL_ROUNDS, QUICK_SIGNAL_ROUNDS, QUICK_MAX_KILLS
        planning = QUICK_PLANNING_ROUNDS
    seed = args.seed if args.seed is not None else random.randrange(10**6)
    with tempfile.TemporaryDirectory(prefix="chaos-") as temporary:
        root = args.work_dir or Path(temporary)
        try:
            workspace = Workspace.prepare(root, SPAN)
        except SetupError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        campaign = run_campaign(
            workspace,
            kill_rounds=kills,
            signal_rounds=signals,
            planning_rounds=planning,
            seed=seed,
            jobs=args.jobs,
            max_kills=max_kills,
            slugs=args.case,
        )
    print(campaign.render())
    return 0 if campaign.ok else 1


if __name__ == "__main__":
    sys.exit(main())
