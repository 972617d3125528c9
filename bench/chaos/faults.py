"""Every bad input and environment fault users have hit, each a case with its exit code.

Each case stages its fault in a sandbox of its own, runs the CLI as a process and reports
what it saw. Every case checks the exit code and that nothing on stdout or stderr is a
Python traceback, and that a usage or environment error (exit 2) is one line; a refused
command must leave the checkpoint directory and the table as they were.
Cases add their own checks (a message, a file left in place, a resumed table).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from bench.chaos.disks import Skip, fill_up, full, read_only, tmpfs
from bench.chaos.process import DAY_LINE, Cli, Observed, cli_env, clip, run_cli
from bench.chaos.workspace import PENDING_DAYS, DiskState, Sandbox, Workspace

EXIT_OK, EXIT_USAGE, EXIT_INTERRUPTED = 0, 2, 130
# A path of 5,000 characters in components of 200 (each under NAME_MAX, all over PATH_MAX).
LONG_PATH_PARTS = ["d" * 200] * 25
# Holds a DuckDB file open for writing, as another program using the warehouse would.
HOLD_WAREHOUSE = (
    "import duckdb, sys, time\n"
    "connection = duckdb.connect(sys.argv[1])\n"
    "print('holding', flush=True)\n"
    "time.sleep(120)\n"
)


@dataclass(frozen=True)
class Check:
    what: str
    ok: bool
    saw: str = ""


@dataclass(frozen=True)
class Staged:
    """What a case hands back: the command it judges and the checks only it can make."""

    observed: Observed
    checks: tuple[Check, ...] = ()


Body = Callable[[Workspace, str], Staged]


@dataclass(frozen=True)
class CaseResult:
    case: Case
    observed: Observed | None
    checks: tuple[Check, ...]
    skipped: str | None = None

    @property
    def status(self) -> str:
        if self.skipped is not None:
            return "SKIP"
        return "PASS" if all(check.ok for check in self.checks) else "FAIL"

    def report(self) -> list[str]:
        """One line for the case, and one per failed check with what it saw."""
        head = f"{self.status}  {self.case.title} (want exit {self.case.expected})"
        if self.skipped is not None:
            return [f"{head}: {self.skipped}"]
        assert self.observed is not None
        lines = [f"{head}: {self.observed.describe()}"]
        lines += [
            f"        x {check.what}" + (f": {clip(check.saw)}" if check.saw else "")
            for check in self.checks
            if not check.ok
        ]
        return lines


@dataclass(frozen=True)
class Case:
    slug: str
    title: str
    expected: int
    body: Body
    # Exit 2 only: refused at once, so the error line is all stderr says (False: the error
    # ends a run's log, and is the only error line).
    error_alone: bool = True
    # Waits seconds on simulated round trips: started first, so the campaign's wall time is
    # not the sum of these.
    slow: bool = False

    def run(self, workspace: Workspace) -> CaseResult:
        try:
            staged = self.body(workspace, self.slug)
        except Skip as skip:
            return CaseResult(self, None, (), skipped=str(skip))
        observed = staged.observed
        checks = [
            Check(f"exit {self.expected}", observed.code == self.expected, str(observed.code)),
            Check("no traceback", not observed.traceback, observed.headline),
        ]
        if self.expected == EXIT_USAGE and self.error_alone:
            lines = observed.lines
            checks.append(Check("one line on stderr", len(lines) == 1, f"{len(lines)} lines"))
        elif self.expected == EXIT_USAGE:
            errors = observed.error_lines
            checks.append(Check("one error line", len(errors) == 1, f"{len(errors)} error lines"))
        return CaseResult(self, observed, (*checks, *staged.checks))


CASES: list[Case] = []


def case(
    slug: str, title: str, expected: int, *, error_alone: bool = True, slow: bool = False
) -> Callable[[Body], Body]:
    def register(body: Body) -> Body:
        CASES.append(Case(slug, title, expected, body, error_alone, slow))
        return body

    return register


def refused(
    box: Sandbox,
    args: list[str],
    *,
    checkpoints: Path | None = None,
    python: str = sys.executable,
    env: dict[str, str] | None = None,
) -> Staged:
    """Run a command that must be refused, and whether it wrote anything."""
    before = box.state(checkpoints)
    observed = run_cli(args, box.root, python=python, env=env)
    return Staged(observed, (nothing_written(before, box.state(checkpoints)),))


def nothing_written(before: DiskState, after: DiskState) -> Check:
    changes = before.changes(after)
    return Check("nothing written", not changes, ", ".join(changes))


def says_interrupted(observed: Observed) -> Check:
    return Check("says it was interrupted", "interrupt" in observed.stderr.lower())


@case("control", "control: resume the written starting point", EXIT_OK)
def _control(workspace: Workspace, slug: str) -> Staged:
    """The starting point the other cases break, unbroken: it must run its pending days, or
    a refusal elsewhere would prove nothing."""
    box = workspace.sandbox(slug, written=True)
    observed = run_cli(box.flags(), box.root)
    ran = len(DAY_LINE.findall(observed.stderr))
    return Staged(
        observed, (Check(f"runs the {PENDING_DAYS} pending days", ran == PENDING_DAYS, f"{ran}"),)
    )


# --- corrupt checkpoints: valid JSON of the wrong shape, binary, truncated ---------------


def _edited(edit: Callable[[dict[str, Any]], None]) -> Callable[[bytes], bytes]:
    def apply(original: bytes) -> bytes:
        data = json.loads(original)
        edit(data)
        return json.dumps(data, indent=1).encode()

    return apply


def _first_day(data: dict[str, Any]) -> dict[str, Any]:
    return data["days"][min(data["days"])]


CORRUPTIONS: dict[str, tuple[str, Callable[[bytes], bytes]]] = {
    "days-list": ("days=[]", _edited(lambda d: d.update(days=[]))),
    "days-null": ("days=null", _edited(lambda d: d.update(days=None))),
    "day-is-string": (
        "a day record that is a string",
        _edited(lambda d: d["days"].update({min(d["days"]): "success"})),
    ),
    "runs-string": ('runs="abc"', _edited(lambda d: d.update(runs="abc"))),
    "rows-string": ('rows="many"', _edited(lambda d: _first_day(d).update(rows="many"))),
    "attempts-string": ('"attempts":"x"', _edited(lambda d: _first_day(d).update(attempts="x"))),
    "binary": ("binary, not UTF-8", lambda original: b"\x89CKPT\xff\xfe\x00\x81" + original[:64]),
    "truncated": ("truncated JSON", lambda original: original[: len(original) // 2]),
}


def _corrupt_checkpoint(corrupt: Callable[[bytes], bytes]) -> Body:
    def body(workspace: Workspace, slug: str) -> Staged:
        box = workspace.sandbox(slug, written=True)
        box.checkpoint.write_bytes(corrupt(box.checkpoint.read_bytes()))
        return refused(box, box.flags())

    return body


for _slug, (_what, _corrupt) in CORRUPTIONS.items():
    case(f"checkpoint-{_slug}", f"checkpoint with {_what}", EXIT_USAGE)(
        _corrupt_checkpoint(_corrupt)
    )


# --- bad flags ---------------------------------------------------------------------------


def _with_flags(*extra: str) -> Body:
    def body(workspace: Workspace, slug: str) -> Staged:
        box = workspace.sandbox(slug, written=True)
        return refused(box, [*box.flags(), *extra])

    return body


case("worker-abbreviated", "--worker 3 (abbreviated flag)", EXIT_USAGE)(
    _with_flags("--parallel", "--worker", "3")
)


@case("end-date-0001", "--end-date 0001-01-03 (no --start-date)", EXIT_USAGE)
def _end_date_at_the_calendar_start(workspace: Workspace, slug: str) -> Staged:
    box = workspace.sandbox(slug, written=True)
    return refused(box, ["--end-date", "0001-01-03", *box.paths()])


@case("log-dir-dev-null", "--log-dir /dev/null", EXIT_USAGE)
def _log_dir_dev_null(workspace: Workspace, slug: str) -> Staged:
    box = workspace.sandbox(slug, written=True)
    return refused(box, box.flags(logs=Path("/dev/null")))


@case("log-dir-long", "--log-dir of 5,000 characters", EXIT_USAGE)
def _log_dir_long(workspace: Workspace, slug: str) -> Staged:
    box = workspace.sandbox(slug, written=True)
    return refused(box, box.flags(logs=box.root.joinpath(*LONG_PATH_PARTS)))


@case("checkpoint-dir-long", "--checkpoint-dir of 5,000 characters", EXIT_USAGE)
def _checkpoint_dir_long(workspace: Workspace, slug: str) -> Staged:
    box = workspace.sandbox(slug, written=True)
    return refused(box, box.flags(checkpoints=box.root.joinpath(*LONG_PATH_PARTS)))


@case("no-resume-missing-warehouse", "--no-resume with a missing --warehouse", EXIT_USAGE)
def _no_resume_missing_warehouse(workspace: Workspace, slug: str) -> Staged:
    box = workspace.sandbox(slug, written=True)
    args = [*box.flags(), "--warehouse", str(box.root / "missing.duckdb"), "--no-resume"]
    return refused(box, args)


# --- directories that refuse writes ------------------------------------------------------


@case("checkpoint-dir-read-only", "read-only --checkpoint-dir", EXIT_USAGE)
def _checkpoint_dir_read_only(workspace: Workspace, slug: str) -> Staged:
    box = workspace.sandbox(slug, written=True)
    contents = {box.checkpoint.name: box.checkpoint.read_bytes()}
    with read_only(box.root / "read-only", contents) as directory:
        return refused(box, box.flags(checkpoints=directory), checkpoints=directory)


@case("log-dir-read-only", "read-only --log-dir", EXIT_USAGE)
def _log_dir_read_only(workspace: Workspace, slug: str) -> Staged:
    box = workspace.sandbox(slug, written=True)
    with read_only(box.root / "read-only", {}) as directory:
        return refused(box, box.flags(logs=directory))


@case("checkpoint-dir-full", "--checkpoint-dir on a full disk", EXIT_USAGE)
def _checkpoint_dir_full(workspace: Workspace, slug: str) -> Staged:
    box = workspace.sandbox(slug, written=True)
    contents = {box.checkpoint.name: box.checkpoint.read_bytes()}
    with full(box.root / "full", contents) as directory:
        return refused(box, box.flags(checkpoints=directory), checkpoints=directory)


@case("log-dir-full", "--log-dir on a full disk", EXIT_USAGE)
def _log_dir_full(workspace: Workspace, slug: str) -> Staged:
    box = workspace.sandbox(slug, written=True)
    with full(box.root / "full", {}) as directory:
        return refused(box, box.flags(logs=directory))


@case(
    "disk-fills-mid-run",
    "checkpoint disk fills up mid-run (delayed writer thread)",
    EXIT_USAGE,
    error_alone=False,
    slow=True,
)
def _disk_fills_mid_run(workspace: Workspace, slug: str) -> Staged:
    box = workspace.sandbox(slug, written=False)
    with tmpfs(box.root / "filling") as directory:
        flags = [*box.flags(checkpoints=directory), "--parallel", "--workers", "3"]
        cli = Cli([*flags, "--batch-days", "1"], box.root, latency=0.2)
        checkpoint = directory / box.checkpoint.name
        wrote = cli.wait_until(checkpoint.exists)
        fill_up(directory)
        filled_mid_run = wrote and cli.running()
        observed = cli.wait()
        readable = _parses(checkpoint)
        (directory / "filler").unlink()
        resumed = run_cli(flags, box.root)
    compared = workspace.reference.compare(box.warehouse)
    return Staged(
        observed,
        (
            Check("the disk filled while days ran", filled_mid_run),
            Check("the checkpoint is still valid JSON", readable),
            Check(
                "with space freed, the resumed run ends 0", resumed.code == 0, resumed.describe()
            ),
            Check(
                "the resumed table equals the sequential run", compared.equal, compared.describe()
            ),
        ),
    )


def _parses(path: Path) -> bool:
    try:
        json.loads(path.read_bytes())
    except (OSError, ValueError):
        return False
    return True


# --- status on a checkpoint naming a domain-scoped BigQuery project ----------------------


@case("status-domain-project", "status on a checkpoint of project example.com:proj", EXIT_OK)
def _status_domain_scoped_project(workspace: Workspace, slug: str) -> Staged:
    box = workspace.sandbox(slug, written=True)
    identity = "bigquery:example.com:proj:nba_raw:nba_analytics"
    data = json.loads(box.checkpoint.read_bytes())
    data["warehouse"] = identity
    for run in data["runs"]:
        run["warehouse"] = identity
        run["warehouse_flags"] = ["--warehouse", "bigquery", "--project", "example.com:proj"]
    box.checkpoint.write_text(json.dumps(data, indent=1))
    observed = run_cli(
        ["status", *box.span.flags, "--checkpoint-dir", str(box.checkpoints)], box.root
    )
    named = "--project example.com:proj" in observed.stdout
    return Staged(observed, (Check("the resume command names the project", named),))


# --- the system python instead of the venv -----------------------------------------------


@case("system-python", "run with the system python3, not the venv", EXIT_USAGE)
def _system_python(workspace: Workspace, slug: str) -> Staged:
    python = _system_python3()
    box = workspace.sandbox(slug, written=True)
    env = {k: v for k, v in cli_env().items() if k not in {"VIRTUAL_ENV", "PYTHONPATH"}}
    staged = refused(box, box.flags(), python=python, env=env)
    advice = any(hint in staged.observed.stderr for hint in ("make venv", ".venv/bin/python"))
    return Staged(
        staged.observed, (*staged.checks, Check("says `make venv` or .venv/bin/python", advice))
    )


def _system_python3() -> str:
    """The first python3 on PATH outside the venv, if it lacks the project's dependencies."""
    venv_bin = Path(sys.executable).parent
    path = os.pathsep.join(
        entry for entry in os.environ.get("PATH", "").split(os.pathsep) if Path(entry) != venv_bin
    )
    found = shutil.which("python3", path=path)
    if found is None:
        raise Skip("no python3 on PATH outside the venv")
    probe = subprocess.run([found, "-c", "import duckdb, sqlglot, tqdm"], capture_output=True)
    if probe.returncode == 0:
        raise Skip(f"{found} has the project's dependencies, so it is no stand-in for a bare one")
    return found


