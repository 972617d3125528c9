"""``python -m bench.chaos.ingest``: mutations of the real-format G7 file, each ingested over
the complete game, with a seed of its own (``make chaos`` runs it after the main campaign).

Each round copies a warehouse holding the whole game, writes one mutated copy of the vendor
file (a random cut, a line or the header twice, a bad byte, a number too large, two columns
swapped, a second copy, ...) and runs ``python -m shared.nba.ingest bigdataball`` on it as a
process. The verdict, per round:

- exit 0 (loaded) or 1 (refused), one summary line on stdout, no traceback, and every line
  on stderr naming the file it is about;
- a refused file leaves the game exactly as it was (every column of every event);
- a loaded file never leaves the game with fewer events than it had.

Exits 1 when any round breaks one of these.
"""

from __future__ import annotations

import argparse
import gzip
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb

from bench.chaos.process import TIMEOUT_S, Observed, cli_env, clip
from bench.runs import ROOT

G7 = (
    ROOT / "tests" / "fixtures" / "bigdataball" / "playoffs" / "[2025-06-22]-0042400407-IND@OKC.csv"
)
GAME = "20250622_IND_OKC"
MUTATIONS = 25
EXIT_LOADED, EXIT_REFUSED = 0, 1
_HUGE = "99999999999999999999"


@dataclass(frozen=True)
class Mutant:
    """One mutated input: the files to ingest (written under ``directory``) and what was done."""

    kind: str
    detail: str
    files: tuple[Path, ...]


# A mutation: (what was done, [(file name, content)]) from a seeded rng and the file's lines.
Outputs = tuple[str, list[tuple[str, bytes]]]
Mutation = Callable[[random.Random, list[str]], Outputs]


def _lines_to_bytes(lines: list[str]) -> bytes:
    return "".join(lines).encode("utf-8")


def _cut_bytes(rng: random.Random, lines: list[str]) -> Outputs:
    data = _lines_to_bytes(lines)
    at = rng.randrange(len(lines[0]) + 1, len(data) - 1)
    return f"cut at byte {at} of {len(data)}", [(G7.name, data[:at])]


def _cut_lines(rng: random.Random, lines: list[str]) -> Outputs:
    keep = rng.randrange(2, len(lines))
    return f"head -{keep}", [(G7.name, _lines_to_bytes(lines[:keep]))]


def _drop_line(rng: random.Random, lines: list[str]) -> Outputs:
    at = rng.randrange(1, len(lines) - 1)
    return f"line {at + 1} deleted", [(G7.name, _lines_to_bytes(lines[:at] + lines[at + 1 :]))]


def _duplicate_line(rng: random.Random, lines: list[str]) -> Outputs:
    at = rng.randrange(1, len(lines))
    return f"line {at + 1} twice", [(G7.name, _lines_to_bytes([*lines[: at + 1], *lines[at:]]))]


def _duplicate_header(rng: random.Random, lines: list[str]) -> Outputs:
    at = rng.randrange(2, len(lines) + 1)
    mutated = [*lines[:at], lines[0], *lines[at:]]
    return f"header again at line {at + 1}", [(G7.name, _lines_to_bytes(mutated))]


def _bad_byte(rng: random.Random, lines: list[str]) -> Outputs:
    data = bytearray(_lines_to_bytes(lines))
    at = rng.randrange(len(data))
    byte = rng.choice([0xFF, 0xE9, 0x00, 0xC3])
    data[at] = byte
    return f"byte {at} set to 0x{byte:02x}", [(G7.name, bytes(data))]


def _overflow(rng: random.Random, lines: list[str]) -> Outputs:
    header = lines[0].rstrip("\n").split(",")
    column = rng.choice(["play_id", "points", "period"])
    at = rng.randrange(1, len(lines))
    fields = _fields(lines[at])
    fields[header.index(column)] = _HUGE
    mutated = [*lines[:at], _line(fields), *lines[at + 1 :]]
    return f"{column} {_HUGE} on line {at + 1}", [(G7.name, _lines_to_bytes(mutated))]


def _swap_columns(rng: random.Random, lines: list[str]) -> Outputs:
    header = lines[0].rstrip("\n").split(",")
    first, second = rng.sample(range(len(header)), 2)
    swapped = [lines[0]]
    for text in lines[1:]:
        fields = _fields(text)
        fields[first], fields[second] = fields[second], fields[first]
        swapped.append(_line(fields))
    detail = f"values of {header[first]} and {header[second]} swapped"
    return detail, [(G7.name, _lines_to_bytes(swapped))]


def _second_copy(rng: random.Random, lines: list[str]) -> Outputs:
    at = rng.randrange(1, len(lines) - 1)
    copy = _lines_to_bytes(lines[:at] + lines[at + 1 :])
    copy_name = G7.name.replace(".csv", " (1).csv")
    return f"a second copy without line {at + 1}", [
        (G7.name, _lines_to_bytes(lines)),
        (copy_name, copy),
    ]


