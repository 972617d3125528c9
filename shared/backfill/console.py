"""Where a run's words go: results to stdout, diagnostics to stderr, everything to the log file.

- Results (the summary, the validation table) are logged on ``RESULTS``: printed to stdout
  and kept in the log file, so ``> file`` and ``| grep`` get them without the diagnostics.
- Diagnostics go to stderr. While a progress bar is shown, the per-day lines and PROGRESS
  blocks (records marked ``per_day``) go to the log file only, so the bar stays readable.
- ``--log-format json`` (the default in a Cloud Run job) writes stderr's diagnostics as one
  JSON object per line for Cloud Logging (``cloud_run.JsonFormatter``) and shows no bar; the
  log file and the results stay text.
- Signals: outside the runner, SIGTERM interrupts like Ctrl-C (KeyboardInterrupt, exit 130),
  so a stop during start-up or validation is never a bare -15.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from tqdm import tqdm

from shared.backfill.cloud_run import JsonFormatter, default_log_format, new_run_id
from shared.entry import raise_interrupt
from shared.errors import ConfigError

RESULTS = logging.getLogger("backfill.results")
PER_DAY = {"per_day": True}
# A long list shows its first lines on the terminal and all of them in the log file: the rest
# is marked for the log file only, and the "and N more" line for the terminal only.
LOG_FILE_ONLY = {"log_file_only": True}
TERMINAL_ONLY = {"terminal_only": True}


def _on_terminal(record: logging.LogRecord) -> bool:
    return not getattr(record, "log_file_only", False)


def _in_log_file(record: logging.LogRecord) -> bool:
    return not getattr(record, "terminal_only", False)


class _Console(logging.Filter):
    """stderr's filter: no results (stdout has them), no per-day lines while a bar is shown."""

    def __init__(self) -> None:
        super().__init__()
        self.bar_shown = False
        # Set by configure_logging: the console's format, and the id the JSON lines carry.
        self.log_format: str | None = None
        self.run_id = ""
        self.job = ""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith(RESULTS.name) or not _on_terminal(record):
            return False
        per_day = getattr(record, "per_day", False)
        return not (self.bar_shown and per_day and record.levelno < logging.WARNING)