# --- signals -----------------------------------------------------------------------------


def _signal_at_start_up(sig: signal.Signals) -> Body:
    """With 1 s per statement, start-up (opening, surveying the range) takes seconds."""

    def body(workspace: Workspace, slug: str) -> Staged:
        box = workspace.sandbox(slug, written=True)
        before, days_before = box.state(), box.checkpoint_days()
        cli = Cli(box.flags(), box.root, latency=1)
        cli.wait_until(lambda: bool(cli.stderr().strip()), timeout=5)
        cli.wait_until(lambda: False, timeout=0.5)
        before_days = cli.day_lines() == 0
        delivered = cli.send(sig)
        observed = cli.wait()
        after = box.state()
        return Staged(
            observed,
            (
                Check("the signal landed before any day ran", before_days and delivered),
                says_interrupted(observed),
                Check("no row rewritten", before.table == after.table),
                Check("no day recorded", box.checkpoint_days() == days_before),
            ),
        )

    return body


def _signal_in_validation(sig: signal.Signals) -> Body:
    """The pending days run, then validation's statements take 0.5 s each."""

    def body(workspace: Workspace, slug: str) -> Staged:
        box = workspace.sandbox(slug, written=True)
        cli = Cli(box.flags(), box.root, latency=0.5)
        ran = cli.wait_until(lambda: cli.day_lines() >= PENDING_DAYS)
        cli.wait_until(lambda: False, timeout=0.2)
        delivered = cli.send(sig)
        observed = cli.wait()
        return Staged(
            observed,
            (
                Check("the signal landed after the days, in validation", ran and delivered),
                says_interrupted(observed),
            ),
        )

    return body


