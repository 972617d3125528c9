"""Default locations, under the project (never /tmp: checkpoints must outlive a reboot), and
how a path or a command is shown to a person so that it runs as copied."""

import os
import shlex
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_WAREHOUSE = PROJECT_ROOT / "data" / "warehouse.duckdb"
DEFAULT_CHECKPOINT_DIR = PROJECT_ROOT / "checkpoints"
DEFAULT_LOG_DIR = PROJECT_ROOT / "logs"


def display_path(path: Path) -> str:
    """A path as a person would type it here: relative to the current directory when inside.
    Symlinks are kept (a virtualenv's python is one: resolving it would leave the venv)."""
    try:
        return str(Path(os.path.abspath(path)).relative_to(Path.cwd()))
    except (ValueError, OSError):
        return str(path)


def python_command(*args: str) -> str:
    """A command line run by this interpreter (never a bare ``python``, which may lack the
    project's packages): ``.venv/bin/python -m shared.nba.sample_data --warehouse w.duckdb``."""
    return shlex.join([display_path(Path(sys.executable)), *args])


def script_command(script: str, *args: str) -> str:
    """A project script (its path from the project root) run by this interpreter."""
    return python_command(display_path(PROJECT_ROOT / script), *args)
