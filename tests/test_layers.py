"""The engine and the warehouses stay generic: no basketball module named in them (a job says
how its raw data is made), and no warehouse's flag in the engine (each adapter owns its own)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ENGINE = sorted((ROOT / "shared/backfill").glob("*.py"))
WAREHOUSES = sorted((ROOT / "shared/warehouse").glob("*.py"))
WAREHOUSE_FLAGS = ("--project", "--location", "--max-bytes-billed", "--pace-table-updates")


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