for _sig in (signal.SIGTERM, signal.SIGINT):
    case(
        f"{_sig.name.lower()}-start-up",
        f"{_sig.name} during start-up",
        EXIT_INTERRUPTED,
        slow=True,
    )(_signal_at_start_up(_sig))
    case(
        f"{_sig.name.lower()}-validation",
        f"{_sig.name} during validation",
        EXIT_INTERRUPTED,
        slow=True,
    )(_signal_in_validation(_sig))


@case("double-ctrl-c", "double Ctrl-C while days run", EXIT_INTERRUPTED, slow=True)
def _double_ctrl_c(workspace: Workspace, slug: str) -> Staged:
    workers, latency = 3, 0.3
    box = workspace.sandbox(slug, written=False)
    flags = [*box.flags(), "--parallel", "--workers", str(workers), "--batch-days", "1"]
    cli = Cli(flags, box.root, latency=latency)
    ran = cli.wait_until(lambda: cli.day_lines() >= 2)
    first = cli.send(signal.SIGINT)
    cli.wait_until(lambda: False, timeout=latency)
    second = cli.send(signal.SIGINT)
    observed = cli.wait()
    # Every day needs at least one statement of `latency` s: no run beats workers / latency
    # days per second. Twice that is the most a sane summary can print.
    most = 2 * workers / latency * 3600
    rates = [
        float(r.replace(",", "")) for r in re.findall(r"Rate: ([\d,.]+) days/hour", observed.stderr)
    ]
    resumed = run_cli(flags, box.root)
    compared = workspace.reference.compare(box.warehouse)
    return Staged(
        observed,
        (
            Check("both Ctrl-C landed while days ran", ran and first and second),
            says_interrupted(observed),
            Check(
                f"rates printed are at most {most:,.0f} days/hour",
                all(rate <= most for rate in rates),
                ", ".join(f"{rate:,.0f}" for rate in rates) or "no rate printed",
            ),
            Check("the resumed run ends 0", resumed.code == 0, resumed.describe()),
            Check(
                "the resumed table equals the sequential run", compared.equal, compared.describe()
            ),
        ),
    )


