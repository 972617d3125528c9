"""The command lines printed for going on after a run (resume, retry, rerun stale), by the run
itself and by ``status``, and the ``--help`` examples: rendered in one place, so a copied
command runs as copied and keeps every flag that shapes the run, not only its warehouse (a
resume without ``--batch-days 1`` runs another plan).
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from shared.backfill.context import DEFAULT_MAX_RETRIES, RunContext
from shared.backfill.planning import WriteMode
from shared.backfill.spec import JobSpec
from shared.paths import DEFAULT_CHECKPOINT_DIR, DEFAULT_LOG_DIR, PROJECT_ROOT, display_path
from shared.warehouse.options import default_batch_days, warehouse_run_flags

_LISTS_DAYS = ("--dates", "--retry-failed")


def invocation(spec: JobSpec) -> list[str]:
    """How this process was started, so a printed command runs as copied: the console script
    as typed (``.venv/bin/pgs-backfill``, or its path when found on PATH), or this interpreter
    with the job's script (paths relative to the current directory when inside it)."""
    started_as = sys.argv[0] if sys.argv else ""
    if spec.console_script and started_as and Path(started_as).name == spec.console_script:
        shown = display_path(Path(started_as))
        return [shown if "/" in shown else f"./{shown}"]
    return [display_path(Path(sys.executable)), display_path(PROJECT_ROOT / spec.script)]


def shell_line(parts: Sequence[str]) -> str:
    return shlex.join(parts)


def run_flags(context: RunContext) -> list[str]:
    """A run's flags other than its days, its warehouse and its checkpoint folder, where they
    differ from the defaults: how it runs (workers, batches, retries, limits, the warehouse's
    own) and what it does with its days (``--stale``, ``--allow-shrink`` ...). Recorded with
    each run, so ``status`` prints the same commands the run did."""
    settings = context.settings
    flags: list[str] = []
    if context.paths.log_dir != DEFAULT_LOG_DIR:
        flags += ["--log-dir", str(context.paths.log_dir)]
    if settings.parallel:
        flags += ["--parallel", "--workers", str(settings.workers)]
    if settings.batch_days != default_batch_days(context.warehouse):
        flags += ["--batch-days", str(settings.batch_days)]
    if settings.max_retries != DEFAULT_MAX_RETRIES:
        flags += ["--max-retries", str(settings.max_retries)]
    if settings.max_failures is not None:
        flags += ["--max-failures", str(settings.max_failures)]
    flags += warehouse_run_flags(context.warehouse)
    if settings.write_mode is not WriteMode.AUTO:
        flags += ["--write-mode", settings.write_mode.value]
    switches = {
        "--allow-shrink": settings.allow_shrink,
        "--allow-incomplete": settings.allow_incomplete,
        "--with-upstream": settings.with_upstream,
        "--fail-fast": settings.fail_fast,
        "--stale": context.selection.stale,
    }
    return flags + [flag for flag, given in switches.items() if given]


def recorded_run_flags(run: Mapping[str, object] | None) -> list[str]:
    """The flags a recorded run kept (``run_flags``); for a run recorded before they were
    kept, its manner of running."""
    run = run or {}
    flags = run.get("run_flags")
    if isinstance(flags, list) and all(isinstance(flag, str) for flag in flags):
        return list(flags)
    workers = run.get("workers")
    if run.get("mode") == "parallel" and isinstance(workers, int):
        return ["--parallel", "--workers", str(workers)]
    return []


def command_line(
    spec: JobSpec,
    warehouse_flags: Sequence[str],
    checkpoint_dir: Path,
    flags: Sequence[str],
    *extra: str,
) -> str:
    """The job's command over the same warehouse and checkpoints with ``flags`` (a run's, see
    ``run_flags``) and ``extra`` (the days, and what to do with them), each flag once; a command
    that lists its days (``--dates``, ``--retry-failed``) drops ``--stale``, which picks them
    too and is refused with them."""
    if any(flag in _LISTS_DAYS for flag in extra):
        flags = [flag for flag in flags if flag != "--stale"]
    parts = [*invocation(spec), *warehouse_flags]
    if checkpoint_dir != DEFAULT_CHECKPOINT_DIR:
        parts += ["--checkpoint-dir", str(checkpoint_dir)]
    parts += flags
    parts += [flag for flag in extra if not (flag.startswith("--") and flag in flags)]
    return shell_line(parts)


def rerun_command(context: RunContext, *extra: str) -> str:
    """The command line that reruns this run's target with other days (retry, resume)."""
    return command_line(
        context.spec,
        context.warehouse.flags(),
        context.paths.checkpoint_dir,
        run_flags(context),
        *extra,
    )
