"""The house's floors: the engine and the warehouses know nothing of basketball, the jobs or
the test doubles; basketball knows no job; nothing shipped imports the tests or the bench."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Room -> the packages it must never import.
FORBIDDEN = {
    "shared/backfill": ("shared.nba", "backfill_jobs", "tests", "bench"),
    "shared/warehouse": ("shared.nba", "shared.backfill", "backfill_jobs", "tests", "bench"),
    "shared/nba": ("shared.backfill", "backfill_jobs", "tests", "bench"),
    "backfill_jobs": ("tests", "bench"),
    "tests/doubles": ("shared.backfill", "shared.nba", "backfill_jobs", "bench"),
}


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("room", sorted(FORBIDDEN))
def test_no_import_crosses_a_floor_the_wrong_way(room: str) -> None:
    crossings = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in sorted((ROOT / room).rglob("*.py"))
        for name in sorted(imported(path))
        if any(name == banned or name.startswith(banned + ".") for banned in FORBIDDEN[room])
    ]
    assert crossings == []