# --- locks: the checkpoint's and the warehouse's -----------------------------------------


@contextmanager
def _another_run(box: Sandbox) -> Iterator[Cli]:
    """A backfill of the same range, held in start-up (1 s per statement) for the duration."""
    holder = Cli(box.flags(), box.root, latency=1)
    try:
        holder.wait_until(lambda: bool(holder.stderr().strip()), timeout=10)
        yield holder
    finally:
        holder.send(signal.SIGKILL)
        holder.wait()


@case("concurrent-runs", "a second run of the same range while one runs", EXIT_USAGE)
def _concurrent_runs(workspace: Workspace, slug: str) -> Staged:
    box = workspace.sandbox(slug, written=True)
    with _another_run(box) as holder:
        observed = run_cli(box.flags(), box.root)
    named = re.search(rf"\b{holder.pid}\b", observed.first_line) is not None
    return Staged(observed, (Check(f"names the running backfill's PID {holder.pid}", named),))


@case("no-resume-locked", "--no-resume refused by another run's lock", EXIT_USAGE)
def _no_resume_refused_by_lock(workspace: Workspace, slug: str) -> Staged:
    box = workspace.sandbox(slug, written=True)
    with _another_run(box):
        observed = run_cli([*box.flags(), "--no-resume"], box.root)
    backups = sorted(path.name for path in box.checkpoints.glob("*.bak"))
    return Staged(
        observed,
        (
            Check("the checkpoint is left in place", box.checkpoint.exists()),
            Check("no .bak made", not backups, ", ".join(backups)),
        ),
    )


