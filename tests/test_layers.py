"""The house's floors: the engine and the warehouses know nothing of basketball, the jobs or
the test doubles (a job says how its raw data is made), the engine names no warehouse's flag
(each adapter owns its own), basketball knows no job, and nothing shipped imports the tests
or the bench."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ENGINE = sorted((ROOT / "shared/backfill").glob("*.py"))
WAREHOUSES = sorted((ROOT / "shared/warehouse").glob("*.py"))
WAREHOUSE_FLAGS = ("--project", "--location", "--max-bytes-billed", "--pace-table-updates")

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


def strings_and_imports(path: Path) -> list[str]:
    """Every module imported and every string literal (where a command would be spelled)."""
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.append(node.module)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.append(node.value)
    return found


@pytest.mark.parametrize("path", ENGINE + WAREHOUSES, ids=lambda p: p.name)
def test_engine_and_warehouses_name_no_basketball_module(path: Path) -> None:
    named = [text for text in strings_and_imports(path) if "shared.nba" in text]
    assert not named, named


@pytest.mark.parametrize("path", ENGINE, ids=lambda p: p.name)
def test_the_engine_names_no_warehouse_flag(path: Path) -> None:
    named = [text for text in strings_and_imports(path) if any(f in text for f in WAREHOUSE_FLAGS)]
    assert not named, named
