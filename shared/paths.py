"""Default locations, under the project (never /tmp: checkpoints must outlive a reboot)."""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_WAREHOUSE = PROJECT_ROOT / "data" / "warehouse.duckdb"
DEFAULT_CHECKPOINT_DIR = PROJECT_ROOT / "checkpoints"
DEFAULT_LOG_DIR = PROJECT_ROOT / "logs"