@case("warehouse-locked", "a warehouse another process holds open", EXIT_USAGE)
def _warehouse_locked(workspace: Workspace, slug: str) -> Staged:
    box = workspace.sandbox(slug, written=True)
    before = box.state()
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_WAREHOUSE, str(box.warehouse)],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert holder.stdout is not None
        holder.stdout.readline()
        observed = run_cli(box.flags(), box.root)
    finally:
        holder.kill()
        holder.wait()
    return Staged(observed, (nothing_written(before, box.state()),))


# --- what a run leaves behind: backups and temp files ------------------------------------


@case("bak-names", "--no-resume twice: .bak names never overwrite each other", EXIT_OK)
def _backup_names(workspace: Workspace, slug: str) -> Staged:
    box = workspace.sandbox(slug, written=True)
    original = box.checkpoint.read_bytes()
    first = run_cli([*box.flags(), "--no-resume"], box.root)
    second = run_cli([*box.flags(), "--no-resume"], box.root)
    backups = sorted(box.checkpoints.glob("*.bak"))
    kept = any(path.read_bytes() == original for path in backups)
    return Staged(
        second,
        (
            Check("the first run ends 0", first.code == 0, first.describe()),
            Check("two .bak files", len(backups) == 2, ", ".join(p.name for p in backups)),
            Check("the original checkpoint is one of them, byte for byte", kept),
        ),
    )


