"""What ships: `pip wheel .` holds the engine, the warehouses, the NBA code and the jobs with
their SQL, and no test double (the BigQuery simulator) or chaos harness."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_wheel_ships_no_test_double(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation",
         "--quiet", "--wheel-dir", str(tmp_path)],
        check=True,
        cwd=tmp_path,
    )  # fmt: skip
    (wheel,) = tmp_path.glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    packages = {name.split("/")[0] for name in names if not name.startswith("nba_backfill")}
    assert packages == {"shared", "backfill_jobs"}
    assert not [name for name in names if "bigquery_sim" in name or "chaos" in name]
    assert "shared/backfill/runner.py" in names
    assert "shared/nba/schemas/nba_raw/nbac_schedule.sql" in names
    assert any(name.endswith("player_game_summary/sql/player_game_summary.sql") for name in names)