class _StreamHandler(logging.Handler):
    """Writes to ``sys.<name>`` as it is at each record (never a stream closed since), and
    above a live tqdm bar instead of through it.

    Without a bar, the line is written directly: tqdm's first write creates its lock (and
    imports multiprocessing for it), and a Ctrl-C landing in there left tqdm without a lock;
    the error that followed was swallowed here with the KeyboardInterrupt, so the run went on
    and hung. With a bar, the lock exists before the run starts (``bar_shown``)."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self._name = name

    def emit(self, record: logging.LogRecord) -> None:
        try:
            stream = getattr(sys, self._name)
            if _console.bar_shown:
                tqdm.write(self.format(record), file=stream)
            else:
                stream.write(self.format(record) + "\n")
        except Exception:  # noqa: BLE001 - logging must never raise
            self.handleError(record)


class _LogFile(logging.FileHandler):
    """The run's log file. If it can no longer be written (the disk filled up mid-run), one
    warning says so and the run goes on logging to the terminal, instead of a traceback per
    record."""

    broken = False

    def emit(self, record: logging.LogRecord) -> None:
        if not self.broken:
            super().emit(record)

    def close(self) -> None:
        try:
            super().close()
        except OSError as exc:
            self._give_up(exc)

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 - logging's name
        self._give_up(sys.exc_info()[1])

    def _give_up(self, error: BaseException | None) -> None:
        if self.broken:
            return
        self.broken = True
        reason = getattr(error, "strerror", None) or error
        print(
            stderr_line(
                f"warning: cannot write the log file {self.baseFilename} any more ({reason}); "
                "going on without it",
                logging.WARNING,
            ),
            file=sys.stderr,
        )


_console = _Console()


def configure_logging(
    log_dir: Path,
    job: str,
    debug: bool,
    log_format: str | None = None,
    run_id: str | None = None,
) -> Path:
    """A timestamped log file in ``log_dir`` (ConfigError in one line if it cannot be made).

    ``log_format`` is the console's (stderr's): ``text``, or ``json`` for Cloud Logging; None
    means the default (json in a Cloud Run job, else text). ``run_id`` is what the JSON lines
    carry (default: a new one, see ``cloud_run.new_run_id``); ``current_run_id()`` tells it.
    """
    log_format = log_format or default_log_format()
    stamp = datetime.now().strftime("%Y%m%d_%H%M%S")  # noqa: DTZ005 - local time names the file
    log_path = log_dir / f"{job}_backfill_{stamp}_{os.getpid()}.log"
    try:
        log_dir.mkdir(parents=True, exist_ok=True)
        # A full disk often still creates the file: write and flush once to find out now.
        with open(log_path, "a", encoding="utf-8") as header:
            header.write(f"# {job} backfill log, pid {os.getpid()}\n")
        file_handler = _LogFile(log_path, encoding="utf-8")
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ConfigError(
            f"cannot write a log file in --log-dir {short_path(log_dir)} ({reason}); "
            f"pass a writable directory"
        ) from None
    root = logging.getLogger()
    root.setLevel(logging.DEBUG if debug else logging.INFO)
    file_handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)-7s %(threadName)s %(message)s")
    )
    file_handler.addFilter(_in_log_file)
    stderr = _StreamHandler("stderr")
    _console.run_id = run_id or new_run_id()
    _console.job = job
    _console.log_format = log_format
    if log_format == "json":
        stderr.setFormatter(JsonFormatter(_console.run_id, job))
    else:
        stderr.setFormatter(logging.Formatter("%(message)s"))
    _console.bar_shown = False
    stderr.addFilter(_console)
    stdout = _StreamHandler("stdout")
    stdout.setFormatter(logging.Formatter("%(message)s"))
    stdout.addFilter(lambda record: record.name.startswith(RESULTS.name) and _on_terminal(record))
    ours = [file_handler, stderr, stdout]
    for previous in [h for h in root.handlers if getattr(h, "backfill", False)]:
        root.removeHandler(previous)
        previous.close()
    root.handlers.extend(ours)
    for handler in ours:
        handler.backfill = True  # type: ignore[attr-defined]
    return log_path


def discard_log_file(path: Path) -> None:
    """Stop logging to ``path`` and remove it (a command refused before its run started)."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, _LogFile)]:
        if Path(handler.baseFilename) == path.absolute():
            root.removeHandler(handler)
            handler.close()
    path.unlink(missing_ok=True)


def bar_shown() -> None:
    """From now on per-day lines stay out of stderr (the bar shows the progress), and lines go
    through tqdm, whose lock is made here, before the run's threads need it."""
    tqdm.get_lock()
    _console.bar_shown = True


def progress_bar_wanted(stream: object | None = None) -> bool:
    """A progress bar only on a terminal, and never with JSON logs (a bar in Cloud Logging
    is a stream of carriage returns)."""
    isatty = getattr(sys.stderr if stream is None else stream, "isatty", None)
    return bool(isatty and isatty()) and console_log_format() == "text"


def console_log_format() -> str:
    """stderr's format: as configured, else the default (json in a Cloud Run job)."""
    return _console.log_format or default_log_format()


def current_run_id() -> str:
    """The id the configured run's JSON lines carry ("" before configure_logging)."""
    return _console.run_id


def stderr_line(message: str, level: int = logging.ERROR) -> str:
    """A line printed to stderr outside logging (a one-line error, an interruption) in the
    console's format: the text as is, or one JSON object with its severity."""
    if console_log_format() != "json":
        return message
    record = logging.LogRecord("backfill", level, __file__, 0, message, None, None)
    return JsonFormatter(_console.run_id or new_run_id(), _console.job).format(record)


def use_colour(stream: object) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (no-color.org)."""
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and not os.environ.get("NO_COLOR")


def short_path(path: Path) -> str:
    """A path cut to 80 characters for a one-line error."""
    text = str(path)
    return text if len(text) <= 80 else f"{text[:40]}...{text[-30:]}"


@contextlib.contextmanager
def sigterm_interrupts() -> Iterator[None]:
    """SIGTERM raises KeyboardInterrupt, as Ctrl-C does, until the block ends."""
    previous = signal.signal(signal.SIGTERM, raise_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
