"""The backfill CLI as a separate process, observed as a user sees it.

Every command runs with its own output files (so a caller can watch a run's progress and
strike at a chosen moment) in its own session (so a Ctrl-C on the harness's terminal
reaches the harness only, never the runs it is observing).
"""

from __future__ import annotations

import itertools
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.runs import ROOT, SCRIPT
from tests.doubles.slow_job import interpreter_args

# Generous: the slowest healthy command here (a run with 1 s added to every statement)
# ends in about 15 s. A command still running after this is reported as hung.
TIMEOUT_S = 90.0
POLL_S = 0.02
# What Python prints when an exception escapes: in the main thread, in another thread, in a
# logging handler, or in a finaliser. Any of them in a run's output is a traceback to a user.
TRACEBACK_MARKERS = (
    "Traceback (most recent call last)",
    "Exception in thread",
    "--- Logging error ---",
    "Exception ignored in",
)
# One line per day outcome in the run's log on stderr: done, skipped or failed.
DAY_LINE = re.compile(r"^[✓·✗] \d{4}-\d{2}-\d{2}", re.MULTILINE)
_names = itertools.count()


@dataclass(frozen=True)
class Observed:
    """What one command did: exit code (None: hung and killed), output, and wall time."""

    code: int | None
    stdout: str
    stderr: str
    wall_s: float

    @property
    def traceback(self) -> bool:
        return any(marker in self.stdout + self.stderr for marker in TRACEBACK_MARKERS)

    @property
    def lines(self) -> list[str]:
        """The non-blank stderr lines."""
        return [line for line in self.stderr.splitlines() if line.strip()]

    @property
    def error_lines(self) -> list[str]:
        return [line for line in self.lines if line.startswith("error:")]

    @property
    def first_line(self) -> str:
        """The error line if there is one, else the first line on stderr."""
        lines = self.error_lines or self.lines
        return lines[0] if lines else ""

    @property
    def headline(self) -> str:
        """The exception of the first traceback if there is one, else the first line."""
        lines = self.lines
        starts = [n for n, line in enumerate(lines) if line.startswith("Traceback (most recent")]
        if starts:
            # A traceback's frames are indented; its first unindented line names the exception.
            after = [line for line in lines[starts[0] + 1 :] if not line.startswith(" ")]
            return after[0] if after else lines[starts[0]]
        return self.first_line

    def describe(self) -> str:
        code = "hung" if self.code is None else f"exit {self.code}"
        traceback = ", traceback" if self.traceback else ""
        return f"{code}, {len(self.lines)} stderr line(s){traceback}: {clip(self.headline)}"


def clip(text: str, width: int = 150) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


class Cli:
    """One started command of a job's CLI (the summary job's unless ``script``); ``python``: the
    interpreter to run it with; ``latency``: added to every statement (``slow_job``)."""

    def __init__(
        self,
        args: Sequence[str],
        directory: Path,
        *,
        python: str = sys.executable,
        env: Mapping[str, str] | None = None,
        script: Path = SCRIPT,
        latency: float = 0.0,
    ) -> None:
        name = f"cli-{next(_names)}"
        self.stdout_path = directory / f"{name}.out"
        self.stderr_path = directory / f"{name}.err"
        self._started = time.monotonic()
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.process = subprocess.Popen(
                [python, *interpreter_args(latency), str(script), *args],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                cwd=ROOT,
                env=dict(env if env is not None else cli_env()),
                start_new_session=True,
            )

    @property
    def pid(self) -> int:
        return self.process.pid

    def running(self) -> bool:
        return self.process.poll() is None

    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def day_lines(self) -> int:
        """Day outcomes the run has logged so far."""
        return len(DAY_LINE.findall(self.stderr()))

    def catches(self, sig: signal.Signals) -> bool:
        """Whether the process has a handler for ``sig`` (Linux: ``SigCgt`` in its status)."""
        try:
            status = Path(f"/proc/{self.pid}/status").read_text()
        except OSError:
            return False
        caught = next(line for line in status.splitlines() if line.startswith("SigCgt:"))
        return bool(int(caught.split()[1], 16) >> (sig - 1) & 1)

    def send(self, sig: signal.Signals) -> bool:
        """Deliver ``sig`` if the process still runs; whether it was delivered."""
        if not self.running():
            return False
        self.process.send_signal(sig)
        return True

    def wait_until(self, condition: Callable[[], bool], timeout: float = TIMEOUT_S) -> bool:
        """Poll ``condition`` while the process runs; False if it exited or time ran out first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return True
            if not self.running():
                return condition()
            time.sleep(POLL_S)
        return False

    def wait(self, timeout: float = TIMEOUT_S) -> Observed:
        try:
            code: int | None = self.process.wait(timeout=max(0.0, timeout))
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            code = None
        return Observed(
            code=code,
            stdout=self.stdout_path.read_text(encoding="utf-8", errors="replace"),
            stderr=self.stderr(),
            wall_s=time.monotonic() - self._started,
        )


def cli_env() -> dict[str, str]:
    """The harness's environment with google-auth kept off the metadata server."""
    return {**os.environ, "NO_GCE_CHECK": "True"}


def run_cli(
    args: Sequence[str],
    directory: Path,
    *,
    python: str = sys.executable,
    env: Mapping[str, str] | None = None,
) -> Observed:
    """Run one command to its end."""
    return Cli(args, directory, python=python, env=env).wait()


def children_get_default_sigint() -> None:
    """Started in the background, a shell ignores SIGINT and children inherit that; Python
    then never turns SIGINT into KeyboardInterrupt, and the SIGINT cases would observe a
    setting of the harness, not the product. Set the default so children exec with it."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
