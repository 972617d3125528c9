"""Every job's entry point: parse the command line into its typed command, run it, and turn
every known failure into one line and its exit code (0 all done, 1 some days failed or a
network error, 2 usage/config error, 130 interrupted)."""

from __future__ import annotations

import logging
import os
import socket
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

from shared.backfill.console import short_path, sigterm_interrupts, stderr_line
from shared.backfill.context import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    RunContext,
    StatusQuery,
)
from shared.backfill.options import parse
from shared.backfill.run_command import run
from shared.backfill.spec import JobSpec
from shared.backfill.status_command import status_command
from shared.backfill.validate_command import validate_command
from shared.entry import finish
from shared.errors import BackfillError, CheckpointError, ConfigError

logger = logging.getLogger("backfill")


def run_main(spec: JobSpec, argv: Sequence[str] | None = None) -> int:
    """Parse, dispatch, and map every known failure to one line and its exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    try:
        with sigterm_interrupts():
            today = date.today()  # noqa: DTZ011 - the user's calendar decides "yesterday"
            command = parse(spec, argv, today)
            if isinstance(command, RunContext):
                return run(command)
            if isinstance(command, StatusQuery):
                return status_command(spec, command)
            return validate_command(spec, command)
    except BackfillError as exc:
        if debug:
            logger.exception("failed")
        print(stderr_line(f"error: {exc}"), file=sys.stderr)
        return EXIT_USAGE if isinstance(exc, ConfigError | CheckpointError) else EXIT_FAILED
    except KeyboardInterrupt:
        print(
            stderr_line(
                "interrupted: stopped before finishing; finished days are recorded, rerun the "
                "same command to go on"
                if _may_write(argv)
                else "interrupted: stopped before finishing; nothing was written"
            ),
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # Output piped into `head` and the like: stop quietly, as other commands do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:
        if not isinstance(exc, OSError) and not is_network_error(exc):
            raise
        if debug:
            logger.exception("failed")
        if is_network_error(exc):
            # Not the command's fault: the same command may well work once the network does.
            print(stderr_line(f"error: network: {_describe(exc)}"), file=sys.stderr)
            return EXIT_FAILED
        # The environment refused something not covered above (a path too long, a full disk).
        assert isinstance(exc, OSError)
        where = f": {short_path(Path(exc.filename))}" if exc.filename else ""
        print(f"error: {exc.strerror or exc}{where}", file=sys.stderr)
        return EXIT_USAGE


def entry_points(
    spec: JobSpec,
) -> tuple[Callable[[Sequence[str] | None], int], Callable[[], int]]:
    """A job's ``main(argv)`` and its ``console()`` (the script, the module, the console
    script): ``main``, then a late Ctrl-C or SIGTERM has nothing left to stop."""

    def main(argv: Sequence[str] | None = None) -> int:
        return run_main(spec, argv)

    def console() -> int:
        return finish(main)

    return main, console


def is_network_error(exc: BaseException) -> bool:
    """A connection that failed or timed out, from the socket or an HTTP library (checked
    only where that library is loaded: an error of one that is not cannot be raised)."""
    kinds: list[type[BaseException]] = [ConnectionError, TimeoutError, socket.gaierror]
    if (requests := sys.modules.get("requests.exceptions")) is not None:
        kinds += [requests.ConnectionError, requests.Timeout]
    if (urllib3 := sys.modules.get("urllib3.exceptions")) is not None:
        kinds += [urllib3.ProtocolError, urllib3.NewConnectionError, urllib3.MaxRetryError]
        kinds += [urllib3.TimeoutError]
    return isinstance(exc, tuple(kinds))


def _describe(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 200 else f"{text[:200]}..."


def _may_write(argv: Sequence[str]) -> bool:
    """A run (not a subcommand, not a dry run): an interrupt leaves finished days recorded."""
    return not (argv and argv[0] in ("status", "validate")) and "--dry-run" not in argv