def _open_quote(rng: random.Random, lines: list[str]) -> Outputs:
    at = rng.randrange(1, len(lines))
    fields = _fields(lines[at])
    column = rng.randrange(len(fields))
    fields[column] = '"' + fields[column].replace('"', "")
    mutated = [*lines[:at], _line(fields), *lines[at + 1 :]]
    return f"a quote opened in field {column + 1} of line {at + 1}", [
        (G7.name, _lines_to_bytes(mutated))
    ]


def _implausible(rng: random.Random, lines: list[str]) -> Outputs:
    header = lines[0].rstrip("\n").split(",")
    column, value = rng.choice([("period", "-3"), ("shot_distance", "1e308"), ("points", "7")])
    at = rng.randrange(1, len(lines) - 1)
    fields = _fields(lines[at])
    fields[header.index(column)] = value
    mutated = [*lines[:at], _line(fields), *lines[at + 1 :]]
    return f"{column} {value} on line {at + 1}", [(G7.name, _lines_to_bytes(mutated))]


def _gzip_cut(rng: random.Random, lines: list[str]) -> Outputs:
    data = gzip.compress(_lines_to_bytes(lines))
    at = rng.randrange(10, len(data) - 1)
    return f".csv.gz cut at byte {at} of {len(data)}", [(G7.name + ".gz", data[:at])]


def _crlf(_rng: random.Random, lines: list[str]) -> Outputs:
    return "CRLF line ends", [(G7.name, _lines_to_bytes([t.replace("\n", "\r\n") for t in lines]))]


MUTATORS: dict[str, Mutation] = {
    "cut-bytes": _cut_bytes,
    "cut-lines": _cut_lines,
    "drop-line": _drop_line,
    "duplicate-line": _duplicate_line,
    "duplicate-header": _duplicate_header,
    "bad-byte": _bad_byte,
    "overflow": _overflow,
    "swap-columns": _swap_columns,
    "second-copy": _second_copy,
    "open-quote": _open_quote,
    "implausible": _implausible,
    "gzip-cut": _gzip_cut,
    "crlf": _crlf,
}


def _fields(text: str) -> list[str]:
    """The fields of a G7 line: it quotes nothing, so a comma always separates."""
    return text.rstrip("\r\n").split(",")


def _line(fields: list[str]) -> str:
    return ",".join(fields) + "\n"


@dataclass(frozen=True)
class Round:
    number: int
    mutant: Mutant
    observed: Observed
    before: list[tuple[object, ...]]
    after: list[tuple[object, ...]]

    @property
    def refused(self) -> bool:
        return self.observed.code == EXIT_REFUSED

    def problems(self) -> list[str]:
        observed, problems = self.observed, []
        if observed.code not in (EXIT_LOADED, EXIT_REFUSED):
            problems.append(f"exit {observed.code}, want 0 or 1")
        if observed.traceback:
            problems.append(f"traceback: {clip(observed.headline)}")
        summary = [line for line in observed.stdout.splitlines() if line.strip()]
        if len(summary) != 1 or not summary[0].startswith("bigdataball: "):
            problems.append(f"stdout is not one summary line: {clip(observed.stdout)!r}")
        named = tuple(str(path) for path in self.mutant.files)
        unnamed = [line for line in observed.lines if not line.startswith(named)]
        if unnamed:
            problems.append(f"a stderr line names no file: {clip(unnamed[0])}")
        if self.refused and self.after != self.before:
            problems.append(
                f"refused, yet the game changed: {len(self.before)} -> {len(self.after)} events"
            )
        if observed.code == EXIT_LOADED and len(self.after) < len(self.before):
            problems.append(f"loaded fewer events: {len(self.before)} -> {len(self.after)}")
        return problems

    def report(self) -> str:
        verdict = "ok" if not self.problems() else "PROBLEM"
        outcome = "refused" if self.refused else "loaded" if self.observed.code == 0 else "?"
        why = self.observed.lines[0].split(": ", 1)[-1] if self.observed.lines else ""
        return (
            f"  {self.number:>2} {verdict:<7} {self.mutant.kind:<16} {outcome:<7} "
            f"{clip(self.mutant.detail, 40):<40} {clip(why, 70)}"
        )


