"""``python -m bench.report``: bench/README.md and the README's headline figures, generated
from the bench's own results files so that no figure is ever pasted by hand.

The page shows the latest full run (``latest.json``) and every partial run
(``latest_<sections>.json``) written after it, each with the date it was measured.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench.__main__ import RESULTS, render
from bench.runs import ROOT
from shared.warehouse.pricing import estimate_cost_usd

TEMPLATE = Path(__file__).with_name("README.template.md")
PAGE = ROOT / "bench" / "README.md"
TOP_README = ROOT / "README.md"
# The README's generated blocks, each between <!-- bench-NAME:start --> and <!-- bench-NAME:end -->.
HEADLINE, PRODUCTION = "headline", "production"
# The targets the top README quotes, in this order; any failing target is quoted as well.
HEADLINE_TARGETS = (
    "B11 default run / floor",
    "B1 batched / floor",
    "B6 bulk time / 117 s",
    "B6 x15 per-day / own floor",
    "B6 x30 per-day / own floor",
    "B10 summary: empty / full folder",
)


@dataclass(frozen=True)
class Run:
    """One results file: its report and when it was measured."""

    path: Path
    report: dict
    measured: datetime


def load(path: Path) -> Run:
    report = json.loads(path.read_text())
    # Reports written before the bench recorded its date carry the file's time instead.
    stamp = report.get("measured_at")
    measured = (
        datetime.fromisoformat(stamp)
        if stamp
        else datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
    )
    return Run(path, report, measured)


def find_runs(results: Path) -> tuple[Run, list[Run]]:
    """The latest full run and the partial runs measured after it, oldest first. A section a
    later run measured again is left out of the full run: the later figures replace it (and
    may come from a newer version of that section)."""
    full = load(results / RESULTS.name)
    partial = [load(path) for path in results.glob(f"{RESULTS.stem}_*.json")]
    runs = sorted(
        (run for run in partial if run.measured > full.measured), key=lambda run: run.measured
    )
    later: list[Run] = []
    remeasured: set[str] = set()
    for run in reversed(runs):  # newest first: what a newer run measured again drops out
        kept = _without(run, remeasured)
        if _sections(kept):
            later.insert(0, kept)
        remeasured |= set(_sections(run))
    return _without(full, remeasured), later


_SECTION = re.compile(r"B\d+")


def _without(run: Run, sections: set[str]) -> Run:
    """``run`` without ``sections`` and their targets (B1 also carries B4's)."""
    if not sections:
        return run
    report = {name: value for name, value in run.report.items() if name not in sections}
    report["targets"] = [
        target
        for target in run.report.get("targets", [])
        if target["target"].split()[0] not in sections
    ]
    report["superseded"] = sorted(sections, key=lambda name: int(name[1:]))
    return Run(run.path, report, run.measured)


def _stamp(run: Run) -> str:
    return run.measured.strftime("%Y-%m-%d %H:%M UTC")


def _tally(run: Run) -> str:
    targets = run.report.get("targets", [])
    passed = sum(1 for target in targets if target["result"] == "PASS")
    return f"{passed} of {len(targets)} targets pass"


def _machine(run: Run) -> str:
    machine = run.report.get("machine", {})
    return f"{machine.get('cpus', '?')} cores, Python {machine.get('python', '?')}"


def section(title: str, run: Run) -> str:
    total = run.report.get("total_s")
    took = f", {total:g} s in all" if total is not None else ""
    superseded = run.report.get("superseded")
    later = f" {', '.join(superseded)}: see the later run below." if superseded else ""
    return (
        f"## {title}, {_stamp(run)}\n\n"
        f"`{run.path.name}`: {_machine(run)}{took}; {_tally(run)}.{later}\n\n"
        f"```text{render(run.report)}\n```\n"
    )


def page(full: Run, later: list[Run]) -> str:
    parts = [TEMPLATE.read_text().rstrip("\n"), "", section("Latest full run", full)]
    for run in later:
        sections = run.path.stem.removeprefix(f"{RESULTS.stem}_").replace("_", ", ")
        parts += ["", section(f"Later run of {sections}", run)]
    return "\n".join(parts)


def headline(full: Run, later: Sequence[Run] = ()) -> str:
    """The few lines the top README shows: the tallies and the figures users ask about first,
    from the full run and the sections measured again after it."""
    runs = [full, *later]
    targets = {target["target"]: target for run in runs for target in run.report.get("targets", [])}
    quoted = [name for name in HEADLINE_TARGETS if name in targets]
    quoted += [name for name, t in targets.items() if t["result"] != "PASS" and name not in quoted]
    reruns = "; ".join(
        f"{', '.join(_sections(run))} measured again on {run.measured:%Y-%m-%d}: {_tally(run)}"
        for run in later
    )
    tally = _tally(full) if full.report.get("targets") else "every section measured again later"
    lines = [
        f"Latest full `make bench`, {full.measured:%Y-%m-%d}, {_machine(full)}: {tally}"
        f"{'; ' + reruns if reruns else ''} ([bench/README.md](bench/README.md) has every table).",
        "",
    ]
    for name in quoted:
        target = targets[name]
        lines.append(
            f"- {name}: {target['measured']} (wanted {target['wanted']}, {target['result']})"
        )
    b6 = next((run.report["B6"] for run in reversed(runs) if "B6" in run.report), None)
    if b6:
        lines.append(
            f"- B6 full range on the simulated BigQuery, 15 paced workers: {_clock(b6['predicted_s'])}"
            f" (the shipped tool took {_clock(b6['production_s'])} in production)"
        )
    return "\n".join(lines)


def _sections(run: Run) -> list[str]:
    return [name for name in run.report if _SECTION.fullmatch(name)]


def _clock(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s"


def production(runs: list[Run]) -> str:
    """The README's production table: each BigQuery write mode over the full history, from the
    latest run that measured B6 (time simulated at BigQuery's median job latency)."""
    measured = [run for run in runs if "bulk" in run.report.get("B6", {}).get("variants", {})]
    if not measured:
        return "Not measured yet: run `make bench` (section B6)."
    run = max(measured, key=lambda r: r.measured)
    variants = run.report["B6"]["variants"]
    lines = [
        f"Full history 2021-10-01..2024-05-01 (585 game days) on the simulated BigQuery, B6 of "
        f"{run.measured:%Y-%m-%d} ([bench/README.md](bench/README.md)):",
        "",
        "| mode | time (whole command) | table updates on the target | jobs | billed | on demand |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name, mode in (("bulk", "bulk (auto)"), ("x15 paced", "per-day, 15 workers"),
                       ("x30 paced", "per-day, 30 workers")):  # fmt: skip
        row = variants.get(name)
        if row is None:
            continue
        invalid = " (INVALID: machine-bound)" if row["machine"]["invalid"] else ""
        lines.append(
            f"| {mode} | {_clock(row['sim_s'])}{invalid} | {row['target_updates']} | "
            f"{row['jobs']:,} | {row['bytes_billed'] / 1024**3:.1f} GiB | "
            f"${estimate_cost_usd(row['bytes_billed']):.2f} |"
        )
    return "\n".join(lines)


def with_block(readme: str, name: str, block: str) -> str:
    """The README with the text between the markers of block ``name`` replaced."""
    start_marker, end_marker = f"<!-- bench-{name}:start -->", f"<!-- bench-{name}:end -->"
    head, start, rest = readme.partition(start_marker)
    _, end, tail = rest.partition(end_marker)
    if not start or not end:
        raise SystemExit(f"README.md lacks the markers {start_marker} ... {end_marker}")
    return f"{head}{start}\n{block}\n{end}{tail}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.report", description=__doc__)
    parser.add_argument(
        "--results",
        type=Path,
        default=RESULTS.parent,
        help="folder of the results files (default: bench/results)",
    )
    args = parser.parse_args(argv)
    if not (args.results / RESULTS.name).is_file():
        print(
            f"bench.report: no {args.results / RESULTS.name}; run `make bench` first",
            file=sys.stderr,
        )
        return 2
    full, later = find_runs(args.results)
    PAGE.write_text(page(full, later))
    readme = with_block(TOP_README.read_text(), HEADLINE, headline(full, later))
    readme = with_block(readme, PRODUCTION, production([full, *later]))
    TOP_README.write_text(readme)
    print(f"wrote {PAGE.relative_to(ROOT)} and the figures in {TOP_README.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