@case("tmp-leftover", "a *.tmp left by a killed checkpoint write", EXIT_OK)
def _leftover_temp_file(workspace: Workspace, slug: str) -> Staged:
    box = workspace.sandbox(slug, written=True)
    leftover = box.checkpoints / f".{box.checkpoint.name}.k9x2q.tmp"
    leftover.write_bytes(box.checkpoint.read_bytes()[:100])
    observed = run_cli(box.flags(), box.root)
    return Staged(observed, (Check("the next run removes it", not leftover.exists()),))


# --- the shrink guard: a held day under kill -9 ------------------------------------------


@case("kill-9-held-run", "kill -9 during a run that holds a shrinking day, then resume", 1)
def _kill_during_a_held_run(workspace: Workspace, slug: str) -> Staged:
    """The raw gamebook loses a game of the range's first game day; a whole-range rerun is
    killed mid-way and resumed: the day stays held with its rows, nothing else is lost."""
    box = workspace.sandbox(slug, written=True)
    with duckdb.connect(str(box.warehouse)) as connection:
        row = connection.execute(
            "SELECT game_date, MIN(game_id) FROM nba_analytics.player_game_summary "
            "GROUP BY game_date ORDER BY game_date LIMIT 1"
        ).fetchone()
        assert row is not None
        held_day, game = row
        connection.execute(
            "DELETE FROM nba_raw.nbac_gamebook_player_stats WHERE game_id = $game", {"game": game}
        )
    flags = [*box.flags(), "--parallel", "--workers", "3", "--batch-days", "1"]
    cli = Cli([*flags, "--no-resume"], box.root, latency=0.2)
    ran = cli.wait_until(lambda: cli.day_lines() >= 4)
    killed = cli.send(signal.SIGKILL)
    cli.wait()
    observed = run_cli(flags, box.root)
    compared = workspace.reference.compare(box.warehouse)
    record = box.checkpoint_days().get(held_day.isoformat(), {})
    return Staged(
        observed,
        (
            Check("killed while days ran", ran and killed),
            Check(f"names the dropped game {game}", f"would drop game {game}" in observed.stdout),
            Check(
                f"{held_day} is recorded held",
                isinstance(record, dict) and record.get("status") == "held",
                str(record)[:80],
            ),
            Check("the table equals the sequential run", compared.equal, compared.describe()),
        ),
    )