@dataclass(frozen=True)
class IngestCampaign:
    seed: int
    rounds: tuple[Round, ...]
    wall_s: float

    @property
    def ok(self) -> bool:
        return not any(r.problems() for r in self.rounds)

    def render(self) -> str:
        refused = [r for r in self.rounds if r.refused]
        changed = sum(r.after != r.before for r in refused)
        tracebacks = sum(r.observed.traceback for r in self.rounds)
        fewer = sum(r.observed.code == 0 and len(r.after) < len(r.before) for r in self.rounds)
        kinds = Counter(r.mutant.kind for r in self.rounds)
        lines = [
            f"INGEST CHAOS {G7.name} ({len(G7.read_text(encoding='utf-8').splitlines()) - 1} "
            f"events) over the loaded game; seed {self.seed}; {self.wall_s:.0f} s",
            f"  mutations                          {len(self.rounds):>4}",
            f"  refused / loaded                   {len(refused):>4} / {len(self.rounds) - len(refused)}",
            f"  games changed by a refused file    {changed:>4}",
            f"  games left with fewer events       {fewer:>4}",
            f"  tracebacks                         {tracebacks:>4}",
            "  kinds: " + ", ".join(f"{kind} {n}" for kind, n in sorted(kinds.items())),
            "rounds",
            *(r.report() for r in self.rounds),
        ]
        for problem_round in self.rounds:
            lines += [f"  round {problem_round.number}: {p}" for p in problem_round.problems()]
            if problem_round.problems():
                lines += [f"    stderr: {line}" for line in problem_round.observed.lines[:10]]
        lines.append("RESULT: " + ("PASS" if self.ok else "FAIL"))
        return "\n".join(lines)


def _ingest(warehouse: Path, files: tuple[Path, ...]) -> Observed:
    started = time.monotonic()
    args = ["-m", "shared.nba.ingest", "bigdataball", "--warehouse", str(warehouse)]
    try:
        done = subprocess.run(
            [sys.executable, *args, *map(str, files)],
            capture_output=True,
            cwd=ROOT,
            env=cli_env(),
            timeout=TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        out = (exc.stdout or b"").decode("utf-8", "replace")
        err = (exc.stderr or b"").decode("utf-8", "replace")
        return Observed(None, out, err, time.monotonic() - started)
    return Observed(
        done.returncode,
        done.stdout.decode("utf-8", "replace"),
        done.stderr.decode("utf-8", "replace"),
        time.monotonic() - started,
    )


def _game(warehouse: Path) -> list[tuple[object, ...]]:
    """Every column of every event of the game, in play order."""
    connection = duckdb.connect(str(warehouse), read_only=True)
    try:
        return connection.execute(
            "SELECT * FROM nba_raw.bigdataball_play_by_play WHERE game_id = $game "
            "ORDER BY event_sequence",
            {"game": GAME},
        ).fetchall()
    finally:
        connection.close()


def _round(number: int, seed: int, kind: str, loaded: Path, root: Path) -> Round:
    directory = root / f"round-{number:02d}"
    directory.mkdir(exist_ok=True)
    warehouse = directory / "warehouse.duckdb"
    shutil.copy(loaded, warehouse)
    lines = G7.read_text(encoding="utf-8").splitlines(keepends=True)
    detail, outputs = MUTATORS[kind](random.Random(seed), lines)
    files = []
    for name, data in outputs:
        path = directory / "in" / name
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(data)
        files.append(path)
    mutant = Mutant(kind, detail, tuple(files))
    before = _game(warehouse)
    observed = _ingest(warehouse, mutant.files)
    return Round(number, mutant, observed, before, _game(warehouse))


def run_ingest_campaign(
    root: Path, *, seed: int, mutations: int = MUTATIONS, jobs: int = 3
) -> IngestCampaign:
    """``mutations`` rounds, kinds dealt in turn from a shuffled deck so every kind is tried."""
    started = time.monotonic()
    loaded = root / "loaded.duckdb"
    first = _ingest(loaded, (G7,))
    if first.code != EXIT_LOADED:
        raise RuntimeError(f"the whole G7 file did not load: {first.describe()}")
    rng = random.Random(seed)
    deck: list[str] = []
    plan = []
    for number in range(1, mutations + 1):
        if not deck:
            deck = rng.sample(sorted(MUTATORS), len(MUTATORS))
        plan.append((number, rng.randrange(2**32), deck.pop()))
    with ThreadPoolExecutor(jobs, thread_name_prefix="ingest-chaos") as pool:
        futures = [pool.submit(_round, n, s, kind, loaded, root) for n, s, kind in plan]
        rounds = tuple(future.result() for future in futures)
    return IngestCampaign(seed, rounds, time.monotonic() - started)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.chaos.ingest", description=__doc__)
    parser.add_argument("--seed", type=int, help="replay a campaign's mutations")
    parser.add_argument("--mutations", type=int, default=MUTATIONS, help="rounds (default 25)")
    parser.add_argument("--jobs", type=int, default=3, help="rounds at once (default 3)")
    parser.add_argument("--work-dir", type=Path, help="keep every round here (default: temp)")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else random.randrange(10**6)
    print(f"ingest chaos: seed {seed}", file=sys.stderr, flush=True)
    with tempfile.TemporaryDirectory(prefix="ingest-chaos-") as temporary:
        root = args.work_dir or Path(temporary)
        root.mkdir(parents=True, exist_ok=True)
        campaign = run_ingest_campaign(root, seed=seed, mutations=args.mutations, jobs=args.jobs)
    print(campaign.render())
    return 0 if campaign.ok else 1


if __name__ == "__main__":
    sys.exit(main())
